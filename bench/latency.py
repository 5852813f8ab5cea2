"""Building blocks of the latency group (issue 13): questions a user asks, timed against a far-away Zoom
(the simulator with `--latency 150 --rate-limits pro`), each beside its critical-path limit.

The questions need the tools that fan out, so this module has no MEASUREMENTS yet and is not in
bench.__main__.GROUP_ORDER; what a question needs:

- `latency_simulator(ctx)`: a second simulator subprocess with Zoom's latency, the Pro limits and
  recorded meetings seeded (the shared one stays fast for the loopback groups). Stop it when done.
- `server_env(ctx, sim, env_file, sequential=False)`: the server's environment for it: paced at Pro (the
  loopback groups run unpaced); `sequential=True` is the baseline, today's one-call-at-a-time
  behaviour, with the same code and ZOOM_MAX_CONCURRENCY=1.
- `critical_path_ms(steps)`: the physical limit. A question is a chain of dependent steps; each step is
  a fan-out of independent calls in one rate-limit category (a plain call is a fan-out of one). A step
  costs one round trip, plus one window for every further batch of the category's per-window quota
  Zoom makes the step wait for. `paced_path_ms(steps)`: the best this client's pacer can do (its slots
  free one window after each answer, so a further batch also waits for the first batch's round trip).
- `rate_limited(sim)`: the 429s the simulator answered (the target is 0).

Example, "search 'budget' across 40 recorded meetings in 3 months": 3 month windows of recordings
(MEDIUM), then 40 transcript downloads (LIGHT, 30 a second on Pro):
`critical_path_ms([Step("MEDIUM", 3), Step("LIGHT", 40)])` = 150 + (150 + 1000) = 1300 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from bench.common import Ctx, Simulator
from zoom_rate_limits import PLANS

GROUP = "latency"
LATENCY_MS = 150.0
PLAN = "pro"
RECORDINGS = 40  # recorded meetings seeded over the last 90 days (a third mention "budget")


@dataclass(frozen=True)
class Step:
    """One dependent step of a question: `calls` independent Zoom calls of `category` at once."""

    category: str
    calls: int = 1


def _limit(category: str, plan: str) -> tuple[int, float]:
    per, seconds = PLANS[plan][category]
    return per, float(seconds)


def critical_path_ms(steps: list[Step], rtt_ms: float = LATENCY_MS, plan: str = PLAN) -> float:
    """The fastest any client could answer: dependent round trips, plus the windows Zoom's per-second
    limits force a fan-out larger than one window's quota to wait for."""
    total = 0.0
    for step in steps:
        per, seconds = _limit(step.category, plan)
        total += rtt_ms + (math.ceil(step.calls / per) - 1) * seconds * 1000
    return total


def paced_path_ms(steps: list[Step], rtt_ms: float = LATENCY_MS, plan: str = PLAN) -> float:
    """The best this client's pacer allows: a further batch waits a window after the previous batch's
    answers (pacer.py explains why)."""
    total = 0.0
    for step in steps:
        per, seconds = _limit(step.category, plan)
        total += rtt_ms + (math.ceil(step.calls / per) - 1) * (seconds * 1000 + rtt_ms)
    return total


def latency_simulator(ctx: Ctx, latency_ms: float = LATENCY_MS, jitter_ms: float = 0.0, seed: int = 1,
                      recordings: int = RECORDINGS, plan: str = PLAN) -> Simulator:
    """A simulator subprocess like a far-away Zoom on `plan`, with `recordings` recorded meetings."""
    args = ["--latency", f"{latency_ms:g}", "--latency-jitter", f"{jitter_ms:g}", "--seed", str(seed),
            "--rate-limits", plan, "--seed-recordings", str(recordings)]
    return Simulator(Path(ctx.workdir), args, name="zoomsim-latency")


def server_env(ctx: Ctx, sim: Simulator, env_file: Path, sequential: bool = False) -> dict[str, str]:
    """The server's environment against `sim`: paced at the plan; `sequential`: one call at a time."""
    extra = {"ZOOM_RATE_PLAN": PLAN}
    if sequential:
        extra["ZOOM_MAX_CONCURRENCY"] = "1"
    return ctx.server_env(env_file, sim, **extra)


def rate_limited(sim: Simulator) -> int:
    return int(sim.stats()["rate_limited"])
