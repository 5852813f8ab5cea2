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
import signal
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
KIT = ["get_zoom_token.sh", "check_zoom_token.sh", "update_claude_config.sh", "restart_claude_app.sh"]
missing = [name for name in KIT if not (SCRIPTS / name).exists()]
needs_kit = pytest.mark.skipif(bool(missing), reason=f"token kit not there yet: {missing}")
needs_server = pytest.mark.skipif(not (ROOT / "zoom_mcp.py").exists() or bool(missing),
                                  reason="zoom_mcp.py or the token kit not there yet")

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


# --------------------------------------------------------------------------- the status line


@needs_kit
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


@needs_kit
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


@needs_kit
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


def _start_run_sh(tmp_path: Path, env_file: Path, config: Path, **extra) -> subprocess.Popen:
    link = tmp_path / "bin" / "zoom-run"  # through a symlink, from /, with Claude Desktop's bare env
    link.parent.mkdir()
    link.symlink_to(ROOT / "run.sh")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ZOOM_ENV_FILE": str(env_file),
           "CLAUDE_CONFIG_FILE": str(config), "ZOOM_RESTART_CLAUDE": "0", "PYTHONUNBUFFERED": "1", **extra}
    return subprocess.Popen([str(link)], cwd="/", env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@needs_server
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


@needs_server
def test_run_sh_starts_anyway_when_no_token_can_be_had(sim, env_file, tmp_path):
    sim.add_fault("token", "invalid_client")
    proc = _start_run_sh(tmp_path, env_file, claude_config(tmp_path), ZOOM_REFRESH_COOLDOWN="3600")
    try:
        err = Lines(proc.stderr)
        err.wait_for(r"^ERROR: could not get a Zoom access token \(get_zoom_token.sh exit 3", 30)
        err.wait_for(r"^ERROR: to recover, run: .*/scripts/get_zoom_token.sh -f$", 5)
        err.wait_for(r"^🔑 Token Status: ❌ No token$", 30)
        assert proc.poll() is None
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- make demo


@needs_server
def test_make_demo_shows_a_refresh_and_stops_clean_on_sigint():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_", "DEMO_"))}
    env.update({"DEMO_TOKEN_TTL": "305", "PYTHONUNBUFFERED": "1"})
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
        lines.wait_for(re.escape(f"npx @modelcontextprotocol/inspector --cli {url} --method tools/list"), 5)
        lines.wait_for(re.escape(DONE), 60)
        # a client can talk to the running demo
        code = ("import asyncio, mcp, sys\n"
                "async def main():\n"
                f"    async with mcp.Client({url!r}) as c:\n"
                "        r = await c.call_tool('zoom_token_status', {})\n"
                "        print(r.structured_content or r.content)\n"
                "asyncio.run(main())\n")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             check=False)
        assert res.returncode == 0 and "fresh" in res.stdout, res.stderr[-2000:]

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        proc.wait(30)
        lines.wait_for("^👋 Demo stopped", 5)
        for pid in (sim_pid, server_pid):
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)  # neither process nor anything in its group is left
        assert not Path(folder).exists()
        import socket

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
