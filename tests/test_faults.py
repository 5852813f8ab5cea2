"""Fault matrix (issue 6): the token endpoint failing, seen from the monitor and from a tool call.

Token endpoint {refused, 500, slow, malformed, empty token, invalid_client} x token {still valid,
expired} x entry point:

- the monitor's refresh: a real ``TokenMonitor`` (fake clock, real scripts, simulator over HTTP);
- a tool call after a 401: the real server (``./run.sh``) over stdio, tokens revoked at the simulator.

(The third entry point, ``get_zoom_token.sh`` by hand, is in bats/faults.bats.) Each case checks the
exit code or tool error, that .env and the Claude config are byte-for-byte unchanged, that nothing
restarted Claude (stub ``osascript``/``open``/``pgrep``/... on PATH record any call, and the
monitor's script runner records every script it runs), and that the message says what to do.

Also here: python-dotenv (as token_monitor reads .env) and the shell loader (scripts/lib/common.sh,
as the scripts read it) agree on the same awkward files (CRLF, ``export``, quotes, comments), before
and after get_zoom_token.sh rewrites them; and the monitor with .env missing or unreadable.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path
from types import SimpleNamespace

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from token_monitor import Settings, TokenMonitor
from zoom_client import TOKEN_REJECTED
from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
HTTP_TIMEOUT = "1"  # ZOOM_HTTP_TIMEOUT for every case: the slow fault answers after 2.5 s
SLOW_DELAY = 2.5

# fault name -> (simulator fault spec, get_zoom_token.sh exit code, the script's ERROR text, regex)
FAULTS = {
    # the simulator's "refused" resets the connection once accepted; "no_listener" is a closed port
    "refused": ({"mode": "refused"}, 1, r"the token request to .*/oauth/token failed: curl: \(56\)"),
    "no_listener": (None, 1, r"could not connect to .*/oauth/token \(connection refused\)"),
    "500": ({"mode": "error", "status": 500}, 1, r"the token request failed: HTTP 500"),
    "slow": ({"mode": "slow", "delay": SLOW_DELAY}, 1, r"timed out after 1s \(ZOOM_HTTP_TIMEOUT\)"),
    "malformed": ({"mode": "malformed"}, 1, r"malformed answer from .*/oauth/token"),
    "empty_token": ({"mode": "empty_token"}, 1, r"empty access_token"),
    "invalid_client": ({"mode": "invalid_client"}, 3,
                       r"Zoom rejected the credentials \(HTTP 400 invalid_client\): Invalid client_id"),
}


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was just free)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/oauth/token"


# token state -> seconds left on the token in .env (both are due for a refresh at the 300 s threshold)
TOKEN_STATES = {"valid": 200, "expired": -60}
OS_COMMANDS = ("osascript", "open", "pgrep", "pkill", "killall", "kill", "taskkill", "tasklist",
               "claude-desktop", "Claude")


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


# --------------------------------------------------------------------------- helpers


def stub_bin(tmp: Path) -> tuple[Path, Path]:
    """A folder of OS command stubs that log each call (name and argv) and do nothing."""
    folder, log = tmp / "stub-bin", tmp / "stub-calls.log"
    folder.mkdir(exist_ok=True)
    log.write_text("")
    for name in OS_COMMANDS:
        stub = folder / name
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >>"{log}"\nexit 1\n')
        stub.chmod(0o755)
    return folder, log


def write_env(path: Path, sim, token: str, expires_at: int | str) -> bytes:
    text = (
        "# zoom-mcp test .env\n"
        f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
        f"ZOOM_CLIENT_SECRET={sim.client_secret}\n\n"
        f"ZOOM_ACCESS_TOKEN={token}\nZOOM_TOKEN_EXPIRES_AT={expires_at}\n"
        f"ZOOM_OAUTH_URL={sim.oauth_url}\nZOOM_API_BASE_URL={sim.api_url}\n# the end\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path.read_bytes()


def write_config(path: Path, token: str) -> bytes:
    path.write_text(json.dumps({
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {"other": {"command": "/bin/true", "env": {"KEEP": "me"}},
                       "zoom": {"command": str(ROOT / "run.sh"), "args": [],
                                "env": {"ZOOM_ACCESS_TOKEN": token}}}}, indent=2) + "\n")
    path.chmod(0o600)
    return path.read_bytes()


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def wait_token_requests(sim, n: int, timeout: float = 10.0) -> list[dict]:
    """The token route's log once it holds n entries (a slow answer is logged when it ends)."""
    deadline = time.monotonic() + timeout
    while True:
        got = sim.requests(route="token")
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


class FakeClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- entry point: the monitor


@pytest.mark.parametrize("state", list(TOKEN_STATES))
@pytest.mark.parametrize("fault", list(FAULTS))
def test_monitor_refresh_under_a_token_endpoint_fault(sim, tmp_path, monkeypatch, fault, state):
    spec, code, error_re = FAULTS[fault]
    bin_dir, stub_log = stub_bin(tmp_path)
    for key in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(key)
    config = tmp_path / "claude_desktop_config.json"
    monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(config))
    monkeypatch.setenv("ZOOM_HTTP_TIMEOUT", HTTP_TIMEOUT)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    now = time.time()
    token, _ = sim.issue_token()
    env_file = tmp_path / ".env"
    env_before = write_env(env_file, sim, token, int(now) + TOKEN_STATES[state])
    config_before = write_config(config, token)
    # the lock file may appear (empty); the history records the failure
    files_before = folder_listing(tmp_path) + [".env.lock", "zoom-token.log"]
    if spec is None:
        monkeypatch.setenv("ZOOM_OAUTH_URL", closed_port_url())  # the environment wins over .env
    else:
        sim.add_fault("token", **spec)

    ran: list[list[str]] = []

    def run(argv, **kw):
        ran.append([Path(argv[0]).name, *argv[1:]])
        return subprocess.run(argv, **kw)  # noqa: PLW1510 - check=False is in kw

    out = io.StringIO()
    monitor = TokenMonitor(env_file, SCRIPTS, clock=FakeClock(now), out=out, run=run,
                           settings=Settings(display_interval=0, max_failures=1, restart_claude=True),
                           launched_by_claude=False)
    monitor.run_once()
    text = out.getvalue()

    # nothing written, no restart, only the one script ran
    assert env_file.read_bytes() == env_before
    assert config.read_bytes() == config_before
    assert set(folder_listing(tmp_path)) <= set(files_before)  # no temp file left behind
    assert not (tmp_path / ".env.lock").exists() or (tmp_path / ".env.lock").stat().st_size == 0
    assert ran == [["get_zoom_token.sh", "-t", "300"]]
    assert stub_log.read_text() == ""
    # the old token stays in use (also when expired: there is nothing better)
    assert monitor.get_token() == token
    status = monitor.status()
    assert status["consecutive_failures"] == 1 and status["auto_refresh_enabled"] is False
    # one token request, answered with the fault
    requests = wait_token_requests(sim, 0 if spec is None else 1)
    assert [r["fault"] for r in requests] == ([] if spec is None else [spec["mode"]])
    # the messages: which step failed and how, what it means, what to do
    assert f"⚠️  Token refresh failed at get_zoom_token.sh: get_zoom_token.sh exited with code {code}" in text
    assert re.search(r"(?m)^   ERROR: .*" + error_re, text), text
    if state == "valid":
        assert "Nothing was changed; the current token stays in use (expires in 3m 20s)." in text
    else:
        assert "Nothing was changed; there is no valid token, so Zoom calls fail until a refresh" in text
    if code == 3:
        assert "Zoom rejected the credentials (check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)" \
            in text
    assert "❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.\n" \
           "To recover, run: ./scripts/get_zoom_token.sh -f\n" in text
    assert "update_claude_config.sh" not in text and "restart_claude_app.sh" not in text
    assert sim.client_secret not in text and token not in text


