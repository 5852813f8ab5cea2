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
from dotenv import dotenv_values

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
    """A fake `run` that plays the four scripts; records every call.

    get_zoom_token.sh writes a new token into .env (or fails, or plays "another process refreshed
    first"); update_claude_config.sh writes the .env token into `config`, as the real one does.
    """

    OTHER = "other"  # a get_codes entry: another process refreshed; this run made no request

    def __init__(self, env_file, clock, ttl=3600, config=None):
        self.env_file, self.clock, self.ttl, self.config = env_file, clock, ttl, config
        self.calls: list[list[str]] = []
        self.get_codes: list[int | str] = []  # the next get_zoom_token.sh runs (0 = fetch)
        self.codes = {"update_claude_config.sh": 0, "restart_claude_app.sh": 0}
        self.n = 0
        self.gate: threading.Event | None = None  # blocks get_zoom_token.sh while set up
        self.token = lambda now, n: jwt(now + self.ttl, now, f"new{n}")  # what a fetch writes

    def names(self):
        return [os.path.basename(c[0]) for c in self.calls]

    def __call__(self, argv, **kw):
        assert kw.get("stdin") is subprocess.DEVNULL and kw.get("capture_output")
        assert kw.get("start_new_session") is True  # a group of its own, killed whole on a timeout
        assert "ZOOM_ACCESS_TOKEN" not in kw["env"]
        assert os.path.isabs(kw["env"]["ZOOM_ENV_FILE"])
        self.calls.append(list(argv))
        name = os.path.basename(argv[0])
        if name == "get_zoom_token.sh":
            if self.gate is not None:
                self.gate.wait(5)
            code = self.get_codes.pop(0) if self.get_codes else 0
            if code == self.OTHER:  # the other monitor's token is in .env when our run gets the lock
                self.n += 1
                now = int(self.clock())
                write_env(self.env_file, self.token(now, self.n), now + self.ttl)
                said = f"✅ Token still valid for {tm.format_duration(self.ttl)}; no request made\n"
                return subprocess.CompletedProcess(argv, 0, said, "")
            if code:
                return subprocess.CompletedProcess(argv, code, "", f"ERROR: token request failed ({code})\n")
            self.n += 1
            now = int(self.clock())
            write_env(self.env_file, self.token(now, self.n), now + self.ttl)
            return subprocess.CompletedProcess(
                argv, 0, "📋 Token fetched successfully\n🔄 eyJz...old → eyJz...new\n", "")
        code = self.codes[name]
        if name == "update_claude_config.sh" and code == 0 and self.config is not None:
            token = dotenv_values(self.env_file)["ZOOM_ACCESS_TOKEN"]
            entry = {"env": {"ZOOM_ACCESS_TOKEN": token}}
            self.config.write_text(json.dumps({"mcpServers": {"zoom": entry}}))
        return subprocess.CompletedProcess(argv, code, "some chatter\n", "")


class CountingLock:
    """Wraps the monitor's refresh lock; counts (thread-safely) the callers that reached it."""

    def __init__(self, lock):
        self.lock, self.waiting, self._count = lock, 0, threading.Lock()

    def __enter__(self):
        with self._count:
            self.waiting += 1
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)

    def acquire(self, *a, **k):
        return self.lock.acquire(*a, **k)

    def release(self):
        return self.lock.release()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.001)  # polling a condition with a deadline, not synchronising by sleeping


