"""Secrets audit (issue 6): the client secret and the access tokens never leak.

The whole kit and the server run end to end against the simulator with every external command
the scripts use wrapped on PATH (each call's argv appended to a trace log; stdin passes through
unrecorded) and, where strace works, every execve of every child traced as well. Every byte of
stdout, stderr, the trace logs, the server's stdout and stderr and the simulator's request log is
kept; then neither the client secret (nor its Basic-auth form) nor any access token the simulator
issued during the run (collected with a hook on its token minting, and from .env/config after each
step) may appear anywhere but in .env, the Claude config and its .bak: not in the refresh history
(zoom-token.log) either, which every actor writes. Files that hold secrets are 0600. The streamable
HTTP transport listens on 127.0.0.1 only and refuses a foreign Host header.
While get_zoom_token.sh waits on a slow token endpoint, no process's command line holds the secret.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from dotenv import dotenv_values
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
ORIG_PATH = os.environ.get("PATH", "/usr/bin:/bin")
# Every external command the kit runs (from a grep of scripts/), wrapped to log its argv.
TRACED = ["curl", "jq", "flock", "mktemp", "mv", "cp", "cat", "chmod", "mkdir", "rm", "readlink",
          "dirname", "basename", "base64", "date", "stat", "sleep", "head", "grep", "cut", "find",
          "timeout", "env", "python3", "openssl", "ps", "sed", "tr", "awk", "tail", "touch", "ln"]
# OS commands for the restart: a macOS that has Claude running, quits it and starts it again.
MAC_STUBS = {
    "uname": 'echo Darwin',
    "pgrep": '[ -e "$AUDIT_STATE/claude-running" ]',
    "osascript": 'rm -f "$AUDIT_STATE/claude-running"',
    "open": 'touch "$AUDIT_STATE/claude-running"',
    "pkill": 'rm -f "$AUDIT_STATE/claude-running"',
}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


def strace_works() -> bool:
    if not shutil.which("strace"):
        return False
    res = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", "/dev/null", "true"],
                         capture_output=True, check=False)
    return res.returncode == 0


STRACE = strace_works()


class Audit:
    """The sandbox: simulator with a token hook, wrapped PATH, and a folder keeping every output."""

    def __init__(self, tmp: Path, sim: ZoomSimulator):
        self.tmp, self.sim = tmp, sim
        self.out = tmp / "captured"
        self.out.mkdir()
        self.bin = tmp / "trace-bin"
        self.bin.mkdir()
        self.state = tmp / "state"
        self.state.mkdir()
        self.trace_log = self.out / "argv-trace.log"
        self.trace_log.write_text("")
        self.env_file = tmp / "project-env" / ".env"
        self.env_file.parent.mkdir()
        self.config = tmp / "Claude" / "claude_desktop_config.json"
        self.tokens: set[str] = set()
        self.steps = 0
        for name in TRACED:
            real = shutil.which(name, path=ORIG_PATH)
            if real:
                self._wrapper(name, f'exec {real} "$@"')
        for name, body in MAC_STUBS.items():
            self._wrapper(name, body)
        # the hook: every token the simulator mints, whoever asked for it
        mint = sim._issue_token_locked

        def minting():
            token, ttl = mint()
            self.tokens.add(token)
            return token, ttl

        sim._issue_token_locked = minting

    def _wrapper(self, name: str, body: str) -> None:
        path = self.bin / name
        # argv joined by \x1f, one call per line; secrets would appear verbatim
        log = f"{{ printf '%s' {name}; printf '\\x1f%s' \"$@\"; printf '\\n'; }} >>\"$AUDIT_TRACE\""
        path.write_text(f"#!/bin/bash\n{log}\n{body}\n")
        path.chmod(0o755)

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin}:{ORIG_PATH}", "HOME": str(self.tmp), "LANG": "C.UTF-8",
                "AUDIT_TRACE": str(self.trace_log), "AUDIT_STATE": str(self.state),
                "ZOOM_ENV_FILE": str(self.env_file), "CLAUDE_CONFIG_FILE": str(self.config),
                "ZOOM_RESTART_WAIT": "5", "ZOOM_RESTART_POLL": "0.05", **extra}

    def traced(self, argv: list[str], tag: str) -> list[str]:
        if not STRACE:
            return argv
        log = self.out / f"strace-{tag}.log"
        return ["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-s", "65535",
                "-o", str(log), "--", *argv]

    def run(self, script: str, *args: str, expect: int | tuple = 0, **extra: str) -> str:
        self.steps += 1
        tag = f"{self.steps:02d}-{script}{''.join(args).replace('-', '_')}"
        res = subprocess.run(self.traced([str(SCRIPTS / script), *args], tag), env=self.env(**extra),
                             capture_output=True, timeout=120, check=False, cwd="/")
        (self.out / f"{tag}.stdout").write_bytes(res.stdout)
        (self.out / f"{tag}.stderr").write_bytes(res.stderr)
        codes = expect if isinstance(expect, tuple) else (expect,)
        assert res.returncode in codes, (script, args, res.returncode, res.stderr.decode())
        self.collect()
        return res.stdout.decode() + res.stderr.decode()

    def collect(self) -> None:
        """The tokens in .env and the config right now."""
        if self.env_file.exists():
            token = dotenv_values(self.env_file, interpolate=False).get("ZOOM_ACCESS_TOKEN")
            if token:
                self.tokens.add(token)
        if self.config.exists() and self.config.stat().st_size:
            servers = json.loads(self.config.read_text()).get("mcpServers") or {}
            token = (servers.get("zoom") or {}).get("env", {}).get("ZOOM_ACCESS_TOKEN")
            if token:
                self.tokens.add(token)

    def secrets(self) -> dict[str, bytes]:
        sim = self.sim
        basic = base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode())
        found = {"client secret": sim.client_secret.encode(), "Basic credentials": basic}
        for i, token in enumerate(sorted(self.tokens)):
            found[f"token #{i} ({token[:4]}...{token[-4:]})"] = token.encode()
        return found


def write_env(audit: Audit) -> None:
    sim = audit.sim
    text = ("# audit .env\n"
            f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
            f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_OAUTH_URL={sim.oauth_url}\n"
            f"ZOOM_API_BASE_URL={sim.api_url}\n")
    fd = os.open(audit.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def wait_for_text(path: Path, pattern: str, timeout: float, start: int = 0) -> int:
    """Poll a growing file until `pattern` (regex) matches after offset `start`; returns the match end."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(encoding="utf-8", errors="replace")
        m = re.search(pattern, text[start:], re.M)
        if m:
            return start + m.end()
        assert time.monotonic() < deadline, f"no {pattern!r} in {path} within {timeout}s:\n{text[-3000:]}"
        time.sleep(0.05)


