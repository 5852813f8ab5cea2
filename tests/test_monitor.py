"""Unit tests of token_monitor with a fake clock and a fake `run` (no real waiting, no scripts)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import threading
import time

import pytest

import token_monitor as tm
from token_monitor import RULE, Settings, SettingsError, TokenMonitor, format_status

T0 = 1_800_000_000  # a fixed epoch second: 2027-01-15 08:00:00 UTC


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for name in ("ZOOM_TOKEN_DISPLAY_INTERVAL", "ZOOM_AUTO_REFRESH_THRESHOLD", "ZOOM_REFRESH_COOLDOWN",
                 "ZOOM_MAX_REFRESH_FAILURES", "ZOOM_RESTART_CLAUDE", "ZOOM_LAUNCHED_BY_CLAUDE",
                 "ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT", "ZOOM_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield
    monkeypatch.undo()
    time.tzset()


class Clock:
    def __init__(self, t: float = T0):
        self.t = float(t)

    def __call__(self) -> float:
        return self.t


def jwt(exp: int, iat: int, tag: str = "x") -> str:
    def seg(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{seg({'sv': '000001', 'alg': 'HS512'})}.{seg({'exp': exp, 'iat': iat, 'tag': tag})}.sig{tag}"


def write_env(path, token, expires_at, extra="ZOOM_ACCOUNT_ID=acct\n"):
    """Atomic like the real kit: a new inode every time."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"# comment\n{extra}ZOOM_ACCESS_TOKEN={token}\nZOOM_TOKEN_EXPIRES_AT={expires_at}\n")
    os.replace(tmp, path)


class Kit:
    """A fake `run` that plays the four scripts; records every call."""

    def __init__(self, env_file, clock, ttl=3600):
        self.env_file, self.clock, self.ttl = env_file, clock, ttl
        self.calls: list[list[str]] = []
        self.get_codes: list[int] = []  # exit codes for the next get_zoom_token.sh runs (0 = fetch)
        self.codes = {"update_claude_config.sh": 0, "restart_claude_app.sh": 0}
        self.n = 0
        self.gate: threading.Event | None = None  # blocks get_zoom_token.sh while set up

    def names(self):
        return [os.path.basename(c[0]) for c in self.calls]

    def __call__(self, argv, **kw):
        assert kw.get("stdin") is subprocess.DEVNULL and kw.get("capture_output")
        assert "ZOOM_ACCESS_TOKEN" not in kw["env"]
        self.calls.append(list(argv))
        name = os.path.basename(argv[0])
        if name == "get_zoom_token.sh":
            if self.gate is not None:
                self.gate.wait(5)
            code = self.get_codes.pop(0) if self.get_codes else 0
            if code:
                return subprocess.CompletedProcess(argv, code, "", f"ERROR: token request failed ({code})\n")
            self.n += 1
            now = int(self.clock())
            write_env(self.env_file, jwt(now + self.ttl, now, f"new{self.n}"), now + self.ttl)
            return subprocess.CompletedProcess(
                argv, 0, "📋 Token fetched successfully\n🔄 eyJz...old → eyJz...new\n", "")
        return subprocess.CompletedProcess(argv, self.codes[name], "some chatter\n", "")


@pytest.fixture
def setup(tmp_path):
    clock = Clock()
    env_file = tmp_path / ".env"
    write_env(env_file, jwt(T0 + 1000, T0 - 2600, "old"), T0 + 1000)
    kit = Kit(env_file, clock)
    out = io.StringIO()

    def make(settings=None, launched_by_claude=False, **kw):
        return TokenMonitor(env_file, tmp_path / "scripts", settings=settings or Settings(), clock=clock,
                            out=out, run=kit, launched_by_claude=launched_by_claude, **kw)

    return clock, env_file, kit, out, make


def lines(out: io.StringIO) -> list[str]:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.splitlines()