@pytest.fixture
def setup(tmp_path):
    clock = Clock()
    env_file = tmp_path / ".env"
    write_env(env_file, jwt(T0 + 1000, T0 - 2600, "old"), T0 + 1000)
    kit = Kit(env_file, clock, config=tmp_path / "claude.json")
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
                          "auto_refresh_enabled": True, "consecutive_failures": 0,
                          "last_refresh": None, "failures_24h": 0}


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
    assert json.loads(kit.config.read_text())["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"] == new
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
    config = kit.config  # the fake update_claude_config.sh writes it when run (see the sequence test)
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
                                               "auto_refresh_enabled": True, "consecutive_failures": 0,
                                               "last_refresh": None, "failures_24h": 0}
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
    m._refresh_lock = CountingLock(m._refresh_lock)
    kit.gate = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(m.handle_unauthorized(bad))) for _ in range(8)]
    for t in threads:
        t.start()
    # Hold the refresh until all 8 callers reached the lock: 1 is refreshing, 7 wait for it. So the
    # 7 get their token from that one refresh, not from .env after it (which they never reload).
    wait_until(lambda: kit.calls and m._refresh_lock.waiting == 8)
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
    m = make()  # on the fake clock, frozen: the next step is a whole display interval (60 s) away
    m.start()
    wait_until(lambda: out.getvalue())
    assert out.getvalue().startswith("🔑 Token Status:")
    m.stop()
    # stop() waits at most 5 s for the thread, which would sleep 60 s unless stop() woke it:
    # the thread being gone when stop() returns is the proof, without timing anything.
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


def test_a_successful_refresh_after_a_401_re_enables_after_a_failure(setup):
    clock, _env, kit, out, make = setup
    kit.get_codes = [1, 1]
    m = make()
    drive(m, clock, T0 + 731)
    assert m.auto_refresh_enabled and m.failures == 2
    assert m.handle_unauthorized(m.get_token()) is None  # still in the cooldown
    clock.t += 30
    assert m.handle_unauthorized(m.get_token()) is not None
    assert m.auto_refresh_enabled and m.failures == 0


def test_once_disabled_a_401_only_reloads_env(setup):
    """Zoom already rejected these credentials: no token request per 401, no count past the max,
    no second CRITICAL pair; a token from outside (get_zoom_token.sh -f) recovers."""
    clock, env_file, kit, out, make = setup
    kit.get_codes = [3, 3, 3]
    m = make()
    drive(m, clock, T0 + 761)
    assert not m.auto_refresh_enabled and m.failures == 3 and kit.names() == ["get_zoom_token.sh"] * 3
    lines(out)
    bad = m.get_token()
    for _ in range(5):
        clock.t += 31  # past every cooldown
        assert m.handle_unauthorized(bad) is None
    assert kit.names() == ["get_zoom_token.sh"] * 3
    assert m.status()["consecutive_failures"] == 3
    assert not any("CRITICAL" in line or "Running" in line for line in lines(out))
    new = jwt(int(clock.t) + 3600, int(clock.t), "hand")
    write_env(env_file, new, int(clock.t) + 3600)  # someone ran get_zoom_token.sh -f
    assert m.handle_unauthorized(bad) == new
    assert m.auto_refresh_enabled and m.failures == 0 and kit.names() == ["get_zoom_token.sh"] * 3
    assert lines(out)[0].endswith("Failure count reset; auto-refresh re-enabled.")


def test_critical_pair_only_on_the_transition_to_disabled(setup):
    clock, _env, _kit, out, make = setup
    m = make(Settings(max_failures=1))
    m._count_failure(clock.t)
    m._count_failure(clock.t)  # a late failure while disabled says nothing new
    got = lines(out)
    assert got == ["❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.",
                   "To recover, run: ./scripts/get_zoom_token.sh -f"]


def test_status_line_once_after_an_outside_recovery_on_a_display_tick(setup):
    clock, env_file, kit, out, make = setup
    kit.get_codes = [1, 1, 1]
    m = make()
    drive(m, clock, T0 + 761)
    assert not m.auto_refresh_enabled
    lines(out)
    clock.t = T0 + 780  # a display tick (every 60 s from T0)
    new = jwt(T0 + 780 + 3600, T0 + 780, "hand")
    write_env(env_file, new, T0 + 780 + 3600)
    assert m.run_once() == T0 + 840  # the next display a full interval after the recovery's line
    got = lines(out)
    status = [line for line in got if line.startswith("🔑")]
    assert status == ["🔑 Token Status: ✅ Expires in 1h 0m 0s (at 9:13:00 AM)"]
    assert len(got) == 2