def test_monitor_first_failure_says_when_it_tries_again(sim, tmp_path, monkeypatch):
    """Below the failure limit the message names the next attempt and the count."""
    for key in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(tmp_path / "claude.json"))
    now = time.time()
    token, _ = sim.issue_token()
    env_file = tmp_path / ".env"
    before = write_env(env_file, sim, token, int(now) + 100)
    sim.add_fault("token", "error", status=503)
    out = io.StringIO()
    clock = FakeClock(now)
    monitor = TokenMonitor(env_file, SCRIPTS, clock=clock, out=out,
                           settings=Settings(display_interval=0, cooldown=30, restart_claude=False))
    wake = monitor.run_once()
    assert "🔁 Next attempt in 30s (failure 1 of 3)." in out.getvalue()
    assert wake == pytest.approx(now + 30, abs=0.02)  # the cooldown, not a busy loop
    clock.now += 29
    monitor.run_once()
    assert len(sim.requests(route="token")) == 1  # still cooling down
    sim.clear_faults()
    clock.now += 1
    monitor.run_once()
    assert len(sim.requests(route="token")) == 2
    assert env_file.read_bytes() != before and monitor.get_token() != token
    assert monitor.status()["consecutive_failures"] == 0


# --------------------------------------------------------------------------- entry point: a tool call


@pytest.mark.anyio
@pytest.mark.parametrize("state", list(TOKEN_STATES))
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_tool_call_after_a_401_under_a_token_endpoint_fault(tmp_path, fault, state):
    spec, code, _error_re = FAULTS[fault]
    bin_dir, stub_log = stub_bin(tmp_path)
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        now = int(time.time())
        token, _ = sim.issue_token()
        env_file = tmp_path / ".env"
        # "valid": an hour left (no refresh due), but Zoom no longer knows the token;
        # "expired": .env says it expired a minute ago.
        left = 3600 if state == "valid" else TOKEN_STATES[state]
        env_before = write_env(env_file, sim, token, now + left)
        config = tmp_path / "claude_desktop_config.json"
        config_before = write_config(config, token)
        sim.revoke_all()
        extra = {}
        if spec is None:
            extra["ZOOM_OAUTH_URL"] = closed_port_url()
        else:
            sim.add_fault("token", **spec)
        stderr_path = tmp_path / "server-stderr.log"
        params = StdioServerParameters(
            command=str(ROOT / "run.sh"), cwd="/",
            env={"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
                 "ZOOM_ENV_FILE": str(env_file), "CLAUDE_CONFIG_FILE": str(config),
                 "ZOOM_HTTP_TIMEOUT": HTTP_TIMEOUT, "ZOOM_REFRESH_COOLDOWN": "0",
                 "ZOOM_MAX_REFRESH_FAILURES": "1", "ZOOM_TOKEN_DISPLAY_INTERVAL": "0",
                 "ZOOM_RESTART_CLAUDE": "1", "ZOOM_LAUNCHED_BY_CLAUDE": "0", "ZOOM_LOG_LEVEL": "INFO",
                 **extra},
        )
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(open(stderr_path, "w"))  # noqa: SIM115 - the stack closes it
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            expected_requests = 0 if spec is None else 1
            if state == "expired":
                # run.sh's own get_zoom_token.sh fails; the monitor counts that as its first failure
                # (ZOOM_MAX_REFRESH_FAILURES=1: disabled at once), and a 401 while disabled only
                # reloads .env: the tool call makes no token request of its own.
                deadline = time.monotonic() + 20
                while "Max refresh failures reached" not in stderr_path.read_text():
                    assert time.monotonic() < deadline, stderr_path.read_text()
                    await anyio.sleep(0.05)
            result = await client.call_tool("zoom_get_user", {"jq": ".email"})
            status = await client.call_tool("zoom_token_status", {})
        stderr = stderr_path.read_text()
        requests = wait_token_requests(sim, expected_requests)
        api = sim.requests(route="api")

    assert result.is_error, result
    text = result.content[0].text
    assert TOKEN_REJECTED in text  # "...; run ./scripts/get_zoom_token.sh -f"
    assert token not in text and sim.client_secret not in text
    assert [r["token"] for r in api] == ["unknown"]  # one try; no retry with the same bad token
    assert len(requests) == expected_requests
    assert all(r["fault"] == spec["mode"] for r in requests)
    assert env_file.read_bytes() == env_before
    assert config.read_bytes() == config_before
    assert stub_log.read_text() == ""  # no restart
    assert f"get_zoom_token.sh exited with code {code}" in stderr
    if state == "valid":
        assert "⏳ Zoom rejected the token! Fetching a new one..." in stderr
    assert "To recover, run: ./scripts/get_zoom_token.sh -f" in stderr
    assert "restart_claude_app.sh" not in stderr
    assert token not in stderr and sim.client_secret not in stderr
    assert status.structured_content["consecutive_failures"] >= 1
    assert status.structured_content["auto_refresh_enabled"] is False


