"""7. Footprint.

- Memory: VmRSS (/proc/<pid>/status) of the server's python process (run.sh execs python, so the pid the
  client spawned is the server's) after start (initialize + tools/list) and after 10,000
  `zoom_get_meeting` calls over stdio, vs the bare MCPServer after start and after as many no-op calls.
  RSS is also sampled every 1,000 calls (JSON "extra") to show a trend rather than one end point.
- Idle CPU and wake-ups over a 60 s window (BENCH_IDLE_SECONDS; 3 s in quick mode) with default
  settings (display every 60 s, threshold 300 s; only the restart is disabled), three processes idle at
  once: the monitor alone (`python token_monitor.py`, as `make monitor` runs it), the whole server
  (`./run.sh`, stdio, no client traffic), and the bare MCPServer (the baseline). CPU = Δ(utime+stime)
  from /proc/<pid>/stat over the window; wake-ups = Δ voluntary context switches summed over every
  thread (/proc/<pid>/task/*/status), per minute. (The monitor exposes no loop counter, so context
  switches it is; they count every wake-up of every thread, an upper bound on the monitor loop's own.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time

import anyio

from bench.common import (
    BENCH_DIR,
    PY,
    QUICK,
    ROOT,
    SERVER_PIECES,
    Ctx,
    Row,
    Stat,
    bare_session,
    cmdline,
    cpu_ticks,
    iterations,
    missing,
    na_row,
    run_sh_session,
    stop_process,
    thread_count,
    tool_ok,
    vm_rss_kib,
    voluntary_switches,
    wait_for,
)
from bench.overhead import first_meeting_id, read_token

GROUP = "footprint"
CPU_TARGET_PCT = 0.5
INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")


def _mib(kib: int) -> float:
    return kib / 1024


async def _rss(ctx: Ctx) -> list[Row]:
    calls = iterations(10_000, 100)
    step = max(calls // 10, 1)
    gone = ctx.why_no_sim if ctx.sim is None else (missing(*SERVER_PIECES) and
                                                   f"missing: {missing(*SERVER_PIECES)}")
    trend: dict[str, list] = {}
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    threads: dict[str, int] = {}
    fds: dict[str, int] = {}
    async with contextlib.AsyncExitStack() as stack:
        sessions = {}
        b = await stack.enter_async_context(bare_session(ctx, "bare_server.py", "footprint-bare"))
        sessions["bare"] = (b, "noop", {})
        if not gone:
            import requests

            d = ctx.tmpdir("footprint")
            env_file = ctx.env_file(d)
            ctx.claude_config(d)
            with requests.Session() as http:
                mid = first_meeting_id(http, ctx.sim.api_url, read_token(env_file))
            s = await stack.enter_async_context(run_sh_session(ctx, env_file, "footprint-server"))
            sessions["server"] = (s, "zoom_get_meeting", {"meeting_id": mid})
        for k, (sess, _, _) in sessions.items():
            await sess.client.list_tools()
            if sess.pid is None or "python" not in cmdline(sess.pid):
                raise RuntimeError(f"could not find the {k} python process (pid {sess.pid})")
            start[k] = vm_rss_kib(sess.pid)
            trend[k] = [(0, start[k])]
        done = 0
        while done < calls:
            n = min(step, calls - done)
            for k, (sess, tool, args) in sessions.items():
                for _ in range(n):
                    tool_ok(await sess.client.call_tool(tool, args), tool)
                trend[k].append((done + n, vm_rss_kib(sess.pid)))
            done += n
        for k, (sess, _, _) in sessions.items():
            end[k] = vm_rss_kib(sess.pid)
            threads[k] = thread_count(sess.pid)
            fds[k] = len(os.listdir(f"/proc/{sess.pid}/fd"))
    ctx.extra["rss_trend_kib"] = {k: [{"calls": c, "rss_kib": r} for c, r in v] for k, v in trend.items()}
    bare_start, bare_end = Stat.count(_mib(start["bare"])), Stat.count(_mib(end["bare"]))
    bare_growth = Stat.count(_mib(end["bare"] - start["bare"]))
    warm = trend["bare"][1][0]
    names = ("server RSS after start", f"server RSS after {calls} calls",
             f"server RSS growth over {calls} calls", f"server RSS growth from call {warm} to {calls}")

    def steady(k: str) -> Stat:
        return Stat.count(_mib(end[k] - trend[k][1][1]))

    if gone:
        return [na_row(GROUP, "rss_start", names[0], gone, unit="MiB", baseline_name="bare MCPServer",
                       baseline=bare_start),
                na_row(GROUP, "rss_end", names[1], gone, unit="MiB", baseline_name="bare MCPServer",
                       baseline=bare_end),
                na_row(GROUP, "rss_growth", names[2], gone, unit="MiB", baseline_name="bare MCPServer",
                       baseline=bare_growth),
                na_row(GROUP, "rss_steady", names[3], gone, unit="MiB", baseline_name="bare MCPServer",
                       baseline=steady("bare"))]
    growth = _mib(end["server"] - start["server"])
    return [
        Row(GROUP, "rss_start", names[0], unit="MiB", value=Stat.count(_mib(start["server"])),
            baseline_name="bare MCPServer", baseline=bare_start),
        Row(GROUP, "rss_end", names[1], unit="MiB", value=Stat.count(_mib(end["server"])),
            baseline_name=f"bare MCPServer after {calls} no-op calls", baseline=bare_end,
            note=f"threads {threads['server']} (bare {threads['bare']}), open fds {fds['server']} "
                 f"(bare {fds['bare']})"),
        Row(GROUP, "rss_growth", names[2], unit="MiB", value=Stat.count(growth),
            baseline_name="bare MCPServer growth", baseline=bare_growth,
            note="includes first-call warm-up (lazy imports, connection pool, caches)"),
        Row(GROUP, "rss_steady", names[3], unit="MiB", value=steady("server"),
            baseline_name="bare MCPServer, same span", baseline=steady("bare"),
            target="no growth beyond noise",
            note="no verdict: compare with the bare server's; RSS every 1/10 of the calls in the JSON "
                 "(extra.rss_trend_kib)"),
    ]


def rss(ctx: Ctx) -> list[Row]:
    return anyio.run(_rss, ctx)


@contextlib.contextmanager
def _idle_process(argv: list[str], env: dict[str, str], log_path, ready: str | None, exe_marker: str):
    """Start a process that stays idle (stdin an open pipe that never carries a byte); wait until it
    runs `exe_marker` and, when given, until its log shows `ready`."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=log, stderr=log)
        try:
            def up() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[-1]} exited {proc.returncode}: "
                                       f"{log_path.read_text(errors='replace')[-600:]}")
                if exe_marker not in cmdline(proc.pid):
                    return False
                return ready is None or ready in log_path.read_text(errors="replace")

            wait_for(up, 60, f"{argv[-1]} to start")
            yield proc
        finally:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            stop_process(proc)