def drive(m: TokenMonitor, clock: Clock, until: float, max_steps: int = 1000) -> int:
    """What the thread does, without sleeping: jump the clock to each wake-up time."""
    steps = 0
    while clock.t < until:
        wake = m.run_once()
        assert wake > clock.t, "next wake-up must be in the future (no busy loop)"
        clock.t = min(max(wake, clock.t + 1e-6), until)
        steps += 1
        assert steps < max_steps, "busy loop"
    m.run_once()
    return steps + 1


# --------------------------------------------------------------------------- format_status


@pytest.mark.parametrize(("left", "text"), [
    (3605, "✅ Expires in 1h 0m 5s (at 9:00:05 AM)"),
    (901, "✅ Expires in 15m 1s (at 8:15:01 AM)"),
    (900, "📊 Expires in 15m 0s (at 8:15:00 AM)"),
    (899, "📊 Expires in 14m 59s (at 8:14:59 AM)"),
    (301, "📊 Expires in 5m 1s (at 8:05:01 AM)"),
    (300, "📊 Expires in 5m 0s (at 8:05:00 AM)"),
    (299, "⚠️ Expires in 4m 59s (at 8:04:59 AM)"),
    (45, "⚠️ Expires in 45s (at 8:00:45 AM)"),
    (1, "⚠️ Expires in 1s (at 8:00:01 AM)"),
    (0, "❌ Expired 0s ago"),
    (-1, "❌ Expired 1s ago"),
    (-182, "❌ Expired 3m 2s ago"),
])
def test_status_line_at_each_boundary(left, text):
    assert format_status(T0 + left, T0) == f"🔑 Token Status: {text}"
    # a fraction of a second later is still the same whole second, as `date +%s` sees it
    assert format_status(T0 + left, T0 + 0.999) == f"🔑 Token Status: {text}"


def test_status_line_no_token_and_afternoon():
    assert format_status(None, T0) == "🔑 Token Status: ❌ No token"
    # 13:51:23 UTC -> 1:51:23 PM: 12-hour clock without a leading zero
    assert format_status(T0 + 5 * 3600 + 51 * 60 + 23, T0 + 5 * 3600 + 51 * 60 + 23 - 3449) == \
        "🔑 Token Status: ✅ Expires in 57m 29s (at 1:51:23 PM)"
    assert tm.format_status(T0 - 8 * 3600 + 12 * 3600, T0 - 8 * 3600) .endswith("(at 12:00:00 PM)")


def test_status_states_and_dict(setup):
    assert [tm.state_of(T0 + d, T0) for d in (901, 900, 300, 299, 1, 0)] == \
        ["fresh", "expiring", "expiring", "critical", "critical", "expired"]
    assert tm.state_of(None, T0) == "missing"
    _clock, _env, _kit, _out, make = setup
    m = make()
    assert m.status() == {"state": "fresh", "expires_at": T0 + 1000, "seconds_left": 1000,
                          "auto_refresh_enabled": True, "consecutive_failures": 0}


def test_mask():
    assert tm.mask("eyJzdiI6IjAwMDAwMSJ9NTMz") == "eyJz...NTMz"
    assert tm.mask(None) == "(none)"
    assert tm.mask("short") == "****"


# --------------------------------------------------------------------------- display


def test_display_every_interval(setup):
    clock, _env, kit, out, make = setup
    m = make(Settings(display_interval=60))
    assert m.run_once() == T0 + 60
    assert lines(out) == ["🔑 Token Status: ✅ Expires in 16m 40s (at 8:16:40 AM)"]
    clock.t = T0 + 30
    m.run_once()
    assert lines(out) == []
    clock.t = T0 + 60
    assert m.run_once() == T0 + 120
    assert lines(out) == ["🔑 Token Status: ✅ Expires in 15m 40s (at 8:16:40 AM)"]
    drive(m, clock, T0 + 600)
    assert len(lines(out)) == 9  # 180, 240, ..., 600... wake-ups only at display ticks
    assert kit.calls == []