# --------------------------------------------------------------------------- .env: python-dotenv vs shell

SHELL_LOADER = r"""
set -euo pipefail
. "$ZOOM_TEST_ROOT/scripts/lib/common.sh"
zoom_load_env
for k in "$@"; do
  if [ -n "${!k+x}" ]; then printf '%s=%s\0' "$k" "${!k}"; fi
done
"""

KEYS = ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_ACCESS_TOKEN",
        "ZOOM_TOKEN_EXPIRES_AT", "ZOOM_OAUTH_URL", "ZOOM_API_BASE_URL", "ZOOM_HTTP_TIMEOUT",
        "ZOOM_TOKEN_THRESHOLD"]


def shell_values(env_file: Path) -> dict[str, str]:
    """What the scripts see: source common.sh, run zoom_load_env, print the variables."""
    env = {"PATH": os.environ["PATH"], "ZOOM_ENV_FILE": str(env_file), "ZOOM_TEST_ROOT": str(ROOT)}
    res = subprocess.run(["bash", "-c", SHELL_LOADER, "loader", *KEYS], env=env, capture_output=True,
                         check=False)
    assert res.returncode == 0, res.stderr.decode()
    pairs = [p.split("=", 1) for p in res.stdout.decode().split("\0") if p]
    return {k: v for k, v in pairs}


def dotenv_view(env_file: Path) -> dict[str, str]:
    """What the monitor sees: token_monitor's own reader (python-dotenv's dotenv_values)."""
    values = TokenMonitor._read_env_file(SimpleNamespace(env_file=env_file))
    return {k: v for k, v in values.items() if k in KEYS and v is not None}  # "KEY" alone: unset


def sim_lines(sim) -> dict[str, str]:
    return {"acct": sim.account_id, "cid": sim.client_id, "secret": sim.client_secret,
            "url": sim.oauth_url, "api": sim.api_url}


# Each case: the .env text ({acct}, {cid}, {secret}, {url} are the simulator's), with at least the
# credentials in the style under test, so that get_zoom_token.sh -f can then rewrite it for real.
ENV_CASES = {
    "crlf": ("# CRLF file from a Windows editor\r\nZOOM_ACCOUNT_ID={acct}\r\nZOOM_CLIENT_ID={cid}\r\n"
             "ZOOM_CLIENT_SECRET={secret}\r\nZOOM_ACCESS_TOKEN=\r\nZOOM_TOKEN_EXPIRES_AT=\r\n"
             "ZOOM_OAUTH_URL={url}\r\n"),
    "export": ("export ZOOM_ACCOUNT_ID={acct}\nexport\tZOOM_CLIENT_ID={cid}\n"
               "export ZOOM_CLIENT_SECRET={secret}\nexport ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234\n"
               "export ZOOM_TOKEN_EXPIRES_AT=1000\nexport ZOOM_OAUTH_URL={url}\n"),
    "double_quotes": ('ZOOM_ACCOUNT_ID="{acct}"\nZOOM_CLIENT_ID="{cid}"\nZOOM_CLIENT_SECRET="{secret}"\n'
                      'ZOOM_ACCESS_TOKEN="old-token-abcdefgh1234"\nZOOM_TOKEN_EXPIRES_AT="1000"\n'
                      'ZOOM_OAUTH_URL="{url}" # the simulator\n'
                      'ZOOM_API_BASE_URL="http://h/v2 # not a comment"\n'),
    "single_quotes": ("ZOOM_ACCOUNT_ID='{acct}'\nZOOM_CLIENT_ID='{cid}'\nZOOM_CLIENT_SECRET='{secret}'\n"
                      "ZOOM_ACCESS_TOKEN='old-token-abcdefgh1234'\nZOOM_OAUTH_URL='{url}'\n"
                      "ZOOM_API_BASE_URL='http://h/v2 # kept'\n"),
    "spaces_comments_duplicates": (
        "\n# comment line\n   # indented comment\nZOOM_ACCOUNT_ID = {acct}\nZOOM_CLIENT_ID={cid}   \n"
        "ZOOM_CLIENT_SECRET=wrong-first\nZOOM_CLIENT_SECRET={secret}\n"
        "ZOOM_OAUTH_URL={url} # trailing comment\nZOOM_HTTP_TIMEOUT=9 # seconds\n"
        "ZOOM_API_BASE_URL=http://h/v2#not-a-comment\n"
        "ZOOM_TOKEN_THRESHOLD=\nZOOM_ACCESS_TOKEN=old-token-abcdefgh1234\nZOOM_TOKEN_EXPIRES_AT=1000"),
    "mixed_export_quotes_crlf": (
        "export ZOOM_ACCOUNT_ID=\"{acct}\"\r\nexport ZOOM_CLIENT_ID='{cid}'\r\n"
        "ZOOM_CLIENT_SECRET = \"{secret}\"\r\nexport ZOOM_ACCESS_TOKEN=\"old-token-abcdefgh1234\"\r\n"
        "ZOOM_TOKEN_EXPIRES_AT='1000'\r\nZOOM_OAUTH_URL={url}\r\n"),
    "escapes_in_double_quotes": (
        'ZOOM_ACCOUNT_ID={acct}\nZOOM_CLIENT_ID={cid}\nZOOM_CLIENT_SECRET={secret}\nZOOM_OAUTH_URL={url}\n'
        'ZOOM_API_BASE_URL="a\\"quoted\\" \\\\ back"\n'),
    "equals_and_hash_in_values": (
        "ZOOM_ACCOUNT_ID={acct}\nZOOM_CLIENT_ID={cid}\nZOOM_CLIENT_SECRET={secret}\nZOOM_OAUTH_URL={url}\n"
        "ZOOM_API_BASE_URL=http://h/v2?a=b==&c=#frag\n"),
}


