"""Extension mode (issue 17), in process: the state folder, the environment Claude passes, what
zoom_token_status says when something is wrong, and the monitor's refresh block as an extension.
The real bundle, unpacked and launched through uv, is tests/test_bundle_e2e.py."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import bundle_mode
import token_monitor as tm
from tests.test_monitor import T0, Clock, Kit, drive, jwt, lines, write_env
from token_monitor import RULE, Settings, TokenMonitor

ROOT = Path(__file__).resolve().parent.parent
CREDS = {"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "s3cr3t-value"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("ZOOM_MCP_BUNDLE", "ZOOM_AUTO_REFRESH_THRESHOLD", "ZOOM_TOKEN_DISPLAY_INTERVAL",
                 "ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT", "ZOOM_ENV_FILE", "ZOOM_STARTUP_FETCH_EXIT"):
        monkeypatch.delenv(name, raising=False)


# -- where the state lives ------------------------------------------------------------------------


def test_state_folder_per_platform_outside_any_extension_folder(tmp_path):
    home = tmp_path / "home"
    assert bundle_mode.state_dir({"HOME": str(home)}, "darwin") == \
        home / "Library" / "Application Support" / "zoom-mcp"
    assert bundle_mode.state_dir({"HOME": str(home)}, "linux") == home / ".local" / "state" / "zoom-mcp"
    assert bundle_mode.state_dir({"HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "st")}, "linux") == \
        tmp_path / "st" / "zoom-mcp"
    # A relative XDG_STATE_HOME is ignored (XDG spec): it would land in the extension's working folder.
    assert bundle_mode.state_dir({"HOME": str(home), "XDG_STATE_HOME": "rel"}, "linux") == \
        home / ".local" / "state" / "zoom-mcp"


def test_prepare_makes_a_private_state_folder_and_points_the_kit_at_it(tmp_path):
    (tmp_path / "home").mkdir()
    old = os.umask(0o022)  # a permissive umask must not leak into the folder's mode
    try:
        env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", **CREDS,
               "ZOOM_AUTO_REFRESH_THRESHOLD": "300.0",
               "ZOOM_TOKEN_DISPLAY_INTERVAL": "${user_config.display_interval}"}
        env_file = bundle_mode.prepare(env)
    finally:
        os.umask(old)
    folder = bundle_mode.state_dir(env)
    assert env_file == folder / ".env" and env["ZOOM_ENV_FILE"] == str(env_file)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not env_file.exists()  # the kit writes it (0600); prepare writes no secret anywhere
    assert env["PATH"].split(":")[:2] == ["/usr/bin", "/bin"] and "/opt/homebrew/bin" in env["PATH"]
    assert env["ZOOM_AUTO_REFRESH_THRESHOLD"] == "300"  # Claude may pass a number as 300.0
    assert "ZOOM_TOKEN_DISPLAY_INTERVAL" not in env  # a placeholder left unsubstituted: the default
    assert {k: env[k] for k in CREDS} == CREDS
    folder.chmod(0o755)  # an older, looser folder is tightened again
    bundle_mode.prepare(env)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_active_only_with_the_manifests_mark():
    assert bundle_mode.active({"ZOOM_MCP_BUNDLE": "1"})
    assert not bundle_mode.active({})
    assert not bundle_mode.active({"ZOOM_MCP_BUNDLE": "0"})
    assert Settings.from_env({"ZOOM_MCP_BUNDLE": "1"}).extension
    assert not Settings.from_env({}, {"ZOOM_MCP_BUNDLE": "1"}).extension  # never from a .env line


# -- what zoom_token_status says --------------------------------------------------------------------


def _tools_path(tmp_path, *tools):
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in tools:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return str(folder)


def _no_paths(extra: dict, tmp_path) -> None:
    text = json.dumps(extra)
    assert ".env" not in text and str(tmp_path) not in text and "scripts/" not in text, text


def test_explain_names_missing_credentials_by_their_titles_in_claudes_settings(tmp_path):
    env = {"PATH": _tools_path(tmp_path, "bash", "curl", "jq"), "ZOOM_ACCOUNT_ID": "a"}
    kit_says = f"missing credentials: ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (set them in {tmp_path}/.env)"
    status = {"state": "missing",
              "last_error": {"step": "get_zoom_token.sh (at start)", "exit_code": 2, "message": kit_says}}
    extra = bundle_mode.explain(status, env)
    assert extra["problem"] == "'Client ID' and 'Client Secret' are not set."
    place = "Claude Desktop → Settings → Extensions → Zoom (Server-to-Server OAuth) → Configure"
    assert extra["fix"].startswith(f"In {place}, fill in 'Client ID' and 'Client Secret'")
    assert extra["last_error"] == {"step": "get_zoom_token.sh (at start)", "exit_code": 2}
    _no_paths(extra, tmp_path)
    # The titles are the manifest's: the user sees exactly these words in the settings form.
    titles = {s.env: s.title for s in bundle_mode.SETTINGS}
    assert titles["ZOOM_CLIENT_ID"] == "Client ID" and titles["ZOOM_CLIENT_SECRET"] == "Client Secret"


def test_explain_rejected_credentials_keeps_zooms_reason(tmp_path):
    env = {"PATH": _tools_path(tmp_path, "bash", "curl", "jq"), **CREDS}
    reason = "Zoom rejected the credentials (HTTP 400 invalid_client): Invalid client_id or client_secret"
    extra = bundle_mode.explain({"state": "missing", "last_error": {"exit_code": 3, "message": reason}}, env)
    assert extra["problem"] == reason + "."
    assert "check 'Account ID', 'Client ID' and 'Client Secret'" in extra["fix"]
    assert CREDS["ZOOM_CLIENT_SECRET"] not in json.dumps(extra)
    _no_paths(extra, tmp_path)


def test_explain_missing_tools_and_failed_requests_and_nothing_wrong(tmp_path):
    env = {"PATH": _tools_path(tmp_path, "bash", "curl"), **CREDS}
    extra = bundle_mode.explain({"state": "missing"}, env)
    assert extra["problem"] == "'jq' is not installed." and "brew install jq" in extra["fix"]
    env["PATH"] = _tools_path(tmp_path, "bash", "curl", "jq")
    net = {"exit_code": 1, "message": "could not connect to https://zoom.us/oauth/token (connection refused)"}
    extra = bundle_mode.explain({"state": "fresh", "last_error": net}, env)
    assert "The last token request failed (could not connect" in extra["problem"]
    assert "tries again by itself" in extra["fix"]
    assert bundle_mode.explain({"state": "fresh"}, env) == {}


# -- the monitor as an extension ----------------------------------------------------------------------


@pytest.fixture
def ext(tmp_path):
    clock = Clock()
    env_file = tmp_path / ".env"
    write_env(env_file, jwt(T0 + 1000, T0 - 2600, "old"), T0 + 1000)
    kit = Kit(env_file, clock, config=tmp_path / "claude.json")
    out = io.StringIO()

    def make(**kw):
        return TokenMonitor(env_file, tmp_path / "scripts", settings=Settings(extension=True), clock=clock,
                            out=out, run=kit, launched_by_claude=True, **kw)

    return clock, env_file, kit, out, make


def test_extension_refresh_block_keeps_the_seeds_lines_each_followed_by_why_skipped(ext):
    clock, _env_file, kit, out, make = ext
    m = make()
    drive(m, clock, T0 + 699)
    lines(out)
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    assert got[0] == got[-1] == RULE
    i = got.index("⚙️  Running: update_claude_config.sh")
    assert got[i:i + 5] == [
        "⚙️  Running: update_claude_config.sh",
        "   ↳ Skipped: Claude Desktop runs this server as an extension and holds no copy of the token to "
        "update; the server reads it from its own state folder.",
        "🚀 Running: restart_claude_app.sh",
        "   ↳ Skipped: Claude Desktop has no stale token to reload, and restarting it would stop this "
        "server.",
        "✅ Token refresh complete! New token is now active.",
    ]
    assert kit.names() == ["get_zoom_token.sh"]  # neither Claude script ran
    assert not kit.config.exists()  # no Claude config was written


def test_fetch_at_start_is_run_shs_fetch_and_a_failure_counts_once(ext):
    clock, env_file, kit, out, make = ext
    env_file.write_text("")  # a first start: no token yet
    m = make()
    assert m.fetch_at_start() and m.get_token() and m.status()["state"] == "fresh"
    assert kit.calls == [[str(m.scripts_dir / "get_zoom_token.sh"), "-q", "-t", "300"]]
    assert "last_error" not in m.status()

    env_file.write_text("")
    kit.get_codes = [3]
    m = make(explain=lambda status: {"explained": status["last_error"]["exit_code"]})
    lines(out)
    assert not m.fetch_at_start()
    got = lines(out)
    assert "   ERROR: token request failed (3)" in got
    assert got[-2].startswith("⚠️  Token refresh failed at get_zoom_token.sh (at start): get_zoom_token.sh "
                              "exited with code 3 — Zoom rejected the credentials")
    status = m.status()
    assert status["consecutive_failures"] == 1 and status["explained"] == 3
    assert status["last_error"]["message"] == "token request failed (3)"
    # The cooldown runs from this failure: the loop does not send a second request at once.
    before = len(kit.calls)
    m.run_once()
    assert len(kit.calls) == before


def test_extension_recovery_line_points_at_the_settings_not_a_script(ext):
    clock, env_file, kit, out, make = ext
    env_file.write_text("")
    kit.get_codes = [3, 3, 3]
    m = make()
    m.fetch_at_start()
    drive(m, clock, T0 + 200)
    text = "\n".join(lines(out))
    assert "❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled." in text
    assert "To recover, fix what zoom_token_status names in the extension's settings" in text
    assert "get_zoom_token.sh -f" not in text


def test_a_script_without_its_mode_bits_still_runs(tmp_path):
    """An unpacker that drops the zip's modes must not stop every refresh: bash runs the script."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    script = scripts / "get_zoom_token.sh"
    script.write_text("#!/usr/bin/env bash\necho \"📋 Token fetched successfully\"\n"
                      "printf 'ZOOM_ACCESS_TOKEN=%s\\nZOOM_TOKEN_EXPIRES_AT=%s\\n' tok-123456789012 "
                      "$(( $(date +%s) + 3600 )) > \"$ZOOM_ENV_FILE\"\n")
    script.chmod(0o644)
    seen = []

    def run(argv, **kw):
        seen.append(argv)
        return tm.run_script(argv, **kw)

    m = TokenMonitor(tmp_path / ".env", scripts, settings=Settings(extension=True), out=io.StringIO(),
                     run=run)
    assert m.fetch_at_start() and m.get_token() == "tok-123456789012"
    assert seen[0][:2] == ["bash", str(script)]