def test_display_interval_zero_shows_only_the_first_line_but_keeps_monitoring(setup):
    clock, _env, kit, out, make = setup
    m = make(Settings(display_interval=0))
    steps = drive(m, clock, T0 + 650)
    assert lines(out) == ["🔑 Token Status: ✅ Expires in 16m 40s (at 8:16:40 AM)"]
    assert steps <= 13  # at most one wake-up a minute while idle
    drive(m, clock, T0 + 701)
    assert kit.names()[0] == "get_zoom_token.sh"


@pytest.mark.parametrize("interval", [0, 1, 60, 3600])
def test_the_crossing_fires_within_one_second_whatever_the_interval(setup, interval):
    clock, env_file, kit, out, make = setup
    write_env(env_file, jwt(T0 + 1000, T0 - 2600), T0 + 1000)
    m = make(Settings(display_interval=interval))
    crossing = T0 + 1000 - 300
    for _ in range(1000):
        wake = m.run_once()
        if kit.calls:
            break
        assert clock.t < wake <= crossing + 1, "would sleep past the crossing"
        clock.t = wake
    assert kit.names()[0] == "get_zoom_token.sh"
    assert crossing <= clock.t <= crossing + 1


def test_idle_wakeups_at_defaults_are_few(setup):
    clock, env_file, _kit, _out, make = setup
    write_env(env_file, jwt(T0 + 3600, T0), T0 + 3600)
    m = make()
    steps = drive(m, clock, T0 + 600)
    assert steps <= 11  # one a minute


# --------------------------------------------------------------------------- the sequence

SEQUENCE = [
    RULE,
    # at the crossing exactly 300 s are left: 📊 (⚠️ is under 5 min), as check_zoom_token.sh says
    r"🔑 Token Status: 📊 Expires in 5m 0s \(at 8:16:40 AM\)",
    "⏳ Token expiring soon! Automatically refreshing...",
    "📝 Running: get_zoom_token.sh",
    "📋 Token fetched successfully",
    "🔄 Loading new token from .env",
    r"✅ Token updated: (\S{4})\.\.\.(\S{4}) → (\S{4})\.\.\.(\S{4})",
    "⚙️  Running: update_claude_config.sh",
    "🚀 Running: restart_claude_app.sh",
    "✅ Token refresh complete! New token is now active.",
    r"🔑 Token Status: ✅ Expires in 1h 0m 0s \(at 9:11:40 AM\)",
    RULE,
]


def test_the_refresh_sequence_exact_lines_in_order(setup):
    clock, env_file, kit, out, make = setup
    m = make()
    old = m.get_token()
    drive(m, clock, T0 + 699)
    lines(out)
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    assert len(got) == 12, got
    for want, line in zip(SEQUENCE, got, strict=True):
        assert re.fullmatch(want if want != RULE else re.escape(RULE), line), (want, line)
    assert RULE == "━" * 60
    new = m.get_token()
    assert new != old and got[6] == f"✅ Token updated: {tm.mask(old)} → {tm.mask(new)}"
    assert kit.calls == [[str(m.scripts_dir / "get_zoom_token.sh"), "-t", "300"],
                         [str(m.scripts_dir / "update_claude_config.sh")],
                         [str(m.scripts_dir / "restart_claude_app.sh"), "--if-running"]]
    assert m.status()["state"] == "fresh" and m.failures == 0
    # the script's own `🔄 old → new` line and chatter are not shown
    assert not any("eyJz...old" in line or "chatter" in line for line in got)
    # no display line right after the block (it ended with the status); the next one an interval on
    assert m.run_once() == T0 + 760
    assert lines(out) == []
    clock.t = T0 + 760
    m.run_once()
    assert lines(out) == ["🔑 Token Status: ✅ Expires in 59m 0s (at 9:11:40 AM)"]


