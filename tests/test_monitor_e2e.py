"""End to end: the monitor with the real scripts against the simulator, ./run.sh, and make demo.

No sleeps as synchronisation: every wait polls a condition (a line on stderr, a file, a
process state) with a bounded deadline.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dotenv import dotenv_values

import token_monitor as tm
from token_monitor import RULE, Settings, TokenMonitor, format_status

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
# No skip markers: the kit and the server exist, and a renamed file must fail these tests loudly.

DONE = "✅ Token refresh complete! New token is now active."


class Lines:
    """Collects a pipe's lines on a thread; wait_for() polls them with a deadline."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe):
        for line in pipe:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> int:
        """Index of the first line from `start` matching `pattern` (regex search)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    if re.search(pattern, self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n" + self.text())
                self._cond.wait(left)

    def text(self) -> str:
        return "\n".join(self.lines)


def claude_config(tmp_path: Path) -> Path:
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps({"globalShortcut": "Ctrl+Space", "mcpServers": {
        "other": {"command": "/bin/true"},
        "zoom": {"command": str(ROOT / "run.sh"), "env": {"ZOOM_ACCESS_TOKEN": "stale-token-0000"}}}}))
    return path


def config_token(path: Path) -> str:
    return json.loads(path.read_text())["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"]


def kit_env(env_file: Path, config: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
    env.update({"ZOOM_ENV_FILE": str(env_file), "CLAUDE_CONFIG_FILE": str(config),
                "ZOOM_RESTART_CLAUDE": "0"}, **extra)
    return env


def put_token(env_file: Path, token: str, expires_at: int) -> None:
    text = env_file.read_text()
    text = re.sub(r"(?m)^ZOOM_ACCESS_TOKEN=.*$", f"ZOOM_ACCESS_TOKEN={token}", text)
    text = re.sub(r"(?m)^ZOOM_TOKEN_EXPIRES_AT=.*$", f"ZOOM_TOKEN_EXPIRES_AT={expires_at}", text)
    tmp = env_file.with_name(".env.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, env_file)


PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def without_proxy(env: dict) -> dict:
    return {k: v for k, v in env.items() if k not in PROXY_VARS and k.lower() != "no_proxy"}


def closed_port() -> int:
    """A loopback port where nothing listens (it was just free)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gone(pid: int) -> bool:
    """No process is left in the group `pid` led (zombies count as gone)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pid and fields[0] != "Z":
                    return False
    return True


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)  # polling a condition with a deadline


# --------------------------------------------------------------------------- the status line


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_status_line_is_byte_identical_to_check_zoom_token(tmp_path, tz, monkeypatch):
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    env_file = tmp_path / ".env"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_")}
    env.update({"ZOOM_ENV_FILE": str(env_file), "TZ": tz})
    try:
        for delta in (7265, 3605, 901, 900, 899, 301, 300, 299, 60, 1, 0, -1, -182, -3700, None):
            for _attempt in range(5):  # same whole second on both sides, else try again
                before = time.time()
                exp = None if delta is None else int(before) + delta
                env_file.write_text("ZOOM_ACCESS_TOKEN=" + ("" if exp is None else "eyJzopaque-token-1234") +
                                    "\nZOOM_TOKEN_EXPIRES_AT=" + ("" if exp is None else str(exp)) + "\n")
                res = subprocess.run([str(SCRIPTS / "check_zoom_token.sh")], env=env, capture_output=True,
                                     check=False)
                after = time.time()
                if int(before) == int(after):
                    break
            else:
                pytest.fail("could not run check_zoom_token.sh within one second")
            assert res.returncode in (0, 1), res.stderr
            want = format_status(exp, before)
            assert res.stdout.decode("utf-8") == want + "\n", (delta, tz)
    finally:
        monkeypatch.undo()
        time.tzset()


# --------------------------------------------------------------------------- the real refresh


def test_real_refresh_with_the_real_scripts(sim, env_file, tmp_path, monkeypatch):
    config = claude_config(tmp_path)
    for k in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(config))
    old, _ttl = sim.issue_token()
    put_token(env_file, old, int(time.time()) + 200)  # within the 300 s threshold
    out = io.StringIO()
    m = TokenMonitor(env_file, SCRIPTS, settings=Settings(restart_claude=False), out=out)
    assert m.get_token() == old
    m.run_once()
    got = out.getvalue().splitlines()
    new = dotenv_values(env_file)["ZOOM_ACCESS_TOKEN"]
    assert new and new != old and m.get_token() == new
    assert got[0] == RULE and got[-1] == RULE
    assert got[1:11] == [
        got[1], "⏳ Token expiring soon! Automatically refreshing...", "📝 Running: get_zoom_token.sh",
        "📋 Token fetched successfully", "🔄 Loading new token from .env",
        f"✅ Token updated: {tm.mask(old)} → {tm.mask(new)}", "⚙️  Running: update_claude_config.sh",
        "🚀 Skipped: restart_claude_app.sh (ZOOM_RESTART_CLAUDE=0)", DONE, got[10]]
    assert got[1].startswith("🔑 Token Status: ⚠️ Expires in 3m 1") or got[1].startswith(
        "🔑 Token Status: ⚠️ Expires in 3m 2")
    assert got[10].startswith("🔑 Token Status: ✅ Expires in 59m ") or "1h 0m 0s" in got[10]
    assert config_token(config) == new
    cfg = json.loads(config.read_text())
    assert cfg["globalShortcut"] == "Ctrl+Space" and cfg["mcpServers"]["other"] == {"command": "/bin/true"}
    assert sim.stats()["token_requests"] == 1
    assert new not in out.getvalue() and old not in out.getvalue()


@pytest.mark.parametrize(("mode", "code", "words"), [
    ("error", 1, "the token request failed"),
    ("invalid_client", 3, "Zoom rejected the credentials"),
])
def test_real_failed_refresh_changes_nothing(sim, env_file, tmp_path, monkeypatch, mode, code, words):
    config = claude_config(tmp_path)
    for k in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(config))
    old, _ttl = sim.issue_token()
    put_token(env_file, old, int(time.time()) + 200)
    before = env_file.read_bytes(), config.read_bytes()
    sim.add_fault("token", mode)
    out = io.StringIO()
    m = TokenMonitor(env_file, SCRIPTS, settings=Settings(restart_claude=False, max_failures=1), out=out)
    m.run_once()
    text = out.getvalue()
    assert (env_file.read_bytes(), config.read_bytes()) == before
    assert m.get_token() == old
    assert f"⚠️  Token refresh failed at get_zoom_token.sh: get_zoom_token.sh exited with code {code}" in text
    assert words in text
    assert "❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.\n" \
           "To recover, run: ./scripts/get_zoom_token.sh -f\n" in text
    assert "update_claude_config.sh" not in text
    assert sim.client_secret not in text and old not in text


# --------------------------------------------------------------------------- run.sh


def test_run_sh_without_venv_says_make_setup(tmp_path):
    (tmp_path / "run.sh").write_bytes((ROOT / "run.sh").read_bytes())
    os.chmod(tmp_path / "run.sh", 0o700)
    res = subprocess.run([str(tmp_path / "run.sh")], cwd="/", capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, check=False, timeout=30)
    assert res.returncode == 2
    assert res.stdout == ""
    assert "run make setup" in res.stderr


def _start_run_sh(tmp_path: Path, env_file: Path | str, config: Path, cwd: str | Path = "/",
                  **extra) -> subprocess.Popen:
    link = tmp_path / "bin" / "zoom-run"  # through a symlink, from /, with Claude Desktop's bare env
    link.parent.mkdir()
    link.symlink_to(ROOT / "run.sh")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ZOOM_ENV_FILE": str(env_file),
           "CLAUDE_CONFIG_FILE": str(config), "ZOOM_RESTART_CLAUDE": "0", "PYTHONUNBUFFERED": "1", **extra}
    return subprocess.Popen([str(link)], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_run_sh_performs_a_real_auto_refresh(sim, env_file, tmp_path):
    sim.set_token_ttl(305)  # 5 s after the first token, the monitor crosses the 300 s threshold
    config = claude_config(tmp_path)
    proc = _start_run_sh(tmp_path, env_file, config)
    try:
        err = Lines(proc.stderr)
        out = Lines(proc.stdout)
        first = err.wait_for(r"^🔑 Token Status: ", 30)
        assert re.match(r"🔑 Token Status: 📊 Expires in 5m [0-5]s \(at ", err.lines[first]), err.text()
        start = err.wait_for("^" + RULE + "$", 30, first + 1)
        end = err.wait_for("^" + re.escape(DONE) + "$", 30, start)
        err.wait_for("^" + RULE + "$", 10, end)
        block = err.lines[start:end + 3]
        assert len(block) == 12, block
        for want, line in zip([
            RULE, r"🔑 Token Status: 📊 Expires in 5m 0s \(at .*\)",
            "⏳ Token expiring soon! Automatically refreshing...", "📝 Running: get_zoom_token.sh",
            "📋 Token fetched successfully", "🔄 Loading new token from .env",
            r"✅ Token updated: eyJz\.\.\..{4} → eyJz\.\.\..{4}", "⚙️  Running: update_claude_config.sh",
            r"🚀 Skipped: restart_claude_app.sh \(ZOOM_RESTART_CLAUDE=0\)", DONE,
            r"🔑 Token Status: 📊 Expires in 5m [0-5]s \(at .*\)", RULE], block, strict=True):
            assert re.fullmatch(want, line), (want, line)
        new = dotenv_values(env_file)["ZOOM_ACCESS_TOKEN"]
        assert block[6].endswith(f"→ {tm.mask(new)}") and config_token(config) == new
        assert sim.stats()["token_requests"] == 2  # run.sh's first token, then one refresh
        assert proc.poll() is None
        assert out.lines == []  # stdout carries JSON-RPC only; nobody asked anything
        assert new not in err.text() and sim.client_secret not in err.text()
    finally:
        _stop(proc)


def test_run_sh_starts_anyway_when_no_token_can_be_had(sim, env_file, tmp_path):
    sim.add_fault("token", "invalid_client")
    proc = _start_run_sh(tmp_path, env_file, claude_config(tmp_path), ZOOM_REFRESH_COOLDOWN="3600")
    try:
        err = Lines(proc.stderr)
        err.wait_for(r"^ERROR: could not get a Zoom access token \(get_zoom_token.sh exit 3", 30)
        err.wait_for(r"^ERROR: to recover, run: .*/scripts/get_zoom_token.sh -f$", 5)
        # run.sh's failure is the monitor's first one: cooldown, no second invalid_client request
        err.wait_for(r"^⚠️  Token refresh failed at get_zoom_token.sh \(run.sh, at start\): get_zoom_token.sh "
                     r"exited with code 3 — Zoom rejected the credentials", 30)
        err.wait_for(r"^🔁 Next attempt in 1h 0m 0s \(failure 1 of 3\)\.$", 5)
        i = err.wait_for(r"^🔑 Token Status: ❌ No token$", 30)
        assert err.lines[i - 1] != RULE, err.text()  # a display line, not the start of a refresh block
        assert sim.stats()["token_requests"] == 1
        assert proc.poll() is None
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- make demo


def test_make_demo_shows_a_refresh_and_stops_clean_on_sigint():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_", "DEMO_"))}
    env.update({"DEMO_TOKEN_TTL": "305", "PYTHONUNBUFFERED": "1"})
    # A user behind a proxy: curl (the kit) and requests (the server) honour these, and would send
    # the demo's loopback traffic to a proxy that is not there (a closed loopback port).
    env = without_proxy(env)
    bogus = f"http://127.0.0.1:{closed_port()}"
    env.update({name: bogus for name in PROXY_VARS}, no_proxy="corp.example")
    proc = subprocess.Popen(["make", "--no-print-directory", "demo"], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", start_new_session=True)
    children: list[int] = []
    try:
        lines = Lines(proc.stdout)
        i = lines.wait_for(r"^🚀 Started: simulator \(pid \d+\), server \(pid \d+\) on port \d+$", 120)
        sim_pid, server_pid, port = map(int, re.findall(r"\d+", lines.lines[i]))
        children += [sim_pid, server_pid]
        folder = re.search(r"(?m)demo files in (\S+)$", lines.text()).group(1)
        url = f"http://127.0.0.1:{port}/mcp"
        lines.wait_for(re.escape(f"URL:            {url}"), 60)
        token_file = Path(folder) / ".env.http-token"  # made by the server, read by the printed commands
        header = f'--header "Authorization: Bearer $(cat {token_file})"'
        lines.wait_for(re.escape(f"npx @modelcontextprotocol/inspector --cli {url} --transport http "
                                 f"--method tools/list {header}"), 5)
        lines.wait_for(re.escape("(Your environment sets a proxy: start these with "
                                 "NO_PROXY=127.0.0.1,localhost)"), 5)
        lines.wait_for(re.escape(DONE), 60)
        token = token_file.read_text().strip()
        assert token not in lines.text()  # the demo prints where the token is, never the token
        # The Python one-shot the demo printed works as printed (it reads the token file).
        text = lines.text()
        start = text.index("Python client (one shot):\n") + len("Python client (one shot):\n")
        snippet = text[start:text.index("asyncio.run(main())'", start) + len("asyncio.run(main())'")]
        res = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=60,
                             check=False, env=without_proxy(dict(os.environ)))
        assert res.returncode == 0 and "fresh" in res.stdout, res.stderr[-2000:]
        # a client can talk to the running demo, and the server reaches the simulator (no proxy)
        code = ("import asyncio, httpx2, mcp, sys\n"
                "from mcp.client.streamable_http import streamable_http_client\n"
                "async def main():\n"
                "    auth = {'Authorization': 'Bearer ' + sys.stdin.read().strip()}\n"
                "    async with httpx2.AsyncClient(headers=auth) as http:\n"
                f"        async with mcp.Client(streamable_http_client({url!r}, http_client=http)) as c:\n"
                "            r = await c.call_tool('zoom_get_user', {'jq': '.email'})\n"
                "            print('user:', r.is_error, r.structured_content or r.content)\n"
                "asyncio.run(main())\n")
        res = subprocess.run([sys.executable, "-c", code], input=token, capture_output=True, text=True,
                             timeout=60, check=False, env=without_proxy(dict(os.environ)))
        assert "user: False" in res.stdout and "@" in res.stdout, res.stdout + res.stderr[-2000:]

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        proc.wait(30)
        lines.wait_for("^👋 Demo stopped", 5)
        for pid in (sim_pid, server_pid):
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)  # neither process nor anything in its group is left
        assert not Path(folder).exists()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
    finally:
        # On a failure, let the demo clean up after itself first; SIGKILL only as a last resort,
        # then its children's own groups too (they live in sessions of their own).
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_demo_stops_everything_when_the_terminal_closes():
    """SIGHUP (the terminal window closed) with a dead terminal: the demo stops the simulator and the
    server and removes its folder (it holds a live token), printing or not."""
    env = without_proxy({k: v for k, v in os.environ.items()
                         if not k.startswith(("ZOOM_", "CLAUDE_", "DEMO_"))})
    env["PYTHONUNBUFFERED"] = "1"
    read_fd, write_fd = os.pipe()  # our "terminal": closed below, so every later write fails (EPIPE)
    proc = subprocess.Popen([sys.executable, "-m", "demo"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=write_fd, stderr=write_fd, start_new_session=True)
    os.close(write_fd)
    children: list[int] = []
    folder = None
    try:
        text = ""
        deadline = time.monotonic() + 120
        while "   URL:" not in text:
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, text
            if select.select([read_fd], [], [], min(left, 1.0))[0]:
                text += os.read(read_fd, 65536).decode("utf-8", "replace")
        sim_pid, server_pid, _port = map(int, re.search(
            r"Started: simulator \(pid (\d+)\), server \(pid (\d+)\) on port (\d+)", text).groups())
        children += [sim_pid, server_pid]
        folder = Path(re.search(r"(?m)demo files in (\S+)$", text).group(1))
        assert folder.exists()
        os.close(read_fd)
        read_fd = -1
        os.killpg(proc.pid, signal.SIGHUP)  # what the terminal sends its foreground process group
        assert proc.wait(30) == 0  # clean exit: no traceback, no failed flush at exit (120)
        for pid in children:
            wait_until(lambda pid=pid: gone(pid), 10, f"process group {pid} left behind")
        assert not folder.exists()
    finally:
        if read_fd >= 0:
            os.close(read_fd)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        for pid in children:  # processes this test started (through the demo), in their own groups
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(30)
def test_demo_reads_the_simulators_first_line_with_a_deadline(monkeypatch):
    """A simulator that never says it listens must not hang the demo, nor make Ctrl-C useless."""
    import demo

    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    class Recording(real_popen):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            started.append(self)

    monkeypatch.setattr(demo.subprocess, "Popen", Recording)
    silent = [sys.executable, "-c", "import threading; threading.Event().wait()"]
    env = dict(os.environ)
    # A demo that ignored the deadline would hang here until the test's own time limit.
    with pytest.raises(RuntimeError, match="did not say it was listening within 1s"):
        demo.start_simulator(330, env, threading.Event(), argv=silent, timeout=1)
    assert started[0].poll() is not None  # and it was stopped
    stop = threading.Event()
    stop.set()  # Ctrl-C while the simulator starts
    assert demo.start_simulator(330, env, stop, argv=silent, timeout=60) is None
    assert started[1].poll() is not None


def test_demo_child_environments_bypass_the_proxy_for_loopback():
    import demo

    env = demo.without_proxy_for_loopback({"http_proxy": "http://proxy.invalid:3128",
                                           "no_proxy": "corp.example, localhost", "NO_PROXY": "intra"})
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost,intra,corp.example"
    assert demo.without_proxy_for_loopback({})["no_proxy"] == "127.0.0.1,localhost"
    server = demo.server_env({"HTTPS_PROXY": "http://proxy.invalid:3128"}, Path("/x/.env"), Path("/x/c.json"),
                             "http://127.0.0.1:1", 2)
    assert server["NO_PROXY"] == server["no_proxy"] == "127.0.0.1,localhost"


# --------------------------------------------------------------------------- run.sh, hermetic


def fake_project(tmp_path: Path) -> tuple[Path, Path]:
    """run.sh copied into a project whose python and get_zoom_token.sh only record what they got
    (with the kit's lib, through which run.sh reads .env)."""
    proj, record = tmp_path / "proj", tmp_path / "record"
    (proj / ".venv" / "bin").mkdir(parents=True)
    shutil.copytree(ROOT / "scripts" / "lib", proj / "scripts" / "lib")
    shutil.copy(ROOT / "run.sh", proj / "run.sh")
    stubs = {
        proj / ".venv" / "bin" / "python":
            '{ echo "python $*"; echo "umask $(umask)"; echo "env $ZOOM_ENV_FILE";'
            ' echo "exit ${ZOOM_STARTUP_FETCH_EXIT-unset}"; } >>"$RECORD"',
        proj / "scripts" / "get_zoom_token.sh":
            'echo "get $* | $ZOOM_ENV_FILE | token=${ZOOM_ACCESS_TOKEN-unset}" >>"$RECORD"\n'
            'exit "${STUB_RC:-0}"',
    }
    for path, body in stubs.items():
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return proj, record


def run_fake(proj: Path, record: Path, *args: str, cwd: Path | None = None,
             **env) -> tuple[int, str, str, str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(proj), "RECORD": str(record)}
    res = subprocess.run([str(proj / "run.sh"), *args], cwd=cwd or proj, env={**base, **env},
                         capture_output=True, text=True, timeout=30, check=False)
    return res.returncode, res.stdout, res.stderr, record.read_text() if record.exists() else ""


def test_run_sh_help_and_unknown_arguments(tmp_path):
    proj, record = fake_project(tmp_path)
    for flag in ("-h", "--help"):
        code, out, err, rec = run_fake(proj, record, flag)
        assert (code, err, rec) == (0, "", "")  # the usage, and nothing started
        assert out.startswith("Usage: ./run.sh [-h|--help]\n") and "ZOOM_MCP_TRANSPORT=http" in out
    for args in (["--bogus"], ["stdio"], ["-h", "extra"]):
        code, out, err, rec = run_fake(proj, record, *args)
        assert (code, out, rec) == (2, "", ""), args
        assert err.startswith("ERROR: ") and "Usage: ./run.sh [-h|--help]" in err


@pytest.mark.parametrize(("environ", "dotenv", "threshold"), [
    ({}, "", "300"),
    ({"ZOOM_AUTO_REFRESH_THRESHOLD": "120"}, "ZOOM_AUTO_REFRESH_THRESHOLD=45\n", "120"),
    ({"ZOOM_AUTO_REFRESH_THRESHOLD": ""}, "ZOOM_AUTO_REFRESH_THRESHOLD=45\n", "45"),
    ({}, 'ZOOM_AUTO_REFRESH_THRESHOLD=1\r\nexport ZOOM_AUTO_REFRESH_THRESHOLD = "600"  # 10 min\r\n', "600"),
    ({}, "ZOOM_AUTO_REFRESH_THRESHOLD='90'\n# ZOOM_AUTO_REFRESH_THRESHOLD=5\n", "90"),
    ({}, "ZOOM_AUTO_REFRESH_THRESHOLD=240 # four minutes\nOTHER_ZOOM_AUTO_REFRESH_THRESHOLD=7\n", "240"),
    ({}, "ZOOM_AUTO_REFRESH_THRESHOLD=abc\n", "300"),  # left to the monitor, which says what is wrong
])
def test_run_sh_checks_the_token_at_the_monitors_threshold(tmp_path, environ, dotenv, threshold):
    proj, record = fake_project(tmp_path)
    (proj / ".env").write_text(dotenv)
    code, out, _err, rec = run_fake(proj, record, ZOOM_ACCESS_TOKEN="stale-copy", **environ)
    assert code == 0 and out == ""
    assert rec.splitlines()[0] == f"get -q -t {threshold} | {proj}/.env | token=unset"
    if "abc" not in dotenv:  # the monitor reads the same threshold (and refuses "abc" itself)
        values = dotenv_values(proj / ".env", interpolate=False)
        assert Settings.from_env(environ, values).threshold == int(threshold)


def test_run_sh_exports_an_absolute_env_file_umask_and_the_token_check_result(tmp_path):
    proj, record = fake_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _out, err, rec = run_fake(proj, record, cwd=elsewhere, ZOOM_ENV_FILE="conf/my.env", STUB_RC="3")
    assert code == 0  # the server starts anyway
    assert "get_zoom_token.sh exit 3: Zoom rejected the credentials" in err
    assert rec.splitlines() == [f"get -q -t 300 | {proj}/conf/my.env | token=unset",
                                f"python {proj}/zoom_mcp.py", "umask 0077", f"env {proj}/conf/my.env",
                                "exit 3"]
    _code, _out, _err, rec = run_fake(proj, record, ZOOM_ENV_FILE=str(tmp_path / "abs.env"))
    assert rec.splitlines()[-2:] == [f"env {tmp_path}/abs.env", "exit 0"]


# --------------------------------------------------------------------------- run.sh, for real


def test_run_sh_refreshes_at_the_monitors_threshold_with_a_relative_env_file(sim, env_file, tmp_path):
    """200 s left: above the kit's 60 s default, below the monitor's 300 s. run.sh refreshes, so the
    monitor starts with a fresh token instead of refreshing the moment it starts. ZOOM_ENV_FILE is
    relative (to the project root, as the scripts take it) and the working directory elsewhere."""
    old, _ttl = sim.issue_token()
    put_token(env_file, old, int(time.time()) + 200)
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    relative = os.path.relpath(env_file, ROOT)
    proc = _start_run_sh(tmp_path, relative, claude_config(tmp_path), cwd=elsewhere)
    try:
        err = Lines(proc.stderr)
        i = err.wait_for(r"^(🔑 Token Status: |━)", 30)
        assert re.match(r"🔑 Token Status: ✅ Expires in (59m|1h 0m 0s)", err.lines[i]), err.text()
        assert sim.stats()["token_requests"] == 1
        new = dotenv_values(env_file)["ZOOM_ACCESS_TOKEN"]
        assert new and new != old
        environ = dict(item.split("=", 1) for item in
                       Path(f"/proc/{proc.pid}/environ").read_bytes().decode().split("\0") if "=" in item)
        assert environ["ZOOM_ENV_FILE"] == str(ROOT / relative)  # exported absolute
        assert environ["ZOOM_STARTUP_FETCH_EXIT"] == "0"
    finally:
        _stop(proc)


def test_make_run_stdout_is_json_rpc_only(sim, env_file, tmp_path):
    """A client that launches `make run` reads JSON-RPC only on stdout (make echoes no recipe).
    Launched from inside another make, make would also print "Entering directory": clients should
    launch ./run.sh itself; here make runs as a client would start it, at the top level."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZOOM_", "CLAUDE_", "MAKE", "MFLAGS"))}
    env.update({"ZOOM_ENV_FILE": str(env_file), "CLAUDE_CONFIG_FILE": str(claude_config(tmp_path)),
                "ZOOM_RESTART_CLAUDE": "0"})
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True)
    try:
        out = Lines(proc.stdout)
        Lines(proc.stderr)  # drained
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}}}) + "\n")
        proc.stdin.flush()
        out.wait_for(r".", 60)
        first = json.loads(out.lines[0])
        assert first["id"] == 1 and "result" in first, out.lines[0]
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- two monitors


def test_two_monitors_crossing_together_make_one_request_and_one_restart(sim, env_file, tmp_path,
                                                                         monkeypatch):
    config = claude_config(tmp_path)
    for k in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(config))
    old, _ttl = sim.issue_token()
    put_token(env_file, old, int(time.time()) + 200)
    ran: list[str] = []
    guard = threading.Lock()

    def run(argv, **kw):
        name = Path(argv[0]).name
        with guard:
            ran.append(name)
        if name == "restart_claude_app.sh":  # never touch a real Claude: record the restart only
            return subprocess.CompletedProcess(argv, 0, "", "")
        return tm.run_script(argv, **kw)

    outs = [io.StringIO(), io.StringIO()]
    monitors = [TokenMonitor(env_file, SCRIPTS, settings=Settings(restart_claude=True), out=o, run=run,
                             launched_by_claude=False) for o in outs]
    barrier = threading.Barrier(2)

    def cross(m):
        barrier.wait(10)
        m.run_once()

    threads = [threading.Thread(target=cross, args=(m,)) for m in monitors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    new = dotenv_values(env_file)["ZOOM_ACCESS_TOKEN"]
    assert new != old and all(m.get_token() == new for m in monitors)
    assert sim.stats()["token_requests"] == 1
    assert ran.count("update_claude_config.sh") == 2 and config_token(config) == new
    assert ran.count("restart_claude_app.sh") == 1, ran
    texts = [o.getvalue() for o in outs]
    assert sum("🚀 Running: restart_claude_app.sh" in t for t in texts) == 1
    skipped = "🚀 Skipped: restart_claude_app.sh (another process refreshed the token)"
    assert sum("✅ Token still valid for " in t and skipped in t for t in texts) == 1