@pytest.mark.parametrize("case", list(ENV_CASES))
def test_dotenv_and_the_shell_loader_agree_before_and_after_a_rewrite(sim, tmp_path, case):
    env_file = tmp_path / ".env"
    text = ENV_CASES[case].format(**sim_lines(sim))
    env_file.write_bytes(text.encode())
    env_file.chmod(0o600)
    py, sh = dotenv_view(env_file), shell_values(env_file)
    assert py == {k: v for k, v in sh.items() if k in py}, (py, sh)
    assert py["ZOOM_CLIENT_SECRET"] == sim.client_secret and py["ZOOM_OAUTH_URL"] == sim.oauth_url

    # get_zoom_token.sh -f with this very file: the credentials must be read right (one good request),
    # and the rewrite must keep the file's style; both readers then see the new token.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ZOOM_ENV_FILE": str(env_file)}
    started = int(time.time())
    res = subprocess.run([str(SCRIPTS / "get_zoom_token.sh"), "-f"], env=env, capture_output=True,
                         text=True, check=False, timeout=30)
    ended = int(time.time())
    assert res.returncode == 0, res.stderr
    after = env_file.read_bytes().decode()
    py2, sh2 = dotenv_view(env_file), shell_values(env_file)
    assert py2 == {k: v for k, v in sh2.items() if k in py2}, (py2, sh2)
    new = py2["ZOOM_ACCESS_TOKEN"]
    assert sim.token_state(new) == "valid"
    # expires_at is the script's "now" (a whole second during its run) plus expires_in.
    assert started + sim.token_ttl <= int(py2["ZOOM_TOKEN_EXPIRES_AT"]) <= ended + sim.token_ttl
    for key in KEYS:
        if key not in ("ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT") and key in py:
            assert py2[key] == py[key], key
    # every other line is kept byte for byte, in order; CRLF files stay CRLF
    token_line = re.compile(r"\s*(export\s+)?ZOOM_(ACCESS_TOKEN|TOKEN_EXPIRES_AT)\s*=")
    kept = [ln for ln in text.splitlines() if not token_line.match(ln)]
    kept_after = [ln for ln in after.splitlines() if not token_line.match(ln)]
    assert kept_after[:len(kept)] == kept
    if "\r\n" in text:
        assert after.count("\n") == after.count("\r\n")
    # the token lines keep their style (export prefix, quotes)
    for line in after.splitlines():
        if re.match(r"\s*(export\s+)?ZOOM_ACCESS_TOKEN\s*=", line):
            old = next(ln for ln in text.splitlines() if re.match(r"\s*(export\s+)?ZOOM_ACCESS_TOKEN", ln)) \
                if "ZOOM_ACCESS_TOKEN" in text else ""
            if old.startswith("export"):
                assert line.startswith("export")
            if '"old-token' in old:
                assert f'"{new}"' in line
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"