def test_no_token_is_fetched_at_once(setup, tmp_path):
    clock, env_file, kit, out, make = setup
    env_file.write_text("ZOOM_ACCOUNT_ID=a\n")
    m = make()
    assert m.get_token() is None
    m.run_once()
    got = lines(out)
    assert got[:2] == [RULE, "🔑 Token Status: ❌ No token"]
    assert "⏳ No token! Fetching one..." in got and "📋 Token fetched successfully" in got
    assert m.get_token() and m.status()["state"] == "fresh"


def test_failure_while_valid_changes_nothing(setup, tmp_path):
    clock, env_file, kit, out, make = setup
    config = tmp_path / "claude.json"
    config.write_text('{"mcpServers": {}}')
    before = env_file.read_bytes(), config.read_bytes()
    kit.get_codes = [1]
    m = make()
    old = m.get_token()
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    assert kit.names() == ["get_zoom_token.sh"]  # no config update, no restart
    assert (env_file.read_bytes(), config.read_bytes()) == before
    assert m.get_token() == old
    assert "   ERROR: token request failed (1)" in got
    assert ("⚠️  Token refresh failed at get_zoom_token.sh: get_zoom_token.sh exited with code 1 "
            "— the token request failed.") in got
    assert "   Nothing was changed; the current token stays in use (expires in 5m 0s)." in got
    assert "🔁 Next attempt in 30s (failure 1 of 3)." in got
    assert got[-1] == RULE and m.status()["consecutive_failures"] == 1


def test_cooldown_between_attempts(setup):
    clock, _env, kit, out, make = setup
    kit.get_codes = [1, 1]
    m = make(Settings(cooldown=30))
    clock.t = T0 + 700
    assert m.run_once() == T0 + 730
    clock.t = T0 + 729.9
    m.run_once()
    assert kit.names() == ["get_zoom_token.sh"]
    clock.t = T0 + 730
    m.run_once()
    assert kit.names() == ["get_zoom_token.sh", "get_zoom_token.sh"]
    clock.t = T0 + 760
    m.run_once()  # third attempt succeeds
    assert kit.names()[2:] == ["get_zoom_token.sh", "update_claude_config.sh", "restart_claude_app.sh"]
    assert m.failures == 0


def test_disabled_after_max_failures_then_display_goes_on(setup):
    clock, env_file, kit, out, make = setup
    kit.get_codes = [3, 3, 3]
    m = make()
    before = env_file.read_bytes()
    drive(m, clock, T0 + 700 + 30 + 30 + 1)
    got = lines(out)
    assert kit.names() == ["get_zoom_token.sh"] * 3
    i = got.index("❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.")
    assert got[i + 1] == "To recover, run: ./scripts/get_zoom_token.sh -f"
    assert got.count("❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.") == 1
    assert sum("code 3 — Zoom rejected the credentials" in line for line in got) == 3
    assert m.status()["auto_refresh_enabled"] is False and m.status()["consecutive_failures"] == 3
    assert env_file.read_bytes() == before
    drive(m, clock, T0 + 1200)  # past expiry: no more attempts, the display goes on
    got = lines(out)
    assert kit.names() == ["get_zoom_token.sh"] * 3
    assert sum(line.startswith("🔑 Token Status: ") for line in got) >= 7  # one a minute
    assert any(line.startswith("🔑 Token Status: ❌ Expired 3m ") for line in got)


def test_recovery_when_env_gets_a_new_token_from_outside(setup):
    clock, env_file, kit, out, make = setup
    kit.get_codes = [1, 1, 1]
    m = make()
    drive(m, clock, T0 + 761)
    assert not m.auto_refresh_enabled
    lines(out)
    new = jwt(int(clock.t) + 3600, int(clock.t), "hand")
    write_env(env_file, new, int(clock.t) + 3600)  # someone ran get_zoom_token.sh -f
    m.run_once()
    got = lines(out)
    assert got[0] == (f"✅ New token found in .env: {tm.mask(jwt(T0 + 1000, T0 - 2600, 'old'))} → "
                      f"{tm.mask(new)}. Failure count reset; auto-refresh re-enabled.")
    assert got[1].startswith("🔑 Token Status: ✅ Expires in 1h 0m 0s")
    assert m.get_token() == new
    assert m.status() | {"expires_at": 0} == {"state": "fresh", "expires_at": 0, "seconds_left": 3600,
                                               "auto_refresh_enabled": True, "consecutive_failures": 0}
    # and auto-refresh works again at the next crossing
    drive(m, clock, clock.t + 3300 + 1)
    assert kit.names()[-3:] == ["get_zoom_token.sh", "update_claude_config.sh", "restart_claude_app.sh"]


