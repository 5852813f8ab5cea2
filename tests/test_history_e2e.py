"""What happened overnight (issue 15), end to end: a scripted night on the simulator with a fake clock.

The token monitor (its clock) and the real scripts (ZOOM_FAKE_NOW, set to the same second before each
step) run against the simulator: a refresh, a 401 and its refresh, a fault storm that disables
auto-refresh, a 401 while disabled, a manual `get_zoom_token.sh -f` in the morning and the monitor
finding that token. `check_zoom_token.sh --history` must then print exactly the expected lines, with
TZ pinned to a zone that is not UTC. The only measured value in them, each request's duration, is
taken from the log's own JSON (`--json`) and must be formatted as the display rounds it.
"""

from __future__ import annotations

import calendar
import io
import json
import math
import os
import subprocess
import time
from pathlib import Path

from dotenv import dotenv_values

from token_monitor import Settings, TokenMonitor

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TZ = "Asia/Kolkata"  # UTC+5:30, no daylight saving time: 21:00 UTC is 02:30 the next day
NIGHT = calendar.timegm((2026, 12, 1, 21, 0, 0))  # 02:30:00 on Wed 2 Dec 2026 in Kolkata


def local(hh_mm_ss: str) -> int:
    """The fake epoch of a local time of the night (02:30:00 .. 08:00:05, Kolkata)."""
    h, m, s = (int(x) for x in hh_mm_ss.split(":"))
    return NIGHT + (h * 3600 + m * 60 + s) - (2 * 3600 + 30 * 60)