# -- the server's entry point as an extension -------------------------------------------------------


def test_entry_point_as_extension_never_writes_to_stdout_and_keeps_credentials_off_disk(tmp_path, sim):
    """zoom_mcp.main with ZOOM_MCP_BUNDLE=1 and no run.sh: the first token fetch happens, the token
    goes to the state folder's .env (0600) with nothing but the token pair, and stdout stays empty
    (stdin closed: the stdio server ends at once)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "ZOOM_MCP_BUNDLE": "1",
           "ZOOM_ACCOUNT_ID": sim.account_id, "ZOOM_CLIENT_ID": sim.client_id,
           "ZOOM_CLIENT_SECRET": sim.client_secret, "ZOOM_OAUTH_URL": sim.oauth_url,
           "ZOOM_API_BASE_URL": sim.api_url, "ZOOM_TOKEN_DISPLAY_INTERVAL": "0", "NO_PROXY": "127.0.0.1"}
    res = subprocess.run([sys.executable, str(ROOT / "zoom_mcp.py")], env=env, cwd=tmp_path,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert res.stdout == "", res.stdout
    assert sim.stats()["token_requests"] == 1, res.stderr
    state = home / ".local" / "state" / "zoom-mcp"
    env_file = state / ".env"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700 and stat.S_IMODE(env_file.stat().st_mode) == 0o600
    keys = [line.split("=", 1)[0] for line in env_file.read_text().splitlines() if line.strip()]
    assert keys == ["ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT"]
    for path in home.rglob("*"):
        if path.is_file():
            assert sim.client_secret not in path.read_text(errors="replace"), path
    assert not list(home.rglob("claude_desktop_config.json"))