def test_get_token_notices_env_change_at_most_once_a_second(setup, monkeypatch):
    clock, env_file, _kit, out, make = setup
    m = make()
    old = m.get_token()
    new = jwt(T0 + 3600, T0, "outside")
    write_env(env_file, new, T0 + 3600)
    clock.t += 0.5
    stats = []
    real_stat = os.stat
    monkeypatch.setattr(tm.os, "stat", lambda p, *a, **k: stats.append(p) or real_stat(p, *a, **k))
    assert m.get_token() == old  # checked less than a second ago
    assert stats == []
    for _ in range(100):
        m.get_token()
    assert stats == []
    clock.t += 0.5
    assert m.get_token() == new
    assert stats
    assert lines(out) == [f"🔄 New token loaded from .env: {tm.mask(old)} → {tm.mask(new)}"]
    stats.clear()
    clock.t += 1
    for _ in range(100):  # steady state: one stat a second, nothing read
        assert m.get_token() == new
    assert len(stats) == 1


def test_update_config_failure_is_a_warning_only(setup):
    clock, _env, kit, out, make = setup
    kit.codes["update_claude_config.sh"] = 1
    m = make()
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    assert ("⚠️  update_claude_config.sh failed (update_claude_config.sh exited with code 1); Claude "
            "Desktop's config keeps the old token. The server itself uses the new one.") in got
    assert "restart_claude_app.sh" not in " ".join(kit.names())
    assert m.failures == 0 and m.status()["state"] == "fresh"


# --------------------------------------------------------------------------- restart step


def test_restart_skipped_when_launched_by_claude(setup):
    clock, _env, kit, out, make = setup
    m = make(launched_by_claude=True)
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    assert ("🚀 Skipped: restart_claude_app.sh (this server was launched by Claude Desktop; restarting it "
            "would stop the server)") in got
    assert kit.names() == ["get_zoom_token.sh", "update_claude_config.sh"]
    assert got[-3] == "✅ Token refresh complete! New token is now active."


def test_restart_skipped_with_zoom_restart_claude_0(setup, monkeypatch):
    clock, _env, kit, out, make = setup
    monkeypatch.setenv("ZOOM_RESTART_CLAUDE", "0")
    m = make(Settings.from_env())
    clock.t = T0 + 700
    m.run_once()
    assert "🚀 Skipped: restart_claude_app.sh (ZOOM_RESTART_CLAUDE=0)" in lines(out)
    assert kit.names() == ["get_zoom_token.sh", "update_claude_config.sh"]


def test_launched_by_claude_detection(monkeypatch):
    assert tm.detect_launched_by_claude({"ZOOM_LAUNCHED_BY_CLAUDE": "1"}) is True
    assert tm.detect_launched_by_claude({"ZOOM_LAUNCHED_BY_CLAUDE": "0"}) is False
    chain = {100: ("Claude", "/Applications/Claude.app/Contents/MacOS/Claude", 1)}
    monkeypatch.setattr(tm.os, "getppid", lambda: 300)
    chain[300] = ("bash", "/bin/bash run.sh", 100)
    monkeypatch.setattr(tm, "_process_info", lambda pid: chain.get(pid, ("", "", 0)))
    assert tm.detect_launched_by_claude({}) is True
    chain[100] = ("claude", "node /usr/bin/claude", 1)  # Claude Code, not Claude Desktop
    assert tm.detect_launched_by_claude({}) is False
    chain[100] = ("claude-desktop", "/usr/lib/claude-desktop/claude-desktop", 1)
    assert tm.detect_launched_by_claude({}) is True
    # this test process itself is not run by Claude Desktop
    monkeypatch.undo()
    assert tm.detect_launched_by_claude({}) is False


