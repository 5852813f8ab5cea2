"""make demo: the whole thing on the built-in Zoom simulator, no Zoom account needed.

Starts the simulator on a free loopback port with short-lived tokens, writes a
demo .env and a demo Claude Desktop config in a temp folder (never the user's),
runs ./run.sh over streamable HTTP on another free loopback port with Claude
restarts disabled, prints how to talk to it, and streams the server's stderr so
the monitor's auto-refresh sequence shows within a minute. Ctrl-C (or SIGTERM,
SIGHUP when the terminal closes, or DEMO_SECONDS=n) stops everything it started
and removes the temp folder (it holds a live token).

Optional: DEMO_SECONDS (stop by itself), DEMO_TOKEN_TTL (default 330 s),
ZOOM_TOKEN_DISPLAY_INTERVAL (default here 15 s).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from http_transport import token_file

ROOT = Path(__file__).resolve().parent
CREDENTIALS = {"ZOOM_ACCOUNT_ID": "demo-account", "ZOOM_CLIENT_ID": "demo-client-id",
               "ZOOM_CLIENT_SECRET": "demo-client-secret"}  # the simulator's own, not a real secret
LOOPBACK = ("127.0.0.1", "localhost")
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
SIM_START_TIMEOUT = 30.0  # seconds for the simulator to print its listening line


def say(line: str = "") -> None:
    """Print a line; a dead terminal (closed window, SIGHUP) or a closed pipe is not an error."""
    try:
        print(line, flush=True)
    except (OSError, ValueError):  # BrokenPipeError and EIO are OSErrors
        # Nobody reads us any more: send the rest (and the flush at exit) to /dev/null.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit


def without_proxy_for_loopback(env: dict) -> dict:
    """NO_PROXY/no_proxy with 127.0.0.1 and localhost first, then whatever the user had: curl and
    requests both honour http_proxy/HTTPS_PROXY, and would send the demo's loopback traffic there."""
    mine = [h.strip() for name in ("NO_PROXY", "no_proxy") for h in (env.get(name) or "").split(",")]
    hosts = list(dict.fromkeys([*LOOPBACK, *(h for h in mine if h)]))
    env["NO_PROXY"] = env["no_proxy"] = ",".join(hosts)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_group(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    """SIGTERM the process group we created, then SIGKILL what is left after `grace`."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            # the leader is gone; anything else left in its group gets the same signal
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
        break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def first_line(proc: subprocess.Popen, stop: threading.Event, timeout: float) -> str | None:
    """The first line proc writes on stdout, read with a deadline (a plain readline would block
    for ever, Ctrl-C included, if it never came); None when `stop` is set first."""
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        if stop.is_set():
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"the simulator did not say it was listening within {timeout:g}s")
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))  # 0.1 s: notice `stop` promptly
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:  # it exited
                break
            data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


def start_simulator(ttl: int, env: dict, stop: threading.Event, argv: list[str] | None = None,
                    timeout: float = SIM_START_TIMEOUT) -> tuple[subprocess.Popen, str] | None:
    """The simulator and its URL; None when `stop` was set while it started (it is stopped then)."""
    sim = subprocess.Popen(
        argv or [sys.executable, "-m", "zoomsim", "--host", "127.0.0.1", "--port", "0",
                 "--token-ttl", str(ttl)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: we stop it, not the terminal
    )
    try:
        line = first_line(sim, stop, timeout)  # `Zoom simulator listening on http://127.0.0.1:PORT`
    except BaseException:
        stop_group(sim)
        raise
    if line is None:
        stop_group(sim)
        return None
    if not line.startswith("Zoom simulator listening on "):
        stop_group(sim)
        raise RuntimeError(f"the simulator did not start (said {line!r})")
    return sim, line.rsplit(" ", 1)[1]


def write_demo_files(folder: Path, sim_url: str) -> tuple[Path, Path]:
    env_file = folder / ".env"
    lines = ["# zoom-mcp demo: credentials of the local Zoom simulator, not a real account"]
    lines += [f"{k}={v}" for k, v in CREDENTIALS.items()]
    lines += [f"ZOOM_OAUTH_URL={sim_url}/oauth/token", f"ZOOM_API_BASE_URL={sim_url}/v2",
              "ZOOM_ACCESS_TOKEN=", "ZOOM_TOKEN_EXPIRES_AT="]
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    config = folder / "claude_desktop_config.json"
    entry = {"command": str(ROOT / "run.sh"), "env": {"ZOOM_ENV_FILE": str(env_file)}}
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"mcpServers": {"zoom": entry}}, f, indent=2)
    return env_file, config


def server_env(base: dict, env_file: Path, config: Path, sim_url: str, port: int) -> dict:
    env = {k: v for k, v in base.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
    # The user's own ZOOM_* must not leak in: the environment wins over .env in the kit.
    env.update(CREDENTIALS)
    env.update({
        "ZOOM_ENV_FILE": str(env_file), "CLAUDE_CONFIG_FILE": str(config), "CLAUDE_MCP_SERVER_NAME": "zoom",
        "ZOOM_OAUTH_URL": f"{sim_url}/oauth/token", "ZOOM_API_BASE_URL": f"{sim_url}/v2",
        "ZOOM_RESTART_CLAUDE": "0", "ZOOM_MCP_TRANSPORT": "http", "ZOOM_MCP_PORT": str(port),
        "ZOOM_TOKEN_DISPLAY_INTERVAL": base.get("ZOOM_TOKEN_DISPLAY_INTERVAL", "15"),
        "PYTHONUNBUFFERED": "1",
    })
    without_proxy_for_loopback(env)
    for name in ("ZOOM_AUTO_REFRESH_THRESHOLD", "ZOOM_REFRESH_COOLDOWN", "ZOOM_MAX_REFRESH_FAILURES",
                 "ZOOM_LOG_LEVEL"):
        if name in base:
            env[name] = base[name]
    return env


def stream(pipe, prefix: str = "") -> None:
    for line in pipe:
        say(prefix + line.rstrip("\n"))


def instructions(url: str, token_file: Path) -> None:
    """How to talk to the demo. The HTTP transport wants a bearer token: the server made one in the
    demo folder, and the commands read it from there, so it never shows on the terminal (nor in
    anything that records it); it is removed with the folder."""
    bearer = f'"Authorization: Bearer $(cat {token_file})"'
    say("━" * 60)
    say("✅ zoom-mcp demo is running: MCP server over streamable HTTP, Zoom simulated locally.")
    say(f"   URL:            {url}")
    say(f"   Bearer token:   in {token_file} (every request must send 'Authorization: Bearer <token>')")
    say(f"   MCP Inspector:  npx @modelcontextprotocol/inspector --cli {url} --transport http "
        f"--method tools/list --header {bearer}")
    say(f"   curl:           curl -si {url} -H {bearer}   (a wrong or missing token: 401)")
    say("   Python client (one shot):")
    say(f"""     {ROOT / '.venv/bin/python'} -c 'import asyncio, pathlib, httpx2, mcp
from mcp.client.streamable_http import streamable_http_client
async def main():
    token = pathlib.Path("{token_file}").read_text().strip()
    async with httpx2.AsyncClient(headers={{"Authorization": "Bearer " + token}}) as http:
        async with mcp.Client(streamable_http_client("{url}", http_client=http)) as c:
            r = await c.call_tool("zoom_token_status", {{}})
            print(r.structured_content or r.content)
asyncio.run(main())'""")
    if any(os.environ.get(name) for name in PROXY_VARS):
        say("   (Your environment sets a proxy: start these with NO_PROXY=127.0.0.1,localhost)")
    say("   Tokens live a few minutes here, so the monitor's auto-refresh shows within a minute.")
    say("   Press Ctrl-C to stop; everything the demo started is stopped and its files removed.")
    say("━" * 60)


def main() -> int:
    stop = threading.Event()
    # Ctrl-C, kill, and the terminal closing (SIGHUP) all end the demo the same clean way.
    stop_signals = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    for sig in stop_signals:
        signal.signal(sig, lambda *_: stop.set())
    seconds = float(os.environ.get("DEMO_SECONDS") or 0)
    ttl = int(os.environ.get("DEMO_TOKEN_TTL") or 330)

    folder = Path(tempfile.mkdtemp(prefix="zoom-mcp-demo-"))
    sim = server = None
    code = 0
    try:
        sim_env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOMSIM_")}
        sim_env.update({"ZOOMSIM_" + k[5:]: v for k, v in CREDENTIALS.items()})
        started = start_simulator(ttl, without_proxy_for_loopback(sim_env), stop)
        if started is None:  # stopped while the simulator started
            return code
        sim, sim_url = started
        env_file, config = write_demo_files(folder, sim_url)
        port = free_port()
        say(f"🧪 Zoom simulator on {sim_url} (tokens live {ttl}s); demo files in {folder}")
        server = subprocess.Popen(
            [str(ROOT / "run.sh")], cwd=folder, env=server_env(os.environ, env_file, config, sim_url, port),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", errors="replace", start_new_session=True,
        )
        say(f"🚀 Started: simulator (pid {sim.pid}), server (pid {server.pid}) on port {port}")
        for pipe in (server.stderr, server.stdout):
            threading.Thread(target=stream, args=(pipe,), daemon=True).start()

        deadline = time.monotonic() + 60
        while not port_open(port):
            if server.poll() is not None or stop.is_set() or time.monotonic() > deadline:
                break
            stop.wait(0.1)
        if server.poll() is not None or not port_open(port):
            if not stop.is_set():
                say(f"ERROR: the server did not start listening on port {port} (exit {server.poll()})")
                code = 1
        else:
            instructions(f"http://127.0.0.1:{port}/mcp", token_file(env_file))
            end = time.monotonic() + seconds if seconds > 0 else None
            while not stop.is_set():
                if server.poll() is not None:
                    say(f"ERROR: the server stopped (exit {server.returncode})")
                    code = 1
                    break
                if end is not None and time.monotonic() >= end:
                    break
                stop.wait(0.5 if end is None else max(min(0.5, end - time.monotonic()), 0))
    except (RuntimeError, OSError) as exc:
        say(f"ERROR: {exc}")
        code = 1
    finally:
        for sig in stop_signals:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        # Stop everything first, print after: on a closed terminal (SIGHUP) printing may fail, and
        # nothing may stay behind because of that — the folder holds a live token.
        stop_group(server)
        stop_group(sim)
        shutil.rmtree(folder, ignore_errors=True)
        say("👋 Demo stopped; nothing left running, demo files removed.")
    return code


if __name__ == "__main__":
    sys.exit(main())