def test_concurrent_401s_share_one_failed_refresh_even_without_cooldown(setup):
    clock, _env, kit, _out, make = setup
    kit.get_codes = [1] * 8
    m = make(Settings(cooldown=0, max_failures=100))
    bad = m.get_token()

    m._refresh_lock = CountingLock(m._refresh_lock)
    kit.gate = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(m.handle_unauthorized(bad))) for _ in range(8)]
    for t in threads:
        t.start()
    wait_until(lambda: kit.calls and m._refresh_lock.waiting == 8)
    kit.gate.set()
    for t in threads:
        t.join(5)
    assert results == [None] * 8
    assert kit.names() == ["get_zoom_token.sh"]


# --------------------------------------------------------------------------- review fixes


def test_no_request_made_updates_the_config_but_does_not_restart_claude(setup):
    """Two monitors crossing together: the other one fetched and restarted Claude; our kit run says
    `✅ Token still valid ...; no request made`. Load the token, update this config, no restart."""
    clock, _env, kit, out, make = setup
    kit.get_codes = [Kit.OTHER]
    m = make()
    old = m.get_token()
    clock.t = T0 + 700
    m.run_once()
    got = lines(out)
    new = m.get_token()
    assert new != old
    assert kit.names() == ["get_zoom_token.sh", "update_claude_config.sh"]
    assert json.loads(kit.config.read_text())["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"] == new
    assert len(got) == 12, got
    assert got[4] == "✅ Token still valid for 1h 0m 0s; no request made"
    assert got[6] == f"✅ Token updated: {tm.mask(old)} → {tm.mask(new)}"
    assert got[8] == "🚀 Skipped: restart_claude_app.sh (another process refreshed the token)"
    assert got[9] == "✅ Token refresh complete! New token is now active." and m.failures == 0


def test_a_fetch_without_the_words_restarts_as_before(setup):
    """Unsure whether a request was made (neither kit line): the full sequence, restart included."""
    clock, _env, kit, _out, make = setup
    real = kit.__call__

    def quiet(argv, **kw):
        res = real(argv, **kw)
        return subprocess.CompletedProcess(argv, res.returncode, "", res.stderr)

    m = TokenMonitor(kit.env_file, kit.env_file.parent / "scripts", settings=Settings(), clock=clock,
                     out=io.StringIO(), run=quiet, launched_by_claude=False)
    clock.t = T0 + 700
    m.run_once()
    assert kit.names() == ["get_zoom_token.sh", "update_claude_config.sh", "restart_claude_app.sh"]


def test_clamp_after_a_fetch_uses_the_jwt_lifetime_not_the_time_left(setup):
    """The fetched token was issued 150 s before our clock's now (lifetime 400 s, 250 s left): a
    300 s threshold is below its lifetime, so no clamp (the time left, 250 s, would have clamped)."""
    clock, _env, kit, out, make = setup
    kit.token = lambda now, n: jwt(now + kit.ttl, now - 150, f"new{n}")
    kit.ttl = 250
    m = make(Settings(threshold=300))
    clock.t = T0 + 700
    m.run_once()
    assert m.threshold == 300
    assert not any("ZOOM_AUTO_REFRESH_THRESHOLD" in line for line in lines(out))


def test_a_refresh_that_leaves_the_token_within_the_threshold_waits_a_cooldown(setup):
    """A good refresh whose token still has less than the threshold left (issued a while ago, as
    one another process fetched) must not refresh again at once, and again, in a loop: the next
    attempt waits for the cooldown, then happens."""
    clock, _env, kit, _out, make = setup
    kit.token = lambda now, n: jwt(now + kit.ttl, now - 3400, f"new{n}")  # lived 3600 s, 200 s left
    kit.ttl = 200
    m = make(Settings(threshold=300, cooldown=30))
    clock.t = T0 + 700
    wake = m.run_once()
    assert kit.names().count("get_zoom_token.sh") == 1 and m.threshold == 300
    assert wake == T0 + 730  # not now: that would be a refresh loop
    clock.t = T0 + 729.9
    m.run_once()
    assert kit.names().count("get_zoom_token.sh") == 1
    clock.t = T0 + 730
    m.run_once()
    assert kit.names().count("get_zoom_token.sh") == 2