# --------------------------------------------------------------------------- settings


def test_settings_defaults_env_and_env_file(monkeypatch):
    assert Settings.from_env({}) == Settings(60, 300, 30, 3, True)
    s = Settings.from_env({"ZOOM_TOKEN_DISPLAY_INTERVAL": "0", "ZOOM_REFRESH_COOLDOWN": "5"},
                          {"ZOOM_AUTO_REFRESH_THRESHOLD": "120", "ZOOM_REFRESH_COOLDOWN": "99",
                           "ZOOM_RESTART_CLAUDE": "0"})
    assert s == Settings(0, 120, 5, 3, False)  # the environment wins over .env


@pytest.mark.parametrize(("name", "value", "message"), [
    ("ZOOM_TOKEN_DISPLAY_INTERVAL", "abc", "ZOOM_TOKEN_DISPLAY_INTERVAL='abc' is not a whole number"),
    ("ZOOM_TOKEN_DISPLAY_INTERVAL", "-1", "ZOOM_TOKEN_DISPLAY_INTERVAL=-1 must be 0 or more"),
    ("ZOOM_AUTO_REFRESH_THRESHOLD", "0", "ZOOM_AUTO_REFRESH_THRESHOLD=0 must be 1 or more"),
    ("ZOOM_AUTO_REFRESH_THRESHOLD", "1.5", "is not a whole number"),
    ("ZOOM_REFRESH_COOLDOWN", "-5", "must be 0 or more"),
    ("ZOOM_MAX_REFRESH_FAILURES", "0", "ZOOM_MAX_REFRESH_FAILURES=0 must be 1 or more"),
    ("ZOOM_RESTART_CLAUDE", "maybe", "ZOOM_RESTART_CLAUDE='maybe' must be 1 or 0"),
])
def test_bad_settings_are_a_clear_error(name, value, message, tmp_path, monkeypatch, capsys):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({name: value})
    env_file = tmp_path / ".env"
    env_file.write_text(f"{name}={value}\n")  # from .env too, and the monitor refuses to start
    with pytest.raises(SettingsError):
        TokenMonitor(env_file, out=io.StringIO())
    monkeypatch.setenv("ZOOM_ENV_FILE", str(env_file))
    assert tm.main() == 2
    assert f"ERROR: {name}=" in capsys.readouterr().err


@pytest.mark.parametrize(("threshold", "lifetime", "effective"), [
    (600, 600, 300), (1000, 600, 300), (599, 600, 599), (300, 3600, 300), (3600, 3600, 1800)])
def test_threshold_at_or_above_lifetime_is_clamped(setup, threshold, lifetime, effective):
    clock, env_file, _kit, out, make = setup
    write_env(env_file, jwt(T0 + 500, T0 + 500 - lifetime), T0 + 500)
    m = make(Settings(threshold=threshold))
    assert m.threshold == effective
    warning = (f"⚠️  ZOOM_AUTO_REFRESH_THRESHOLD={threshold} is not below the token lifetime ({lifetime}s); "
               f"using {effective}s instead.")
    assert (warning in lines(out)) is (effective != threshold)


def test_clamp_from_the_lifetime_seen_at_a_refresh(setup):
    clock, env_file, kit, out, make = setup
    env_file.write_text("ZOOM_ACCESS_TOKEN=opaque-token-without-claims\n")  # lifetime unknown
    kit.ttl = 200
    m = make(Settings(threshold=300))
    assert m.threshold == 300
    m.run_once()
    assert m.threshold == 100
    assert any("ZOOM_AUTO_REFRESH_THRESHOLD=300 is not below the token lifetime (200s); using 100s"
               in line for line in lines(out))
    drive(m, clock, T0 + 99)
    assert kit.names().count("get_zoom_token.sh") == 1  # no refresh loop