class Night:
    def __init__(self, sim, env_file: Path, tmp_path: Path, monkeypatch):
        self.sim, self.env_file, self.monkeypatch = sim, env_file, monkeypatch
        self.t = NIGHT
        for k in [k for k in os.environ if k.startswith(("ZOOM_", "CLAUDE_"))]:
            monkeypatch.delenv(k)
        config = tmp_path / "claude_desktop_config.json"
        config.write_text(json.dumps({"mcpServers": {"zoom": {"command": str(ROOT / "run.sh"), "env": {}}}}))
        # A Linux without Claude Desktop: restart_claude_app.sh finds nothing to restart.
        stubs = tmp_path / "stubs"
        stubs.mkdir()
        for name, body in {"uname": "echo Linux", "pgrep": "exit 1"}.items():
            (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
            (stubs / name).chmod(0o755)
        monkeypatch.setenv("PATH", f"{stubs}:{os.environ['PATH']}")
        monkeypatch.setenv("ZOOM_ENV_FILE", str(env_file))
        monkeypatch.setenv("CLAUDE_CONFIG_FILE", str(config))
        monkeypatch.setenv("ZOOM_HTTP_TIMEOUT", "1")
        self.tokens: set[str] = set()
        self.monitor: TokenMonitor | None = None

    def at(self, hh_mm_ss: str) -> None:
        """Move both clocks to this local time."""
        self.t = local(hh_mm_ss)
        self.monkeypatch.setenv("ZOOM_FAKE_NOW", str(self.t))

    def by_hand(self, *args: str) -> None:
        res = subprocess.run([str(SCRIPTS / "get_zoom_token.sh"), *args], capture_output=True, text=True,
                             timeout=60, check=False)
        assert res.returncode == 0, res.stderr
        self.collect()

    def collect(self) -> None:
        token = dotenv_values(self.env_file, interpolate=False).get("ZOOM_ACCESS_TOKEN")
        if token:
            self.tokens.add(token)

    def start_monitor(self) -> None:
        settings = Settings(display_interval=0, threshold=300, cooldown=30, max_failures=3,
                            restart_claude=True)
        self.monitor = TokenMonitor(self.env_file, SCRIPTS, settings=settings, clock=lambda: self.t,
                                    out=io.StringIO(), launched_by_claude=False)

    def tick(self) -> None:
        self.monitor.run_once()
        self.collect()

    def history(self, *args: str) -> list[str]:
        res = subprocess.run([str(SCRIPTS / "check_zoom_token.sh"), "--history", "40", *args],
                             env={**os.environ, "TZ": TZ}, capture_output=True, text=True, timeout=60,
                             check=False)
        assert res.returncode == 0 and res.stderr == "", res.stderr
        return res.stdout.splitlines()


def shown(seconds: float) -> str:
    """A duration as the display shows it: 2 decimals, half up (the same float steps as its jq)."""
    if seconds < 0.005:
        return "<0.01"
    c = math.floor(seconds * 100 + 0.5)
    return f"{c // 100}.{c % 100:02d}"


def test_a_night_of_refreshes_failures_and_a_recovery(sim, env_file, tmp_path, monkeypatch):
    night = Night(sim, env_file, tmp_path, monkeypatch)

    night.at("02:30:00")  # someone sets it up by hand before going to bed
    night.by_hand()
    night.at("02:30:05")
    night.start_monitor()
    night.tick()  # nothing due
    night.at("03:25:00")
    night.tick()  # 5 minutes left: the monitor refreshes
    night.at("03:40:00")  # Zoom answers 401 to a tool call: a refresh right away
    assert night.monitor.handle_unauthorized(night.monitor.get_token())
    night.collect()
    # the fault storm: three attempts, three failures, 30 s apart
    night.at("04:35:00")
    sim.add_fault("token", "error", status=503, count=1)
    night.tick()
    night.at("04:35:30")
    sim.add_fault("token", "slow", delay=3, count=1)  # past ZOOM_HTTP_TIMEOUT=1
    night.tick()
    night.at("04:36:00")
    sim.add_fault("token", "error", status=500, count=1)
    night.tick()
    assert not night.monitor.auto_refresh_enabled
    night.at("04:38:00")
    night.tick()  # disabled: nothing
    night.at("04:45:00")  # the token expired at 04:40; a tool call gets a 401
    assert night.monitor.handle_unauthorized(night.monitor.get_token()) is None
    night.at("08:00:00")  # in the morning: the recovery the log names
    night.by_hand("-f")
    night.at("08:00:05")
    night.tick()
    assert night.monitor.auto_refresh_enabled
    status = night.monitor.status()

    raw = [json.loads(line) for line in night.history("--json")]
    d = [shown(e["duration_s"]) for e in raw if e["event"] == "fetch_succeeded"]
    assert len(d) == 4 and all(0 < e["duration_s"] < 15 for e in raw if e["event"] == "fetch_succeeded")
    assert night.history() == [
        "── Wed 02 Dec 2026 ──",
        "02:30:00  ⏳ fetch started by hand (no token)",
        f"02:30:00  ✅ refreshed by hand in {d[0]} s, expires 03:30:00",
        "03:25:00  ⏳ fetch started by monitor (token valid for 5m)",
        f"03:25:00  ✅ refreshed by monitor in {d[1]} s, expires 04:25:00",
        "03:25:00  📝 Claude Desktop config updated (by monitor)",
        "03:25:00  🚀 Claude Desktop restart skipped: Claude Desktop not found (by monitor)",
        "03:40:00  🔒 Zoom answered 401: fetching a new token",
        "03:40:00  ⏳ fetch started after a 401 (forced; token valid for 45m)",
        f"03:40:00  ✅ refreshed after a 401 in {d[2]} s, expires 04:40:00",
        "03:40:00  📝 Claude Desktop config updated (after a 401)",
        "03:40:00  🚀 Claude Desktop restart skipped: Claude Desktop not found (after a 401)",
        "04:35:00  ⏳ fetch started by monitor (token valid for 5m)",
        "04:35:00  ❌ fetch failed (exit 1: HTTP 503: Service Unavailable); old token valid for 5m",
        "04:35:30  ⏳ fetch started by monitor (token valid for 4m)",
        "04:35:30  ❌ fetch failed (exit 1: timeout after 1 s); old token valid for 4m",
        "04:36:00  ⏳ fetch started by monitor (token valid for 4m)",
        "04:36:00  ❌ fetch failed (exit 1: HTTP 500: Internal Server Error); old token valid for 4m",
        "04:36:00  ⛔ auto-refresh disabled after 3 failures; recover: ./scripts/get_zoom_token.sh -f",
        "04:45:00  🔒 Zoom answered 401: auto-refresh is disabled; no request",
        "08:00:00  ⏳ fetch started by hand (forced; token expired 3h 20m ago)",
        f"08:00:00  ✅ refreshed by hand in {d[3]} s, expires 09:00:00",
        "08:00:05  🔁 auto-refresh re-enabled: a fresh token found in .env",
    ]
    # one raw line, as README.md shows it
    assert ('{"ts":"2026-12-01T23:06:00Z","event":"fetch_failed","by":"monitor","exit":1,'
            '"reason":"HTTP 500: Internal Server Error","token_left_s":240}') in night.history("--json")
    # zoom_token_status reads the same log: the morning's fetch, and the three failures of the night
    assert status["last_refresh"] == {"at": "2026-12-02T02:30:00Z", "ok": True, "by": "script"}
    assert status["failures_24h"] == 3
    # the file: 0600, whole JSON lines, and no secret in it
    log = env_file.parent / "zoom-token.log"
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert len(night.tokens) == 4 and sim.client_secret not in text
    assert not [t for t in night.tokens if t in text]
    # 4 that gave a token, 3 that failed (the slow one is counted once the simulator has answered it)
    deadline = time.monotonic() + 30
    while sim.stats()["token_requests"] < 7 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition; the deadline only bounds a hang
    assert sim.stats()["token_requests"] == 7
