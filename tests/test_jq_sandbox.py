"""No filter of the model's is compiled or run in the server process (issue 10, items 1, 2 and 7).

In process: JqPool.check() compiles in a worker and remembers what compiled; the text checks refuse
directives before any worker starts; a worker cannot open a file even if a directive got through; a
worker killed while idle is replaced without the caller noticing. Then the real server (./run.sh,
the official MCP client): jq is never loaded into it, and a compile-time memory bomb is refused while
another call answers, shown by ordering (the other call answered while the bomb's worker was alive).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

import jq_sandbox
from zoom_tools import base
from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
LINUX = Path("/proc/self/task").exists()
needs_proc = pytest.mark.skipif(not LINUX, reason="needs Linux /proc")
# Three gigabyte strings, built by jq's constant folding while it compiles: more than a worker's 2 GiB.
BOMB = '[("a"*1e9),("a"*1e9),("a"*1e9)] | length'


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def pool():
    p = jq_sandbox.JqPool(timeout=30)
    yield p
    p.close()


def state(pid: int) -> str:
    """The process's state letter from /proc (R, S, T, Z...), or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def wait_until(cond, what: str, deadline: float = 30) -> None:
    """Poll cond; the deadline only bounds a hang."""
    end = time.monotonic() + deadline
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.01)


# -- in process -------------------------------------------------------------------------------------


def test_check_compiles_in_a_worker_and_refuses_with_jqs_message(pool):
    pool.check(".a | length")
    assert len(pool.pids()) == 1  # it took a worker to compile
    with pytest.raises(jq_sandbox.JqError) as err:
        pool.check(".[broken")
    assert str(err.value).startswith("Invalid jq filter '.[broken': jq: error: syntax error")
    # A filter that closes the sandbox's parenthesis is refused like any syntax error.
    with pytest.raises(jq_sandbox.JqError, match="Invalid jq filter"):
        pool.check(".a) | (.b")
    assert pool.run(".a | length", '{"a": [1, 2, 3]}') == '{"result":3}'


def test_directives_are_refused_before_any_worker_starts(pool):
    for expr in ('include "leakmod" {search: "/tmp"}; .', 'import "x" as $d; $d', "module {}; ."):
        with pytest.raises(jq_sandbox.JqError, match="directives are not allowed"):
            pool.check(expr)
    for expr, says in ((".a\0 | env", "NUL character"), ('"\ud800"', "not valid Unicode")):
        with pytest.raises(jq_sandbox.JqError, match=says):
            pool.check(expr)
    assert pool.pids() == []


def test_what_compiled_is_remembered_within_a_bound():
    p = jq_sandbox.JqPool(verdicts=2)
    try:
        for expr in (".a", ".b", ".c"):
            p.check(expr)
        assert [p.known(e) for e in (".a", ".b", ".c")] == [False, True, True]
        with contextlib.suppress(jq_sandbox.JqError):
            p.check(".[")
        assert not p.known(".[")  # only what compiled
    finally:
        p.close()


def test_a_worker_cannot_open_files_even_if_a_directive_got_through(tmp_path, monkeypatch, pool):
    """Defence in depth: with the text check switched off, the worker still reads nothing."""
    (tmp_path / "leakmod.jq").write_text("SECRET_LINE_OF_THE_FILE here\n")
    monkeypatch.setattr(jq_sandbox, "refuse_unsafe", lambda expr: None)
    with pytest.raises(jq_sandbox.JqError) as err:
        pool.check(f'include "leakmod" {{search: "{tmp_path}"}}; .')
    assert "SECRET_LINE" not in str(err.value)
    assert "Could not open" in str(err.value)


def test_the_server_process_never_imports_jq(tmp_path):
    """A fresh interpreter (pytest itself may have imported jq): zoom_mcp with a filter, checked and
    run through the in-memory MCP client; jq is never in sys.modules."""
    script = """
import sys, anyio
sys.path.insert(0, sys.argv[1])
from mcp import Client
import jq_sandbox, zoom_mcp

class Status:
    def status(self):
        return {"state": "fresh", "seconds_left": 3000}

async def main():
    pool = jq_sandbox.JqPool()
    async with Client(zoom_mcp.create_server(None, Status(), jq_pool=pool)) as c:
        good = await c.call_tool("zoom_token_status", {"jq": "{left: .seconds_left}"})
        bad = await c.call_tool("zoom_token_status", {"jq": ".[broken"})
    pool.close()
    assert good.structured_content == {"left": 3000}, good
    assert bad.is_error and "Invalid jq filter" in bad.content[0].text, bad
    print("jq" in sys.modules, "jq_sandbox" in sys.modules)

anyio.run(main)
"""
    out = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


@needs_proc
def test_a_worker_killed_while_idle_is_replaced_and_the_caller_sees_nothing(pool):
    assert pool.run(".a", '{"a": 1}') == '{"result":1}'
    (idle,) = pool.pids()
    os.kill(idle, signal.SIGKILL)
    wait_until(lambda: state(idle) in ("Z", ""), "the worker to die")
    assert pool.run(".a", '{"a": 2}') == '{"result":2}'
    assert idle not in pool.pids()