# --------------------------------------------------------------------------- server side


def test_handle_unauthorized_returns_a_newer_env_token_without_refresh(setup):
    clock, env_file, kit, _out, make = setup
    m = make()
    bad = m.get_token()
    write_env(env_file, jwt(T0 + 3600, T0, "other"), T0 + 3600)
    assert m.handle_unauthorized(bad) == jwt(T0 + 3600, T0, "other")
    assert kit.calls == []


def test_handle_unauthorized_is_single_flight(setup):
    clock, _env, kit, out, make = setup
    m = make()
    bad = m.get_token()
    kit.gate = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(m.handle_unauthorized(bad))) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while not kit.calls and time.monotonic() < deadline:
        time.sleep(0.001)
    kit.gate.set()
    for t in threads:
        t.join(5)
    assert kit.names().count("get_zoom_token.sh") == 1
    assert kit.calls[0][1:] == ["-f"]  # the token was rejected: its expiry does not matter
    assert len(results) == 8 and len(set(results)) == 1 and results[0] not in (None, bad)
    assert "⏳ Zoom rejected the token! Fetching a new one..." in lines(out)


def test_handle_unauthorized_failure_is_shared_and_cooled_down(setup):
    clock, _env, kit, _out, make = setup
    kit.get_codes = [1]
    m = make()
    bad = m.get_token()
    assert m.handle_unauthorized(bad) is None
    assert m.handle_unauthorized(bad) is None  # within the cooldown: no new token request
    assert kit.names() == ["get_zoom_token.sh"]
    clock.t += 30
    assert m.handle_unauthorized(bad) not in (None, bad)


def test_start_stop_is_immediate(setup):
    _clock, _env, _kit, out, make = setup
    m = make()
    m._clock = time.time
    m.start()
    deadline = time.monotonic() + 5
    while not out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert out.getvalue().startswith("🔑 Token Status:")
    t0 = time.monotonic()
    m.stop()
    assert time.monotonic() - t0 < 1
    assert not any(t.name == "token-monitor" for t in threading.enumerate())


def test_never_writes_to_stdout(setup, capsys):
    clock, _env, _kit, _out, make = setup
    m = TokenMonitor(setup[1], clock=clock, run=setup[2], launched_by_claude=True, settings=Settings())
    clock.t = T0 + 700
    m.run_once()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "✅ Token refresh complete! New token is now active." in captured.err
    assert m.get_token() not in captured.err


def test_a_successful_refresh_after_a_401_re_enables_auto_refresh(setup):
    clock, _env, kit, out, make = setup
    kit.get_codes = [1, 1, 1]
    m = make()
    drive(m, clock, T0 + 761)
    assert not m.auto_refresh_enabled and m.failures == 3
    assert m.handle_unauthorized(m.get_token()) is None  # still in the cooldown
    clock.t += 30
    assert m.handle_unauthorized(m.get_token()) is not None
    assert m.auto_refresh_enabled and m.failures == 0


def test_concurrent_401s_share_one_failed_refresh_even_without_cooldown(setup):
    clock, _env, kit, _out, make = setup
    kit.get_codes = [1] * 8
    m = make(Settings(cooldown=0, max_failures=100))
    bad = m.get_token()

    class CountingLock:  # tells the test when every caller is waiting for the refresh
        def __init__(self, lock):
            self.lock, self.waiting = lock, 0

        def __enter__(self):
            self.waiting += 1
            return self.lock.__enter__()

        def __exit__(self, *exc):
            return self.lock.__exit__(*exc)

    m._refresh_lock = CountingLock(m._refresh_lock)
    kit.gate = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(m.handle_unauthorized(bad))) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while (not kit.calls or m._refresh_lock.waiting < 8) and time.monotonic() < deadline:
        time.sleep(0.001)
    kit.gate.set()
    for t in threads:
        t.join(5)
    assert results == [None] * 8
    assert kit.names() == ["get_zoom_token.sh"]