def test_clamp_warning_comes_after_the_block(setup):
    clock, env_file, kit, out, make = setup
    env_file.write_text("ZOOM_ACCESS_TOKEN=opaque-token-without-claims\n")  # lifetime unknown
    kit.token = lambda now, n: f"opaque-new-token-{n:04d}"  # no JWT: lifetime from the fetch's start
    kit.ttl = 200
    m = make(Settings(threshold=300))
    m.run_once()
    got = lines(out)
    assert got[0] == RULE and got[11] == RULE, got
    assert not any("ZOOM_AUTO_REFRESH_THRESHOLD" in line for line in got[:12])
    assert got[12:] == ["⚠️  ZOOM_AUTO_REFRESH_THRESHOLD=300 is not below the token lifetime (200s); "
                        "using 100s instead."]
    assert m.threshold == 100


def test_clamp_at_start_uses_the_jwt_lifetime(setup):
    clock, env_file, _kit, out, make = setup
    # issued 1000 s ago, 100 s left: the lifetime is 1100 s (not the 100 s left, not 3600)
    write_env(env_file, jwt(T0 + 100, T0 - 1000), T0 + 100)
    m = make(Settings(threshold=1100))
    assert m.threshold == 550
    assert "lifetime (1100s); using 550s instead." in lines(out)[0]
    write_env(env_file, jwt(T0 + 100, T0 - 1000), T0 + 100)
    assert make(Settings(threshold=1099)).threshold == 1099


@pytest.mark.parametrize(("code", "max_failures", "tail"), [
    (3, 3, ["🔁 Next attempt in 30s (failure 1 of 3)."]),
    (1, 1, ["❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.",
            "To recover, run: ./scripts/get_zoom_token.sh -f"]),
])
def test_run_sh_failure_counts_as_the_first_one(setup, monkeypatch, code, max_failures, tail):
    clock, env_file, kit, out, make = setup
    env_file.write_text("ZOOM_ACCOUNT_ID=a\n")  # no token: without this, the monitor would fetch at once
    monkeypatch.setenv(tm.STARTUP_EXIT_VAR, str(code))
    m = make(Settings(max_failures=max_failures))
    assert tm.STARTUP_EXIT_VAR not in os.environ  # consumed: the scripts and a later monitor never see it
    got = lines(out)
    assert got[0].startswith("⚠️  Token refresh failed at get_zoom_token.sh (run.sh, at start): "
                             f"get_zoom_token.sh exited with code {code} — ")
    assert got[1:] == tail
    assert m.failures == 1
    assert m.run_once() == (T0 + 30 if max_failures > 1 else T0 + 60)  # the cooldown, not at once
    assert kit.calls == [] and lines(out) == ["🔑 Token Status: ❌ No token"]
    clock.t = T0 + 30
    m.run_once()
    assert kit.names()[:1] == (["get_zoom_token.sh"] if max_failures > 1 else [])


def test_run_sh_success_changes_nothing(setup, monkeypatch):
    clock, _env, kit, out, make = setup
    monkeypatch.setenv(tm.STARTUP_EXIT_VAR, "0")
    m = make()
    assert m.failures == 0 and lines(out) == [] and tm.STARTUP_EXIT_VAR not in os.environ


