"""6. Concurrency: 8 clients × 200 `zoom_get_meeting` calls at once vs one client alone.

Transport choice: ONE streamable-HTTP server (`./run.sh` with ZOOM_MCP_TRANSPORT=http on a free loopback
port) and 8 MCP client sessions to it. That is the only set-up in which several clients share one server
process, so it is where the server's shared state shows: the one keep-alive requests.Session and its
connection pool, the token lookup under the monitor's locks, the SDK's worker threads, the GIL. With
stdio every client gets its own server process and the figure would measure the 2-core machine, not the
server. The 8 sessions run as tasks in this process (each its own HTTP connection).

Single-client figures come from the same server in the same run (rounds alternate single/concurrent);
the same pair for the bare MCPServer over HTTP (bench/bare_server.py --http) is shown for context: the
SDK's own scaling.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time

import anyio

from bench.common import (
    BENCH_DIR,
    PY,
    ROOT,
    SERVER_PIECES,
    Ctx,
    Row,
    Stat,
    free_port,
    iterations,
    missing,
    ms_since,
    na_row,
    port_open,
    stop_process,
    tool_ok,
    wait_for,
)
from bench.overhead import first_meeting_id, read_token

GROUP = "concurrency"
CLIENTS = 8
INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")


@contextlib.contextmanager
def http_server(argv: list[str], env: dict[str, str], port: int, log_path):
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            wait_for(lambda: port_open(port) or proc.poll() is not None, 60, f"{argv[0]} to listen on {port}")
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[-1]} exited {proc.returncode}: "
                                   f"{log_path.read_text(errors='replace')[-600:]}")
            yield proc
        finally:
            stop_process(proc)


# The server's HTTP transport wants a bearer token; the bare server ignores the header.
HTTP_TOKEN = secrets.token_urlsafe(32)


@contextlib.asynccontextmanager
async def _session(url: str):
    """An MCP client session over streamable HTTP, sending the bearer token."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    auth = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    timeout = httpx2.Timeout(30, read=300)  # the SDK's own defaults
    async with httpx2.AsyncClient(headers=auth, timeout=timeout) as http, \
            Client(streamable_http_client(url, http_client=http)) as c:
        yield c


async def _client_run(url: str, tool: str, args: dict, calls: int, lat: list[float], ends: list[float],
                      ready: anyio.Event, go: anyio.Event) -> None:
    async with _session(url) as c:
        tool_ok(await c.call_tool(tool, args), tool)  # warm
        ready.set()
        await go.wait()
        for _ in range(calls):
            t0 = time.perf_counter_ns()
            tool_ok(await c.call_tool(tool, args), tool)
            lat.append(ms_since(t0))
        ends.append(time.perf_counter())


async def _single(url: str, tool: str, args: dict, calls: int) -> tuple[list[float], float]:
    lat: list[float] = []
    async with _session(url) as c:
        tool_ok(await c.call_tool(tool, args), tool)
        t0 = time.perf_counter()
        for _ in range(calls):
            t1 = time.perf_counter_ns()
            tool_ok(await c.call_tool(tool, args), tool)
            lat.append(ms_since(t1))
        return lat, calls / (time.perf_counter() - t0)


async def _concurrent(url: str, tool: str, args: dict, calls: int) -> tuple[list[float], float]:
    """8 sessions connect and warm up first; then all start together; throughput over the whole burst."""
    lats = [[] for _ in range(CLIENTS)]
    readies = [anyio.Event() for _ in range(CLIENTS)]
    go = anyio.Event()
    ends: list[float] = []
    async with anyio.create_task_group() as tg:
        for i in range(CLIENTS):
            tg.start_soon(_client_run, url, tool, args, calls, lats[i], ends, readies[i], go)
        for r in readies:
            await r.wait()
        t0 = time.perf_counter()
        go.set()
    # The burst ends when the last client's last call returns (not when the sessions have closed).
    return [x for lat in lats for x in lat], CLIENTS * calls / (max(ends) - t0)


async def _pair(url: str, tool: str, args: dict, calls: int, rounds: int):
    single_lat, single_tp, conc_lat, conc_tp = [], [], [], []
    for _ in range(rounds):
        lat, tp = await _single(url, tool, args, calls)
        single_lat += lat
        single_tp.append(tp)
        lat, tp = await _concurrent(url, tool, args, calls)
        conc_lat += lat
        conc_tp.append(tp)
    return Stat.of(single_lat), Stat.of(single_tp), Stat.of(conc_lat), Stat.of(conc_tp)


def _rows(prefix: str, key: str, calls: int, s_lat, s_tp, c_lat, c_tp, note: str) -> list[Row]:
    return [
        Row(GROUP, f"{key}_throughput", f"{prefix}: throughput, {CLIENTS} clients × {calls} calls",
            unit="calls/s", value=c_tp, baseline_name="1 client alone", baseline=s_tp, note=note),
        Row(GROUP, f"{key}_latency", f"{prefix}: per-call latency, {CLIENTS} clients at once",
            value=c_lat, baseline_name="1 client alone", baseline=s_lat),
    ]


def measure(ctx: Ctx) -> list[Row]:
    calls = iterations(200, 10)
    rounds = iterations(2, 1)
    base_env = {k: os.environ[k] for k in INHERITED if k in os.environ}
    rows: list[Row] = []
    gone = ctx.why_no_sim if ctx.sim is None else (missing(*SERVER_PIECES) and
                                                   f"missing: {missing(*SERVER_PIECES)}")
    note = "one streamable-HTTP server, 8 sessions (see bench/concurrency.py)"
    if gone:
        rows += [na_row(GROUP, "server_throughput", f"zoom_get_meeting: throughput, {CLIENTS} clients × "
                        f"{calls} calls", gone, unit="calls/s", baseline_name="1 client alone"),
                 na_row(GROUP, "server_latency",
                        f"zoom_get_meeting: per-call latency, {CLIENTS} clients at once", gone,
                        baseline_name="1 client alone")]
    else:
        import requests

        d = ctx.tmpdir("concurrency")
        env_file = ctx.env_file(d)
        ctx.claude_config(d)
        with requests.Session() as http:
            meeting_id = first_meeting_id(http, ctx.sim.api_url, read_token(env_file))
        port = free_port()
        env = dict(base_env, **ctx.server_env(env_file, ZOOM_MCP_TRANSPORT="http", ZOOM_MCP_PORT=str(port),
                                              ZOOM_MCP_HTTP_TOKEN=HTTP_TOKEN))
        with http_server([str(ROOT / "run.sh")], env, port, ctx.log_path("concurrency-server")):
            url = f"http://127.0.0.1:{port}/mcp"
            got = anyio.run(_pair, url, "zoom_get_meeting", {"meeting_id": meeting_id}, calls, rounds)
        rows += _rows("zoom_get_meeting", "server", calls, *got, note=note)
    port = free_port()
    with http_server([PY, str(BENCH_DIR / "bare_server.py"), "--http", str(port)], dict(base_env), port,
                     ctx.log_path("concurrency-bare")):
        got = anyio.run(_pair, f"http://127.0.0.1:{port}/mcp", "noop", {}, calls, rounds)
    rows += _rows("bare MCPServer no-op (context)", "bare", calls, *got, note="same set-up, SDK floor")
    return rows


MEASUREMENTS = [("throughput", "concurrency", measure)]
