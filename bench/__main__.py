"""`python -m bench [GROUP ...]` (`make bench`): run the benchmarks against the Zoom simulator on
127.0.0.1, print a markdown table and write JSON to bench/results/<timestamp>.json and latest.json.

Groups (default: all, in this order): overhead coldstart tokens kit pagination concurrency footprint
jq catalogue latency.
Environment: BENCH_QUICK=1 runs a handful of iterations (for the smoke test; the figures mean nothing);
BENCH_RESULTS_DIR writes the JSON elsewhere (latest.json, the committed one, is only replaced by a full
run of every group); BENCH_IDLE_SECONDS sets the idle-CPU window (default 60, quick 3).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import report
from bench.common import QUICK, ROOT, Ctx, Row, Simulator, missing

GROUP_ORDER = ["overhead", "coldstart", "tokens", "kit", "pagination", "concurrency", "footprint", "jq",
               "catalogue", "latency"]
USAGE = f"usage: python -m bench [--list] [GROUP ...]\n  groups: {' '.join(GROUP_ORDER)}"


def load_group(name: str):
    import importlib

    return importlib.import_module(f"bench.{name}")


def run_group(name: str, ctx: Ctx) -> list[Row]:
    mod = load_group(name)
    rows: list[Row] = []
    for key, title, fn in mod.MEASUREMENTS:
        t0 = time.monotonic()
        print(f"[bench] {name}: {title} ...", file=sys.stderr, flush=True)
        try:
            got = fn(ctx)
        except Exception as err:  # a half-written piece must not stop the other measurements
            traceback.print_exc(file=sys.stderr)
            got = [Row(name, key, title, status="error", note=f"error: {type(err).__name__}: {err}"[:300])]
        rows.extend(got)
        print(f"[bench] {name}: {title} done in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
    return rows


def isolate_environment() -> None:
    """No setting of the user's may leak in (a ZOOM_OAUTH_URL pointing at real Zoom, a proxy): every
    child gets its ZOOM_*/CLAUDE_* variables from the harness, and loopback never goes through a proxy."""
    for k in list(os.environ):
        if k.startswith(("ZOOM_", "CLAUDE_")):
            del os.environ[k]
    for k in ("NO_PROXY", "no_proxy"):
        os.environ[k] = ",".join(x for x in (os.environ.get(k), "127.0.0.1", "localhost") if x)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # token_monitor is imported in-process by the kit group


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(USAGE)
        return 0
    if "--list" in argv:
        print("\n".join(GROUP_ORDER))
        return 0
    unknown = [a for a in argv if a not in GROUP_ORDER]
    if unknown:
        print(f"ERROR: unknown group(s): {' '.join(unknown)}\n{USAGE}", file=sys.stderr)
        return 2
    groups = [g for g in GROUP_ORDER if g in argv] if argv else list(GROUP_ORDER)
    isolate_environment()
    started = time.time()
    meta = report.machine_meta(groups, QUICK)
    meta["group_order"] = GROUP_ORDER
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="zoom-mcp-bench-") as tmp:
        workdir = Path(tmp)
        sim = None
        why = ""
        if missing("zoomsim"):
            why = "missing: zoomsim"
        else:
            try:
                sim = Simulator(workdir)
            except Exception as err:
                traceback.print_exc(file=sys.stderr)
                why = f"simulator failed to start: {err}"
        ctx = Ctx(sim, workdir, why)
        try:
            for g in groups:
                rows.extend(run_group(g, ctx))
        finally:
            if sim is not None:
                sim.stop()
    meta["duration_s"] = round(time.time() - started, 1)
    meta.update(report.load_after())
    doc = report.document(meta, rows, ctx_extra=getattr(ctx, "extra", {}))
    print(report.markdown(doc))
    out_dir = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).resolve().parent / "results")
    paths = report.write(doc, out_dir, full_run=not QUICK and groups == GROUP_ORDER)
    print(f"\nJSON: {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 1 if any(r.status == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