def test_relative_zoom_env_file_is_taken_from_the_project_root(tmp_path, monkeypatch):
    """As the scripts take it (scripts/lib/common.sh): never from $PWD."""
    monkeypatch.chdir(tmp_path)
    assert tm.env_file_path("some/dir/.env") == tm.ROOT / "some/dir/.env"
    assert tm.env_file_path("/abs/.env") == tm.Path("/abs/.env")
    assert tm.env_file_path("") == tm.env_file_path(None) == tm.ROOT / ".env"
    target = tmp_path / "project-env"
    target.write_text("ZOOM_ACCESS_TOKEN=from-the-right-file-1234\nZOOM_TOKEN_EXPIRES_AT=1900000000\n")
    monkeypatch.setenv("ZOOM_ENV_FILE", os.path.relpath(target, tm.ROOT))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # where a Path() relative to $PWD would look
    m = TokenMonitor(settings=Settings(), out=io.StringIO(), run=None)
    assert m.env_file == tm.ROOT / os.path.relpath(target, tm.ROOT)
    assert m.get_token() == "from-the-right-file-1234"
    # an explicit relative path is the caller's, made absolute for the scripts
    m = TokenMonitor("../project-env", settings=Settings(), out=io.StringIO(), run=None)
    assert m.env_file == tmp_path / "elsewhere" / ".." / "project-env" and m.env_file.is_absolute()


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie is dead too
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.timeout(30)
def test_a_script_timeout_kills_its_children_too(tmp_path, monkeypatch):
    """A kit script that hangs in curl: the timeout must end curl as well, not the bash script only."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    pidfile = tmp_path / "child.pid"
    script = scripts / "get_zoom_token.sh"
    # the child stands in for curl; it would live for a minute
    script.write_text(f'#!/usr/bin/env bash\nsleep 60 &\necho $! >"{pidfile}"\nwait\n')
    script.chmod(0o755)
    monkeypatch.setitem(tm.SCRIPT_TIMEOUT, "get_zoom_token.sh", 1)
    out = io.StringIO()
    m = TokenMonitor(tmp_path / ".env", scripts, settings=Settings(), out=out, launched_by_claude=False)
    m.run_once()
    assert "get_zoom_token.sh timed out after 1s" in out.getvalue()
    child = int(pidfile.read_text())
    wait_until(lambda: _dead(child), timeout=5)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.timeout(60)
def test_stop_ends_a_script_in_flight(tmp_path, monkeypatch):
    """Kit scripts run in groups of their own, so the signal that stops the server's group misses
    them: stop() (and exit) must end them, curl included."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    pidfile = tmp_path / "child.pid"
    script = scripts / "get_zoom_token.sh"
    script.write_text(f'#!/usr/bin/env bash\nsleep 60 &\necho $! >"{pidfile}.tmp"\n'
                      f'mv "{pidfile}.tmp" "{pidfile}"\nwait\n')
    script.chmod(0o755)
    monkeypatch.setitem(tm.SCRIPT_TIMEOUT, "get_zoom_token.sh", 30)
    m = TokenMonitor(tmp_path / ".env", scripts, settings=Settings(), out=io.StringIO(),
                     launched_by_claude=False)
    worker = threading.Thread(target=m.run_once)
    worker.start()
    wait_until(pidfile.exists)
    child = int(pidfile.read_text())
    m.stop()
    worker.join(10)  # the script would run on for 30 s (its time limit) unless stop() ended it
    assert not worker.is_alive()
    wait_until(lambda: _dead(child), timeout=5)


def test_on_windows_the_kit_runs_under_the_bash_run_sh_names(setup, monkeypatch):
    """Python for Windows cannot run a .sh: every script goes through Git's bash.exe, which run.sh
    names in ZOOM_KIT_BASH (bats/run.bats checks that side)."""
    clock, env_file, kit, out, _make = setup
    bash = r"C:\Program Files\Git\usr\bin\bash.exe"
    monkeypatch.setattr(tm, "WINDOWS", True)
    monkeypatch.setenv("ZOOM_KIT_BASH", bash)
    seen = []

    def run(argv, **kw):
        seen.append(list(argv))
        return kit(argv[1:], **kw)

    m = TokenMonitor(env_file, env_file.parent / "scripts", settings=Settings(), clock=clock, out=out,
                     run=run, launched_by_claude=False)
    clock.t = T0 + 800  # 200 s left: inside the 300 s threshold
    m.run_once()
    assert [os.path.basename(a[1]) for a in seen] == ["get_zoom_token.sh", "update_claude_config.sh",
                                                       "restart_claude_app.sh"]
    assert all(a[0] == bash for a in seen)
    assert m.status()["state"] == "fresh"