REFRESHED = r"^✅ Token refresh complete! New token is now active\.$"


def secret_client() -> str:
    return "audit-" + secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- the whole run


@pytest.mark.anyio
async def test_no_secret_leaks_from_the_kit_or_the_server(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0, client_secret=secret_client()) as sim:
        audit = Audit(tmp_path, sim)
        write_env(audit)
        sim.seed_meetings("me", 5)

        # --- the kit, by hand -----------------------------------------------------------
        out = audit.run("get_zoom_token.sh")
        assert "📋 Token fetched successfully" in out
        assert "no request made" in audit.run("get_zoom_token.sh")
        audit.run("get_zoom_token.sh", "-f")
        audit.run("get_zoom_token.sh", "-f", "-q")
        assert "Token Status: ✅" in audit.run("check_zoom_token.sh")
        audit.run("check_zoom_token.sh", "-v")
        assert json.loads(audit.run("check_zoom_token.sh", "--json"))["state"] == "fresh"
        audit.run("update_claude_config.sh", "--install")
        audit.run("update_claude_config.sh", "--dry-run")
        audit.run("get_zoom_token.sh", "-f")
        audit.run("update_claude_config.sh")  # a real update: there is a .bak now
        audit.run("update_claude_config.sh", "--remove")
        audit.run("update_claude_config.sh", "--install")
        audit.run("update_claude_config.sh", "--install", "--dry-run")
        (audit.state / "claude-running").touch()
        audit.run("restart_claude_app.sh", "--dry-run")
        assert "✅ Claude Desktop restarted" in audit.run("restart_claude_app.sh")
        audit.run("restart_claude_app.sh", "--if-running")
        doctor = audit.run("doctor.sh", "--online", expect=(0, 1))
        assert "credentials" in doctor.lower()
        audit.run("doctor.sh", expect=(0, 1))
        # error paths: rejected credentials, a malformed answer, a bad option
        sim.add_fault("token", "invalid_client", count=1)
        audit.run("get_zoom_token.sh", "-f", expect=3)
        sim.add_fault("token", "malformed", count=1)
        audit.run("get_zoom_token.sh", "-f", expect=1)
        audit.run("get_zoom_token.sh", "--bogus", expect=2)

        # --- the server, with a client session and a forced refresh --------------------------
        sim.set_token_ttl(303)  # the monitor (threshold 300) refreshes 3 s after the next token
        audit.run("get_zoom_token.sh", "-f")
        stdout_log, stderr_log = audit.out / "server.stdout", audit.out / "server.stderr"
        inner = ["bash", "-c", 'set -o pipefail; "$0" | tee "$1"', str(ROOT / "run.sh"), str(stdout_log)]
        argv = audit.traced(inner, "server")
        # Claude Desktop passes the config's token in the environment: the jq sandbox must hide it.
        config_token = json.loads(audit.config.read_text())["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"]
        params = StdioServerParameters(
            command=argv[0], args=argv[1:], cwd="/",
            env=audit.env(ZOOM_LOG_LEVEL="DEBUG", ZOOM_AUTO_REFRESH_THRESHOLD="300",
                          ZOOM_REFRESH_COOLDOWN="1", ZOOM_TOKEN_DISPLAY_INTERVAL="1",
                          ZOOM_RESTART_CLAUDE="1", ZOOM_LAUNCHED_BY_CLAUDE="0",
                          ZOOM_ACCESS_TOKEN=config_token),
        )
        results = []
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(open(stderr_log, "w"))  # noqa: SIM115 - the stack closes it
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            await client.list_tools()
            for name, args in [
                ("zoom_get_user", {}), ("zoom_list_users", {}), ("zoom_list_meetings", {"page_size": 2}),
                ("zoom_get_meeting", {"meeting_id": 1}),  # a 404: an error path
                ("zoom_get_user", {"jq": "env"}), ("zoom_get_user", {"jq": "$ENV"}),  # the jq sandbox
                ("zoom_get_user", {"jq": ".["}),  # a broken filter: an error path
                ("zoom_get_meeting", {"meeting_id": "../users/me"}),  # bad input: an error path
                ("zoom_token_status", {}),
            ]:
                results.append((name, args, await client.call_tool(name, args)))
            # The monitor's auto-refresh, restart step included (Claude "running" on the stub macOS).
            # The next token lasts an hour, so once the monitor has loaded it no auto-refresh is due
            # and the 401 below is the only thing that can refresh (a slow machine can get through
            # more than one 303 s token first: wait for the refresh that loaded the hour-long one).
            sim.set_token_ttl(3600)
            end = 0
            while True:
                end = wait_for_text(stderr_log, REFRESHED, 30, end)
                expires = dotenv_values(audit.env_file, interpolate=False)["ZOOM_TOKEN_EXPIRES_AT"]
                if float(expires) - time.time() > 300:  # past the threshold: the hour-long token
                    break
            audit.collect()
            # a revoked token: the 401 path refreshes through get_zoom_token.sh -f
            sim.revoke_all()
            results.append(("zoom_get_user", {}, await client.call_tool("zoom_get_user", {})))
            wait_for_text(stderr_log, REFRESHED, 30, end)
            results.append(("zoom_token_status", {}, await client.call_tool("zoom_token_status", {})))
        audit.collect()
        (audit.out / "sim-requests.json").write_text(json.dumps(sim.requests(), indent=1))
        (audit.out / "tool-results.txt").write_text("\n".join(
            f"{n} {a}: error={r.is_error} {r.content[0].text if r.content else ''} {r.structured_content}"
            for n, a, r in results))

    errors = {(n, json.dumps(a)) for n, a, r in results if r.is_error}
    assert errors == {("zoom_get_meeting", '{"meeting_id": 1}'), ("zoom_get_user", '{"jq": ".["}'),
                      ("zoom_get_meeting", '{"meeting_id": "../users/me"}')}, errors
    assert [r.structured_content for n, a, r in results if a.get("jq") in ("env", "$ENV")] == [{}, {}]
    stderr = stderr_log.read_text()
    assert "🚀 Running: restart_claude_app.sh" in stderr and "⏳ Zoom rejected the token!" in stderr
    trace = audit.trace_log.read_text()
    assert "\ncurl\x1f" in "\n" + trace and "\njq\x1f" in "\n" + trace and "\nosascript\x1f" in "\n" + trace
    assert len(audit.tokens) >= 8, "the hook saw too few tokens"

    # --- every byte, everywhere but .env, the config and its .bak ---------------------------
    allowed = {audit.env_file, audit.config, audit.config.with_name(audit.config.name + ".bak")}
    leaks = []
    scanned = 0
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()):
        if path in allowed:
            continue
        data = path.read_bytes()
        scanned += len(data)
        for what, secret in audit.secrets().items():
            if secret in data:
                leaks.append(f"{what} in {path.relative_to(tmp_path)}")
    assert leaks == [], leaks
    assert scanned > 20_000  # the outputs were really captured
    # The refresh history (issue 15), scanned above with every other file: every actor wrote it (the
    # scripts by hand, run.sh, the monitor, the 401 path), it holds tokens only masked, and is 0600.
    history_log = audit.env_file.with_name("zoom-token.log")
    entries = [json.loads(line) for line in history_log.read_text().splitlines()]
    assert {e["by"] for e in entries} == {"script", "run.sh", "monitor", "401"}, entries
    assert any(e.get("new", "").startswith("eyJ") and "..." in e["new"] for e in entries)
    assert not [e for e in entries if re.search(r"Bearer \w|Basic \w|[?&]\w+=", json.dumps(e))]
    assert (history_log.stat().st_mode & 0o777) == 0o600
    # the secrets are where they belong
    assert sim.client_secret.encode() in audit.env_file.read_bytes()
    assert any(s in audit.config.read_bytes() for s in (t.encode() for t in audit.tokens))
    # files that hold secrets are 0600 (the lock file holds nothing)
    for path in allowed:
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600, (path, oct(path.stat().st_mode))
    lock = audit.env_file.with_name(".env.lock")
    if lock.exists():
        assert lock.stat().st_size == 0 or (lock.stat().st_mode & 0o077) == 0
    if STRACE:  # every child's argv was seen by strace too
        assert any("get_zoom_token.sh" in p.read_text() for p in audit.out.glob("strace-server*.log"))
        assert sum(p.read_text().count("execve(") for p in audit.out.glob("strace-*.log")) > 100