def idle(ctx: Ctx) -> list[Row]:
    window = float(os.environ.get("BENCH_IDLE_SECONDS") or (3 if QUICK else 60))
    hz = os.sysconf("SC_CLK_TCK")
    base_env = {k: os.environ[k] for k in INHERITED if k in os.environ}
    gone_monitor = ctx.why_no_sim if ctx.sim is None else (missing("token_monitor.py") and
                                                           "missing: token_monitor.py")
    gone_server = ctx.why_no_sim if ctx.sim is None else (missing(*SERVER_PIECES) and
                                                          f"missing: {missing(*SERVER_PIECES)}")
    procs: dict[str, subprocess.Popen] = {}
    with contextlib.ExitStack() as stack:
        procs["bare"] = stack.enter_context(_idle_process(
            [PY, str(BENCH_DIR / "bare_server.py")], dict(base_env), ctx.log_path("idle-bare"), None,
            "bare_server.py"))
        if not (gone_monitor and gone_server):
            d = ctx.tmpdir("idle")
            env_file = ctx.env_file(d)
            ctx.claude_config(d)
            # Default settings: only the config file and the restart are pinned (never touch the user's).
            env = dict(base_env, **ctx.server_env(env_file))
            del env["ZOOM_TOKEN_DISPLAY_INTERVAL"]
            if not gone_monitor:
                procs["monitor"] = stack.enter_context(_idle_process(
                    [PY, str(ROOT / "token_monitor.py")], env, ctx.log_path("idle-monitor"), "Token Status",
                    "token_monitor.py"))
            if not gone_server:
                procs["server"] = stack.enter_context(_idle_process(
                    [str(ROOT / "run.sh")], env, ctx.log_path("idle-server"), "Token Status", "zoom_mcp.py"))
        time.sleep(min(1.0, window / 3))  # let start-up work finish before the window opens
        t0 = time.monotonic()
        before = {k: (cpu_ticks(p.pid), voluntary_switches(p.pid)) for k, p in procs.items()}
        time.sleep(window)
        after = {k: (cpu_ticks(p.pid), voluntary_switches(p.pid)) for k, p in procs.items()}
        elapsed = time.monotonic() - t0
    cpu = {k: (after[k][0] - before[k][0]) / hz / elapsed * 100 for k in procs}
    wake = {k: (after[k][1] - before[k][1]) * 60 / elapsed for k in procs}
    win = f"{elapsed:.0f} s idle window"
    rows = []
    for key, label, gone in (("monitor", "monitor alone (python token_monitor.py)", gone_monitor),
                             ("server", "whole server idle (./run.sh, monitor inside)", gone_server)):
        target = f"≤ {CPU_TARGET_PCT} % of a core" if key == "monitor" else ""
        if gone:
            rows.append(na_row(GROUP, f"{key}_cpu", f"{label}: CPU", gone, unit="%", target=target,
                               baseline_name="bare MCPServer idle", baseline=Stat.count(cpu["bare"])))
            rows.append(na_row(GROUP, f"{key}_wakeups", f"{label}: wake-ups per minute", gone, unit="/min",
                               baseline_name="bare MCPServer idle", baseline=Stat.count(wake["bare"])))
            continue
        rows.append(Row(GROUP, f"{key}_cpu", f"{label}: CPU", unit="%", value=Stat.count(cpu[key]),
                        baseline_name="bare MCPServer idle", baseline=Stat.count(cpu["bare"]), target=target,
                        met=(cpu[key] <= CPU_TARGET_PCT) if key == "monitor" else None,
                        note=f"{win}, default settings; clock tick {1000 / hz:g} ms"))
        rows.append(Row(GROUP, f"{key}_wakeups", f"{label}: wake-ups per minute", unit="/min",
                        value=Stat.count(wake[key]), baseline_name="bare MCPServer idle",
                        baseline=Stat.count(wake["bare"]),
                        note="voluntary context switches, all threads"))
    return rows


MEASUREMENTS = [
    ("rss", "server RSS", rss),
    ("idle", "idle CPU and wake-ups", idle),
]