def pending_bytes(pid: int) -> int:
    """Bytes waiting in the process's stdin pipe (opened anew through /proc: the same pipe)."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    finally:
        os.close(fd)


@needs_proc
def test_a_worker_killed_after_the_job_was_sent_but_before_it_read_it_is_replaced(pool):
    pool.check(".a")
    (idle,) = pool.pids()
    os.kill(idle, signal.SIGSTOP)  # it can no longer read its stdin
    answers: list = []
    caller = threading.Thread(target=lambda: answers.append(pool.run(".a", '{"a": 3}')))
    caller.start()
    try:
        wait_until(lambda: pending_bytes(idle) > 0, "the job to be written to the stopped worker")
    finally:
        os.kill(idle, signal.SIGKILL)  # dies with the job unread in its pipe
    caller.join(timeout=30)
    assert answers == ['{"result":3}']
    assert idle not in pool.pids()


@needs_proc
def test_a_filter_that_kills_its_worker_is_an_error_not_retried_for_ever(pool):
    with pytest.raises(jq_sandbox.JqError, match=r"compiling it (stopped the evaluator|took longer)"):
        pool.check(BOMB)
    assert pool.run(".a", '{"a": 4}') == '{"result":4}'  # and the pool goes on


@pytest.mark.anyio
@needs_proc
async def test_cancelling_a_call_stops_its_compile():
    p = jq_sandbox.JqPool(timeout=60)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(base.check_filter, p, BOMB)
            with anyio.fail_after(30):
                while not p.pids():
                    await anyio.sleep(0.01)
            (worker,) = p.pids()
            tg.cancel_scope.cancel()
        with anyio.fail_after(10):
            while state(worker) not in ("Z", ""):
                await anyio.sleep(0.01)
        assert not p.known(BOMB)
    finally:
        p.close()


# -- the real server ---------------------------------------------------------------------------------


def write_env(path: Path, sim: ZoomSimulator) -> Path:
    token, ttl = sim.issue_token()
    text = (
        f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
        f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_ACCESS_TOKEN={token}\n"
        f"ZOOM_TOKEN_EXPIRES_AT={int(time.time()) + ttl}\nZOOM_OAUTH_URL={sim.oauth_url}\n"
        f"ZOOM_API_BASE_URL={sim.api_url}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out.update(int(c) for c in (task / "children").read_text().split())
    return out


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@pytest.mark.anyio
@needs_proc
async def test_the_real_server_refuses_a_compile_bomb_while_another_call_answers(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp_path / ".env", sim)
        params = StdioServerParameters(command=str(ROOT / "run.sh"), env={
            "ZOOM_ENV_FILE": str(env_file), "ZOOM_API_BASE_URL": sim.api_url, "ZOOM_OAUTH_URL": sim.oauth_url,
            "CLAUDE_CONFIG_FILE": str(tmp_path / "claude.json"), "ZOOM_RESTART_CLAUDE": "0",
            "ZOOM_TOKEN_DISPLAY_INTERVAL": "0", "ZOOM_JQ_TIMEOUT": "30",
        })
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(open(tmp_path / "stderr.log", "w"))  # noqa: SIM115 - the stack closes it
            before = children(os.getpid())
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            (server,) = [p for p in children(os.getpid()) - before
                         if b"zoom_mcp.py" in Path(f"/proc/{p}/cmdline").read_bytes()]
            ok = await client.call_tool("zoom_get_user", {"jq": "{email}"})
            assert not ok.is_error
            maps = Path(f"/proc/{server}/maps").read_text()
            assert "jq.cpython" not in maps and "libjq" not in maps  # jq never loaded in the server
            sim.clear_requests()

            answer: dict = {}

            async def bomb():
                answer["bomb"] = await client.call_tool("zoom_get_user", {"jq": BOMB})

            async with anyio.create_task_group() as tg:
                tg.start_soon(bomb)

                def building() -> int | None:  # the worker whose memory grows: it is compiling the bomb
                    return next((w for w in children(server) if status_kib(w, "VmRSS") > 256 * 1024), None)

                with anyio.fail_after(60):
                    while (worker := building()) is None:
                        await anyio.sleep(0.02)
                os.kill(worker, signal.SIGSTOP)  # hold the bomb mid-compile, alive
                try:
                    for _ in range(3):
                        status = await client.call_tool("zoom_token_status", {})
                        assert not status.is_error
                    # Ordering: these answered while the bomb's worker was alive and its call open.
                    assert state(worker) == "T" and "bomb" not in answer
                finally:
                    os.kill(worker, signal.SIGCONT)
            refused = answer["bomb"]
            assert refused.is_error
            assert re.search(r"Invalid jq filter .*: compiling it (stopped the evaluator \(more than 2 GiB"
                             r"|took longer than)", refused.content[0].text)
            assert sim.requests(route="api") == []  # refused before any Zoom request
            assert status_kib(server, "VmHWM") < 512 * 1024  # the gigabytes were the worker's, not ours
            again = await client.call_tool("zoom_get_user", {"jq": ".email"})
            assert not again.is_error  # a fresh worker took over
