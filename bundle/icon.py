"""The extension's icon, drawn here (no artwork copied): a video camera on a blue tile, with an amber
clock for the token kept alive. 512×512 RGBA PNG, written with the standard library only; shapes
are signed-distance functions, so edges are anti-aliased without supersampling. Deterministic."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 512


def _rounded_box(x, y, cx, cy, hw, hh, r):
    qx, qy = abs(x - cx) - (hw - r), abs(y - cy) - (hh - r)
    return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - r


def _segment(x, y, ax, ay, bx, by, r):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - ax - t * dx, y - ay - t * dy) - r


def _convex(x, y, points, r):
    """A convex polygon (clockwise on screen) grown by r: the largest distance to an edge's line. Exact
    inside; beyond a sharp corner it reads too small, so its bounding box in SHAPES clips it."""
    d = -math.inf
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1], strict=True):
        nx, ny = by - ay, ax - bx
        n = math.hypot(nx, ny)
        d = max(d, ((x - ax) * nx + (y - ay) * ny) / n)
    return d - r


def _cover(d: float) -> float:
    return min(1.0, max(0.0, 0.5 - d))


def _over(dst, rgb, alpha):
    r, g, b, a = dst
    out_a = alpha + a * (1 - alpha)
    if out_a == 0:
        return (0.0, 0.0, 0.0, 0.0)
    mix = [(c * alpha + d * a * (1 - alpha)) / out_a for c, d in zip(rgb, (r, g, b), strict=True)]
    return (*mix, out_a)


TOP, BOTTOM = (0x24, 0x7B, 0xF0), (0x0B, 0x3F, 0xA8)
WHITE, AMBER, INK = (0xFF, 0xFF, 0xFF), (0xF7, 0xA8, 0x1B), (0x0B, 0x3F, 0xA8)
LENS = [(318.0, 232.0), (392.0, 186.0), (392.0, 302.0), (318.0, 262.0)]


# (colour, bounding box with a pixel's margin, signed distance), painted in order over the tile.
SHAPES = (
    (WHITE, (95, 161, 317, 331), lambda x, y: _rounded_box(x, y, 206, 246, 110, 84, 26)),  # body
    (WHITE, (311, 179, 399, 309), lambda x, y: _convex(x, y, LENS, 6)),  # lens
    (AMBER, (293, 293, 451, 451), lambda x, y: math.hypot(x - 372, y - 372) - 78),  # clock
    (INK, (318, 318, 426, 426), lambda x, y: abs(math.hypot(x - 372, y - 372) - 46) - 7),  # its rim
    (INK, (364, 332, 380, 380), lambda x, y: _segment(x, y, 372, 372, 372, 340, 7)),  # hands
    (INK, (364, 364, 402, 380), lambda x, y: _segment(x, y, 372, 372, 394, 372, 7)),
)


def pixel(x: float, y: float, tile: tuple) -> tuple[int, int, int, int]:
    inside = (17 <= x <= 495 and 113 <= y <= 399) or (113 <= x <= 399 and 17 <= y <= 495)
    cover = 1.0 if inside else _cover(_rounded_box(x, y, 256, 256, 240, 240, 96))
    px = (*tile, cover)
    for colour, (x0, y0, x1, y1), distance in SHAPES:
        if x0 <= x <= x1 and y0 <= y <= y1:
            px = _over(px, colour, _cover(distance(x, y)))
    r, g, b, a = px
    return round(r), round(g), round(b), round(a * 255)


def png() -> bytes:
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter: none
        cy = y + 0.5
        tile = tuple(a + (b - a) * cy / SIZE for a, b in zip(TOP, BOTTOM, strict=True))
        plain = bytes((*(round(c) for c in tile), 255))  # the tile's colour where nothing else is
        for x in range(SIZE):
            cx = x + 0.5
            plain_here = ((17 <= cx <= 495 and 113 <= cy <= 399) or (113 <= cx <= 399 and 17 <= cy <= 495)) \
                and not any(x0 <= cx <= x1 and y0 <= cy <= y1 for _, (x0, y0, x1, y1), _ in SHAPES)
            rows.extend(plain if plain_here else pixel(cx, cy, tile))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


def write(path: Path) -> Path:
    path.write_bytes(png())
    return path