# One line each: values people write by hand, or that editors produce. (Lines python-dotenv itself
# refuses — an unterminated quote, text after a closing quote — and multi-line values are left out:
# the monitor would warn and skip them.)
ODD_VALUES = {
    "utf8_bom": "\ufeffZOOM_CLIENT_ID=written-by-notepad",
    "dollar_brace_unquoted": "ZOOM_CLIENT_ID=abc${HOME}def",
    "dollar_brace_double_quoted": 'ZOOM_CLIENT_ID="abc${HOME}def"',
    "dollar_plain": "ZOOM_CLIENT_ID=abc$HOME",
    "single_quoted_backslashes": "ZOOM_CLIENT_ID='a\\\\b\\c'",
    "single_quoted_escaped_quote": "ZOOM_CLIENT_ID='it\\'s'",
    "double_quoted_unknown_escape": 'ZOOM_CLIENT_ID="ab\\cd\\u00e9"',
    "double_quoted_known_escapes": 'ZOOM_CLIENT_ID="a\\"b\\\\c\\td"',
    "unquoted_backslash": "ZOOM_CLIENT_ID=a\\b\\'c",
    "tab_before_comment": "ZOOM_CLIENT_ID=abc\t# comment",
    "empty_double_quotes": 'ZOOM_CLIENT_ID=""',
    "export_without_value": "export ZOOM_CLIENT_ID=",
}


@pytest.mark.parametrize("case", list(ODD_VALUES))
def test_dotenv_and_the_shell_loader_agree_on_odd_values(tmp_path, case):
    env_file = tmp_path / ".env"
    env_file.write_bytes((ODD_VALUES[case] + "\nZOOM_OAUTH_URL=http://127.0.0.1:9/x\n").encode())
    py, sh = dotenv_view(env_file), shell_values(env_file)
    assert py.get("ZOOM_OAUTH_URL") == sh.get("ZOOM_OAUTH_URL") == "http://127.0.0.1:9/x"
    py_value, sh_value = py.get("ZOOM_CLIENT_ID"), sh.get("ZOOM_CLIENT_ID")
    assert py_value == sh_value, \
        f"python-dotenv {py_value!r} != shell {sh_value!r} for the line {ODD_VALUES[case]!r}"


# --------------------------------------------------------------------------- .env missing or unreadable


@pytest.mark.parametrize("how", ["missing", "a_directory"])
def test_monitor_with_env_missing_or_unreadable(sim, tmp_path, monkeypatch, how):
    """Root reads a 0000 file, so "unreadable" is a directory in place of .env here (bats/faults.bats
    also drops to nobody with setpriv for a real 0000 file)."""
    for key in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
        monkeypatch.delenv(key)
    env_file = tmp_path / ".env"
    if how == "a_directory":
        env_file.mkdir()
    out = io.StringIO()
    monitor = TokenMonitor(env_file, SCRIPTS, out=out,
                           settings=Settings(display_interval=0, max_failures=1, restart_claude=False))
    assert monitor.get_token() is None and monitor.status()["state"] == "missing"
    monitor.run_once()
    text = out.getvalue()
    assert "🔑 Token Status: ❌ No token" in text
    assert "get_zoom_token.sh exited with code 2 — configuration error" in text
    assert "To recover, run: ./scripts/get_zoom_token.sh -f" in text
    if how == "missing":
        assert re.search(r"ERROR: missing credentials: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET",
                         text), text
        assert not env_file.exists()
    else:
        assert re.search(r"ERROR: cannot read .*\.env", text), text
        assert env_file.is_dir() and list(env_file.iterdir()) == []
    assert sim.requests(route="token") == []