# --------------------------------------------------------------------------- ps while a request waits


def cmdlines() -> dict[int, bytes]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):  # gone meanwhile
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
    return found


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def test_secret_is_on_no_command_line_while_a_request_waits(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0, client_secret=secret_client()) as sim:
        audit = Audit(tmp_path, sim)
        write_env(audit)
        sim.add_fault("token", "slow", delay=3, count=1)
        proc = subprocess.Popen([str(SCRIPTS / "get_zoom_token.sh"), "-f"],
                                env=audit.env(ZOOM_HTTP_TIMEOUT="20"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            # wait until curl is running under the script (its parent is the script, or a subshell)
            deadline = time.monotonic() + 10
            curl = None
            while curl is None:
                assert time.monotonic() < deadline and proc.poll() is None, "curl never started"
                for pid, cmd in cmdlines().items():
                    argv0 = cmd.split(b"\0", 1)[0]
                    if argv0.endswith(b"curl") and proc.pid in (parent_of(pid), parent_of(parent_of(pid))):
                        curl = pid
                        break
                else:
                    time.sleep(0.02)
            everything = cmdlines()
            ps = subprocess.run(["ps", "-eww", "-o", "pid=,args="], capture_output=True, check=False).stdout
            environ = Path(f"/proc/{curl}/environ").read_bytes()
            assert proc.poll() is None, "the request should still be waiting"
        finally:
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err.decode()
    secret = sim.client_secret.encode()
    assert b"curl" in everything[curl] and b"-K" in everything[curl]  # the config comes on stdin
    assert [pid for pid, cmd in everything.items() if secret in cmd] == []
    assert secret not in ps and b"curl" in ps
    assert secret not in environ  # read from .env, never exported to curl
    assert secret not in out + err


# --------------------------------------------------------------------------- the HTTP transport


def listening_addresses(port: int) -> list[str]:
    """Local addresses of LISTEN sockets on `port`, from /proc/net/tcp and tcp6 (no psutil, no ss)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, _remote, st = line.split()[1:4]
            addr, hexport = local.split(":")
            if st != "0A" or int(hexport, 16) != port:
                continue
            raw = bytes.fromhex(addr)
            if width == 8:
                found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_http_transport_listens_on_loopback_only_and_checks_the_host_header(tmp_path):
    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with ZoomSimulator(host="127.0.0.1", port=0, client_secret=secret_client()) as sim:
        audit = Audit(tmp_path, sim)
        write_env(audit)
        audit.run("get_zoom_token.sh")
        env = audit.env(ZOOM_MCP_TRANSPORT="http", ZOOM_MCP_PORT=str(port), ZOOM_RESTART_CLAUDE="0",
                        ZOOM_LOG_LEVEL="DEBUG")
        stderr_log = audit.out / "http-server.stderr"
        with open(stderr_log, "wb") as err:
            proc = subprocess.Popen([str(ROOT / "run.sh")], env=env, stdin=subprocess.DEVNULL,
                                    stdout=err, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while not listening_addresses(port):
                assert proc.poll() is None, stderr_log.read_text()
                assert time.monotonic() < deadline, "the server did not listen"
                time.sleep(0.05)
            addresses = listening_addresses(port)
            url = f"http://127.0.0.1:{port}/mcp"
            init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"}}}
            # The server made its own bearer token (tests/test_http_transport.py covers that part).
            http_token = Path(str(audit.env_file) + ".http-token").read_text().strip()
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
                       "Authorization": f"Bearer {http_token}"}
            session = requests.Session()
            session.trust_env = False
            answers = {}
            for host in ("evil.example", f"evil.example:{port}", "zoom.us", f"127.0.0.1.nip.io:{port}",
                         f"127.0.0.1:{port}", f"localhost:{port}"):
                r = session.post(url, json=init, headers={**headers, "Host": host}, timeout=10)
                answers[host] = r.status_code
                if r.status_code >= 400:
                    assert secrets_absent(r.text, audit), r.text
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert addresses == ["127.0.0.1"], addresses  # one socket, loopback, no 0.0.0.0 or ::
    for host, status in answers.items():
        if host.startswith(("127.0.0.1:", "localhost:")):
            assert status == 200, answers
        else:
            assert status in (403, 421), answers
    log = stderr_log.read_bytes()
    for what, secret in audit.secrets().items():
        assert secret not in log, what
    assert http_token.encode() not in log


def secrets_absent(text: str, audit: Audit) -> bool:
    return not any(s.decode() in text for s in audit.secrets().values())


def test_backup_is_0600_even_when_the_config_is_not(tmp_path):
    """Claude Desktop may create its config 0644; the kit keeps that mode (issue 3), but the .bak
    it writes, which holds the old token, is 0600 whatever the original's mode."""
    with ZoomSimulator(host="127.0.0.1", port=0, client_secret=secret_client()) as sim:
        audit = Audit(tmp_path, sim)
        write_env(audit)
        audit.run("get_zoom_token.sh")
        audit.config.parent.mkdir()
        audit.config.write_text(json.dumps({"mcpServers": {"zoom": {"command": "x", "env": {
            "ZOOM_ACCESS_TOKEN": "old-token-in-a-0644-config"}}}}))
        audit.config.chmod(0o644)
        audit.run("update_claude_config.sh")
    backup = audit.config.with_name(audit.config.name + ".bak")
    assert b"old-token-in-a-0644-config" in backup.read_bytes()
    assert backup.stat().st_mode & 0o777 == 0o600
    assert audit.config.stat().st_mode & 0o777 == 0o644  # the kit keeps the file's own mode
