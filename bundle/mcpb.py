"""The official MCPB CLI (@anthropic-ai/mcpb), pinned by bundle/npm/package-lock.json and installed
with `npm ci` into the project's .cache/mcpb (gitignored): nothing global, the same version for
everyone. A stamp named after the lock's checksum makes the install happen once per lock."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = Path(__file__).resolve().parent / "npm"  # package.json + package-lock.json
CACHE = ROOT / ".cache" / "mcpb"


class BuildError(Exception):
    """The bundle cannot be built; the message says why and what to do."""


def cli() -> Path:
    """The pinned CLI's entry script, installing it first when the lock changed."""
    lock = (PINS / "package-lock.json").read_bytes()
    stamp = CACHE / f".stamp-{hashlib.sha256(lock).hexdigest()[:16]}"
    entry = CACHE / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"
    if stamp.exists() and entry.exists():
        return entry
    npm = shutil.which("npm")
    if not npm:
        raise BuildError("npm is not installed; the MCPB CLI comes from npm. Install Node.js "
                         "(brew install node / sudo apt-get install -y npm) and try again")
    if CACHE.exists():
        shutil.rmtree(CACHE)
    CACHE.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINS / name, CACHE / name)
    print(f"Installing the pinned MCPB CLI into {CACHE.relative_to(ROOT)} ...", flush=True)
    res = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                         cwd=CACHE, stdin=subprocess.DEVNULL, check=False)
    if res.returncode != 0 or not entry.exists():
        raise BuildError(f"npm ci failed (exit {res.returncode}) in {CACHE}; see its message above")
    stamp.touch()
    return entry


def run(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """`mcpb ARGS...` with node; stdin closed (pack would prompt without a manifest)."""
    node = shutil.which("node")
    if not node:
        raise BuildError("node is not installed; the MCPB CLI needs Node.js (brew install node / "
                         "sudo apt-get install -y nodejs)")
    return subprocess.run([node, str(cli()), *args], stdin=subprocess.DEVNULL, text=True,
                          capture_output=capture, check=False)


def validate(stage: Path) -> None:
    """`mcpb validate` the staged manifest; BuildError when the CLI rejects it (its reasons, which it
    prints to stdout, are shown above the error)."""
    res = run("validate", str(stage / "manifest.json"), capture=True)
    print(res.stdout.rstrip() or "(mcpb validate printed nothing)", flush=True)
    if res.returncode != 0:
        why = res.stderr.strip() or "its reasons are above"
        raise BuildError(f"mcpb validate rejected {stage / 'manifest.json'}: {why}")


def pack(stage: Path, out: Path) -> None:
    """`mcpb pack` the folder into `out`, written whole (packed beside it, then renamed); BuildError
    and no `out` when it fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        res = run("pack", str(stage), str(tmp))
        if res.returncode != 0 or not tmp.exists():
            raise BuildError(f"mcpb pack failed (exit {res.returncode}); see its message above")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
