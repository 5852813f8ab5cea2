"""2. Cold start.

Spawn `./run.sh` (the env file already holds a valid token, so run.sh's get_zoom_token.sh makes no
request) with the official MCP client over stdio, until the first `tools/list` answer; vs the same for
the bare MCPServer (bench/bare_server.py). Spawns alternate. For context, to show where the time goes:
the lowlevel `Server`; `python zoom_mcp.py` spawned directly (the same server without run.sh); and
run.sh's token check alone (`get_zoom_token.sh -q` on a valid token, what run.sh runs before it execs
python) vs `bash -c :`.
Also records `python -X importtime -c "import zoom_mcp"` (top cumulative imports) in the JSON's
"extra" (informational; the table shows the total).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import anyio

from bench.common import (
    PY,
    ROOT,
    SERVER_PIECES,
    Ctx,
    Row,
    Stat,
    StdioSession,
    bare_session,
    iterations,
    missing,
    ms_since,
    na_row,
    run_sh_session,
    timed_run,
)

GROUP = "coldstart"
TARGET_RATIO = 1.3


async def _spawn_to_tools(session_factory) -> float:
    t0 = time.perf_counter_ns()
    async with session_factory() as s:
        tools = await s.client.list_tools()
        ms = ms_since(t0)
        if not tools.tools:
            raise RuntimeError(f"no tools listed; stderr: {s.tail()}")
    return ms


async def _measure(ctx: Ctx) -> list[Row]:
    runs = iterations(15, 2)
    gone = ctx.why_no_sim if ctx.sim is None else None
    if gone is None and missing(*SERVER_PIECES):
        gone = f"missing: {missing(*SERVER_PIECES)}"
    env_file = None
    if gone is None:
        d = ctx.tmpdir("coldstart")
        env_file = ctx.env_file(d)
        ctx.claude_config(d)
    factories = {
        "bare": lambda: bare_session(ctx, "bare_server.py", "coldstart-bare"),
        "lowlevel": lambda: bare_session(ctx, "bare_lowlevel.py", "coldstart-lowlevel"),
    }
    if env_file is not None:
        factories["real"] = lambda: run_sh_session(ctx, env_file, "coldstart-server")
        factories["direct"] = lambda: StdioSession(PY, [str(ROOT / "zoom_mcp.py")], ctx.server_env(env_file),
                                                   ctx.log_path("coldstart-direct"))
    samples: dict[str, list[float]] = {k: [] for k in factories}
    before = ctx.sim.stats()["token_requests"] if env_file is not None else 0
    # One unmeasured spawn each first (page cache, .pyc files).
    for f in factories.values():
        await _spawn_to_tools(f)
    for _ in range(runs):
        for k, f in factories.items():
            samples[k].append(await _spawn_to_tools(f))
    stats = {k: Stat.of(v) for k, v in samples.items()}
    rows = []
    name = "spawn ./run.sh → first tools/list answer"
    if "real" in stats:
        token_reqs = ctx.sim.stats()["token_requests"] - before
        ratio = stats["real"].median / stats["bare"].median
        rows.append(Row(GROUP, "spawn", name, value=stats["real"],
                        baseline_name="bare MCPServer, one trivial tool", baseline=stats["bare"],
                        target=f"≤ {TARGET_RATIO}×", met=ratio <= TARGET_RATIO,
                        note=f"token requests during the spawns: {token_reqs} (token valid: expect 0)"))
    else:
        rows.append(na_row(GROUP, "spawn", name, gone, baseline_name="bare MCPServer, one trivial tool",
                           baseline=stats["bare"], target=f"≤ {TARGET_RATIO}×"))
    if "direct" in stats:
        rows.append(Row(GROUP, "spawn_direct", "spawn python zoom_mcp.py (no run.sh) → tools/list (context)",
                        value=stats["direct"], baseline_name="bare MCPServer", baseline=stats["bare"],
                        note=f"run.sh adds {stats['real'].median - stats['direct'].median:.0f} ms (median)"))
        rows.append(token_check_row(ctx, env_file, runs))
    rows.append(Row(GROUP, "spawn_lowlevel", "spawn lowlevel Server → tools/list (context)",
                    value=stats["lowlevel"], baseline_name="bare MCPServer", baseline=stats["bare"]))
    rows.extend(importtime_rows(ctx, env_file))
    return rows


def token_check_row(ctx: Ctx, env_file, runs: int) -> Row:
    """What run.sh does before exec: get_zoom_token.sh -q with a valid token (no request)."""
    env = ctx.shell_env(env_file)
    bash = shutil.which("bash") or "/bin/bash"
    script = [str(ROOT / "scripts" / "get_zoom_token.sh"), "-q"]
    timed_run(script, env=env)
    fig, base = [], []
    for _ in range(runs * 2):
        base.append(timed_run([bash, "-c", ":"])[0])
        fig.append(timed_run(script, env=env)[0])
    return Row(GROUP, "run_sh_check", "run.sh's token check: get_zoom_token.sh -q, valid token (context)",
               value=Stat.of(fig), baseline_name="bash -c :", baseline=Stat.of(base))


def parse_importtime(text: str) -> list[dict]:
    """`-X importtime` lines → [{"module", "self_us", "cumulative_us", "depth"}] in file order."""
    out = []
    for line in text.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            out.append({"module": m.group(4), "self_us": int(m.group(1)), "cumulative_us": int(m.group(2)),
                        "depth": len(m.group(3)) // 2})
    return out


def subtree(entries: list[dict], module: str) -> list[dict]:
    """The entries imported under the top-level import of `module` (importtime lists children before
    their parent), the module itself last."""
    end = next(i for i in range(len(entries) - 1, -1, -1)
               if entries[i]["module"] == module and entries[i]["depth"] == 0)
    start = end
    while start > 0 and entries[start - 1]["depth"] > 0:
        start -= 1
    return entries[start:end + 1]


def _importtime(module: str, env: dict, runs: int) -> tuple[Stat, list[dict]]:
    """`runs` fresh interpreters; (cumulative ms of `module`, the last run's subtree)."""
    totals, tree = [], []
    for _ in range(runs):
        cp = subprocess.run([PY, "-X", "importtime", "-c", f"import {module}"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
        if cp.returncode != 0:
            raise RuntimeError(f"import {module} failed: {cp.stderr[-500:]}")
        tree = subtree(parse_importtime(cp.stderr), module)
        totals.append(tree[-1]["cumulative_us"] / 1000)
    return Stat.of(totals), tree


def importtime_rows(ctx: Ctx, env_file) -> list[Row]:
    name = "import zoom_mcp (python -X importtime, cumulative)"
    gone = missing("zoom_mcp.py")
    # The bare server's imports are the floor: `import mcp.server` is what any MCPServer pays.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
    if env_file is not None:
        env.update(ctx.server_env(env_file))
    runs = iterations(5, 1)
    base, _ = _importtime("mcp.server", env, runs)
    if gone:
        return [na_row(GROUP, "importtime", name, f"missing: {gone}", baseline_name="import mcp.server",
                       baseline=base)]
    total, tree = _importtime("zoom_mcp", env, runs)
    direct = sorted((e for e in tree if e["depth"] == 1), key=lambda e: -e["cumulative_us"])
    heavy = [e for e in sorted(tree, key=lambda e: -e["cumulative_us"]) if e["cumulative_us"] >= 5000]
    ctx.extra["importtime"] = {
        "command": 'python -X importtime -c "import zoom_mcp"',
        "total_ms": total.median,
        "mcp_server_ms": base.median,
        "direct_imports": [{"module": e["module"], "cumulative_ms": e["cumulative_us"] / 1000,
                            "self_ms": e["self_us"] / 1000} for e in direct],
        "over_5ms": [{"module": e["module"], "cumulative_ms": e["cumulative_us"] / 1000, "depth": e["depth"]}
                     for e in heavy[:40]],
    }
    top = ", ".join(f"{e['module']} {e['cumulative_us'] / 1000:.0f}" for e in direct[:6])
    return [Row(GROUP, "importtime", name, value=total, baseline_name="import mcp.server", baseline=base,
                note=f"informational; heaviest direct imports of zoom_mcp, last run (ms): {top}")]


def measure(ctx: Ctx) -> list[Row]:
    return anyio.run(_measure, ctx)


MEASUREMENTS = [("spawn", "cold start", measure)]
