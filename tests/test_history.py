"""The refresh history's two writers (issue 15): scripts/lib/common.sh's zoom_history and history.py.

- the same event gives the same line from both (scrubbing, cutting, JSON);
- 20 shell and 20 Python writers appending at once: every line parses, none mixed, none lost, and so
  with rotations racing as well;
- rotation keeps .1 .2 .3 and drops the oldest;
- the lock: history.kit_lock and the scripts' zoom_lock exclude each other, with flock and with the
  mkdir protocol (ZOOM_NO_FLOCK=1), and a mkdir lock left by a dead process is broken;
- ZOOM_HISTORY=0, an unwritable log (one warning), summary() for zoom_token_status.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_monitor import Kit, jwt, write_env  # the fake kit of the monitor's unit tests

import history
from history import History, format_line
from token_monitor import Settings, TokenMonitor

ROOT = Path(__file__).resolve().parent.parent
COMMON = ROOT / "scripts" / "lib" / "common.sh"
T0 = 1_800_000_000  # 2027-01-15T08:00:00Z
NOW_ISO = "2027-01-15T08:00:00Z"
WAIT = 120  # seconds: only bounds a hang


def kit_env(env_file: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
    env.update({"ZOOM_ENV_FILE": str(env_file), "ZOOM_FAKE_NOW": str(T0)}, **extra)
    return env


def shell_history(env_file: Path, event: str, *fields: str, **env) -> subprocess.CompletedProcess:
    """zoom_history EVENT FIELDS... in a bash that sourced common.sh (as the scripts do)."""
    script = '. "$0"; zoom_load_env; zoom_history "$@"'
    return subprocess.run(["bash", "-c", script, str(COMMON), event, *fields], env=kit_env(env_file, **env),
                          capture_output=True, text=True, timeout=WAIT, check=False)


def log_lines(env_file: Path, suffix: str = "") -> list[str]:
    path = Path(f"{history.log_path(env_file)}{suffix}")
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# --------------------------------------------------------------------------- one format


SECRET = 'cl1ent-S3cret&"x'
TOKEN = "eyJhbGciOiJIUzUxMiJ9.eyJleHAiOjE4MDAwMDM2MDB9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
OTHER_JWT = "eyJzdiI6IjAwMDAwMSJ9.eyJpYXQiOjF9.bm90LXRoZS1jdXJyZW50LW9uZQ"
NASTY = (f"secret {SECRET} token {TOKEN} other {OTHER_JWT} at "
         "https://zoom.us/oauth/token?account_id=1&code=2#x Bearer abc.def and\tcontrol\x01chars\nnext line; "
         "Authorization: Basic Zm9vOmJhcg== rest")


@pytest.mark.parametrize("fields, json_fields", [
    ({"reason": NASTY}, {"exit": 1, "token_left_s": None}),
    ({"reason": "é" * 400, "why": "ü" * 150, "old": "eyJz...NTMz"}, {"expires_at": T0 + 3600}),
    ({"reason": "x" * 1000, "a": "y" * 300, "b": "z" * 300, "c": "w" * 300}, {"forced": True}),
    ({}, {}),
])
def test_both_writers_make_the_same_line(tmp_path, fields, json_fields):
    env_file = tmp_path / ".env"
    env_file.write_text(f"ZOOM_CLIENT_SECRET={SECRET}\nZOOM_ACCESS_TOKEN={TOKEN}\n")
    args = [f"{k}={v}" for k, v in fields.items()] + [f"{k}:={json.dumps(v)}" for k, v in json_fields.items()]
    res = shell_history(env_file, "fetch_failed", *args, ZOOM_HISTORY_BY="monitor")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    [shell_line] = log_lines(env_file)
    python_line = format_line("fetch_failed", "monitor", T0, {**fields, **json_fields}, SECRET, (TOKEN,))
    assert shell_line == python_line
    assert len(shell_line.encode()) <= history.MAX_LINE
    entry = json.loads(shell_line)
    assert list(entry)[:3] == ["ts", "event", "by"] and entry["ts"] == NOW_ISO
    for secret in (SECRET, TOKEN, OTHER_JWT, "account_id=1", "Zm9vOmJhcg==", "abc.def"):
        assert secret not in shell_line
    if fields.get("reason") == NASTY:
        assert entry["reason"].startswith("secret *** token eyJh...tlbg other eyJz...9uZQ at https://zoom.us"
                                          "/oauth/token?... Bearer **** and control chars next")
        assert entry["reason"].endswith("Authorization: ****")


def test_the_same_field_order_gives_the_same_bytes(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("")
    res = shell_history(env_file, "fetch_succeeded", "duration_s:=0.140123", f"expires_at:={T0 + 3600}",
                        "old=(none)", "new=eyJz...NTMz")
    assert res.returncode == 0, res.stderr
    assert log_lines(env_file) == [format_line("fetch_succeeded", "script", T0, {
        "duration_s": 0.140123, "expires_at": T0 + 3600, "old": "(none)", "new": "eyJz...NTMz"})]
    assert log_lines(env_file)[0] == (f'{{"ts":"{NOW_ISO}","event":"fetch_succeeded","by":"script",'
                                      f'"duration_s":0.140123,"expires_at":{T0 + 3600},"old":"(none)",'
                                      '"new":"eyJz...NTMz"}')


@pytest.mark.parametrize("by, logged", [("monitor", "monitor"), ("run.sh", "run.sh"), ("401", "401"),
                                        ("", "script"), ("someone", "script")])
def test_by_is_one_of_four(tmp_path, by, logged):
    env_file = tmp_path / ".env"
    env_file.write_text("")
    assert shell_history(env_file, "token_valid", "token_left_s:=10", ZOOM_HISTORY_BY=by).returncode == 0
    assert json.loads(log_lines(env_file)[0])["by"] == logged


# --------------------------------------------------------------------------- concurrent writers

SHELL_WRITER = r'''
. "$0"
zoom_load_env
IFS= read -r _ # the start gate
i=0
while [ "$i" -lt "$N" ]; do
  zoom_history concurrent "writer=$W" "seq:=$i" "pad=$PAD"
  i=$((i + 1))
done
'''
PY_WRITER = r'''
import os, sys
sys.path.insert(0, sys.argv[1])
import history
h = history.History(os.environ["ZOOM_ENV_FILE"], clock=lambda: int(os.environ["ZOOM_FAKE_NOW"]))
sys.stdin.readline()  # the start gate
for i in range(int(os.environ["N"])):
    h.write("concurrent", writer=os.environ["W"], seq=i, pad=os.environ["PAD"])
'''
WRITERS, LINES = 20, 12
PAD = "p" * 80


def run_writers(env_file: Path, **extra) -> list[subprocess.Popen]:
    procs = []
    for side in ("sh", "py"):
        for w in range(WRITERS):
            env = kit_env(env_file, N=str(LINES), W=f"{side}{w:02d}", PAD=PAD, **extra)
            argv = (["bash", "-c", SHELL_WRITER, str(COMMON)] if side == "sh"
                    else [sys.executable, "-c", PY_WRITER, str(ROOT)])
            procs.append(subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    for p in procs:  # all started: open the gate for everyone at once
        p.stdin.write("go\n")
        p.stdin.close()
        p.stdin = None  # (communicate must not flush it)
    for p in procs:
        out, err = p.communicate(timeout=WAIT)
        assert p.returncode == 0 and out == "" and err == "", (p.args[:2], p.returncode, err)
    return procs


def expected_lines() -> set[str]:
    return {format_line("concurrent", "monitor" if side == "py" else "script", T0,
                        {"writer": f"{side}{w:02d}", "seq": i, "pad": PAD})
            for side in ("sh", "py") for w in range(WRITERS) for i in range(LINES)}


def test_forty_writers_at_once_lose_and_mix_nothing(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("")
    run_writers(env_file)
    lines = log_lines(env_file)
    # every line parses (a mixed line would not), none is lost, none doubled
    assert all(json.loads(line)["event"] == "concurrent" for line in lines)
    assert len(lines) == 2 * WRITERS * LINES
    assert set(lines) == expected_lines()
    # (the shell's lines say by "script", the Python ones "monitor": both sides really wrote)
    assert {json.loads(line)["by"] for line in lines} == {"script", "monitor"}
    assert (history.log_path(env_file).stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("no_flock", ["", "1"])
def test_rotations_racing_from_both_sides_lose_nothing(tmp_path, no_flock):
    """Writers of both sides rotate at once; the lock (flock, or the mkdir protocol) and the re-check
    under it keep every line: two unguarded rotations would move the log over a fresh .1."""
    env_file = tmp_path / ".env"
    env_file.write_text("")
    total = sum(len(line.encode()) + 1 for line in expected_lines())
    cap = int(total / 3.6)  # each rotation takes more than cap bytes: at most 3, nothing dropped
    run_writers(env_file, ZOOM_HISTORY_MAX_BYTES=str(cap), ZOOM_NO_FLOCK=no_flock)
    files = {s: log_lines(env_file, s) for s in ("", ".1", ".2", ".3", ".4")}
    assert files[".4"] == [] and files[".1"], "no rotation happened"
    every = [line for lines in files.values() for line in lines]
    assert sorted(every) == sorted(expected_lines())
    for suffix in (".1", ".2", ".3"):
        path = Path(f"{history.log_path(env_file)}{suffix}")
        if path.exists():
            assert path.stat().st_size > cap  # only a log past the cap was rotated
    assert not Path(f"{history.log_path(env_file)}.lock.d").exists()


# --------------------------------------------------------------------------- rotation


def test_rotation_keeps_three_and_drops_the_oldest(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    monkeypatch.setenv("ZOOM_HISTORY_MAX_BYTES", "300")
    h = History(env_file, clock=lambda: T0)
    line_bytes = len(format_line("n", "monitor", T0, {"i": "000"})) + 1
    k = 300 // line_bytes + 1  # lines per file: the write that passes 300 bytes rotates
    for i in range(5 * k + 2):  # five files' worth, and two lines more
        h.write("n", i=f"{i:03d}")
    got = {s: [int(json.loads(x)["i"]) for x in log_lines(env_file, s)] for s in ("", ".1", ".2", ".3", ".4")}
    assert got == {"": [5 * k, 5 * k + 1], ".1": list(range(4 * k, 5 * k)), ".2": list(range(3 * k, 4 * k)),
                   ".3": list(range(2 * k, 3 * k)), ".4": []}  # the oldest 2 k lines are gone


def test_a_rotation_waits_for_the_lock_and_leaves_it_to_the_next_writer(tmp_path, monkeypatch):
    """While another holds the lock, a writer does not rotate (it gives up after LOCK_WAIT); the
    next writer once the lock is free does."""
    env_file = tmp_path / ".env"
    monkeypatch.setenv("ZOOM_HISTORY_MAX_BYTES", "10")
    monkeypatch.setattr(history, "LOCK_WAIT", 0)
    h = History(env_file, clock=lambda: T0)
    with history.kit_lock(f"{history.log_path(env_file)}.lock", 0) as held:
        assert held
        h.write("a")
        assert log_lines(env_file, ".1") == [] and len(log_lines(env_file)) == 1
    h.write("b")
    assert [json.loads(x)["event"] for x in log_lines(env_file, ".1")] == ["a", "b"]
    assert log_lines(env_file) == []


# --------------------------------------------------------------------------- the lock, both ways


HOLD = '. "$0"; zoom_lock "$1" 5 || exit 9; echo held; IFS= read -r _'
TRY = '. "$0"; if zoom_lock "$1" 0; then echo got; else echo busy; fi'


@pytest.mark.parametrize("no_flock", ["", "1"])
def test_the_shell_and_python_locks_exclude_each_other(tmp_path, no_flock):
    lock = tmp_path / "zoom-token.log.lock"
    env = kit_env(tmp_path / ".env", ZOOM_NO_FLOCK=no_flock)
    environ = {"PATH": os.environ["PATH"], "ZOOM_NO_FLOCK": no_flock}

    def shell_try() -> str:
        return subprocess.run(["bash", "-c", TRY, str(COMMON), str(lock)], env=env, capture_output=True,
                              text=True, timeout=WAIT, check=True).stdout.strip()

    # Python holds it: the shell cannot have it; released: it can.
    with history.kit_lock(lock, 0, environ=environ) as held:
        assert held
        if no_flock:
            assert (tmp_path / "zoom-token.log.lock.d" / "pid").read_text().strip() == str(os.getpid())
        assert shell_try() == "busy"
    assert shell_try() == "got"
    # The shell holds it: Python cannot have it; released: it can.
    holder = subprocess.Popen(["bash", "-c", HOLD, str(COMMON), str(lock)], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with history.kit_lock(lock, 0, environ=environ) as held:
            assert not held
    finally:
        holder.stdin.close()
        holder.wait(timeout=WAIT)
    with history.kit_lock(lock, 0, environ=environ) as held:
        assert held


def test_a_mkdir_lock_of_a_dead_process_is_broken(tmp_path):
    lock = tmp_path / "x.lock"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / "x.lock.d").mkdir()
    (tmp_path / "x.lock.d" / "pid").write_text(f"{gone.pid}\n")
    with history.kit_lock(lock, 5, environ={"ZOOM_NO_FLOCK": "1"}) as held:
        assert held
        assert (tmp_path / "x.lock.d" / "pid").read_text().strip() == str(os.getpid())
    assert not (tmp_path / "x.lock.d").exists()


def test_a_mkdir_lock_of_a_live_process_is_respected(tmp_path):
    lock = tmp_path / "x.lock"
    (tmp_path / "x.lock.d").mkdir()
    (tmp_path / "x.lock.d" / "pid").write_text(f"{os.getppid()}\n")  # alive: our parent
    with history.kit_lock(lock, 0, environ={"ZOOM_NO_FLOCK": "1"}) as held:
        assert not held
    assert (tmp_path / "x.lock.d").exists()


# --------------------------------------------------------------------------- off, unwritable, summary


def test_zoom_history_0_writes_nothing(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ZOOM_HISTORY=0\n")  # from .env, as every setting
    assert shell_history(env_file, "token_valid", "token_left_s:=1").returncode == 0
    History(env_file, on=history.enabled("off")).write("x")
    assert not history.log_path(env_file).exists()
    assert [history.enabled(v) for v in (None, "", "1", "yes", "0", " OFF ", "False", "no")] == \
        [True, True, True, True, False, False, False, False]


def test_an_unwritable_log_warns_once_and_never_raises(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    history.log_path(env_file).mkdir()  # a folder where the log should be
    monkeypatch.setattr(history, "_warned", False)
    warnings: list[str] = []
    h = History(env_file, clock=lambda: T0, warn=warnings.append)
    h.write("a")
    h.write("b")
    History(env_file, clock=lambda: T0, warn=warnings.append).write("c")  # once per process
    assert len(warnings) == 1 and "cannot write the refresh history" in warnings[0], warnings


def test_the_monitor_masks_its_tokens_and_the_secret(tmp_path):
    env_file = tmp_path / ".env"
    h = History(env_file, clock=lambda: T0, tokens=lambda: (TOKEN, None), secret=SECRET)
    h.write("reload_failed", reason=f"{SECRET} {TOKEN}", token_left_s=None)
    [line] = log_lines(env_file)
    assert SECRET not in line and TOKEN not in line
    assert json.loads(line)["reason"] == f"*** {TOKEN[:4]}...{TOKEN[-4:]}"


def test_summary_last_refresh_and_failures_of_the_last_24_hours(tmp_path):
    env_file = tmp_path / ".env"
    log = history.log_path(env_file)

    def at(seconds_before: int, event: str, by: str = "monitor") -> str:
        return format_line(event, by, T0 - seconds_before, {})

    Path(f"{log}.1").write_text("\n".join([
        at(90000, "fetch_failed"),  # 25 h ago: not counted
        at(80000, "fetch_failed", "401"),
    ]) + "\n")
    log.write_text("\n".join([
        "not json", at(3000, "fetch_succeeded", "script"), at(2000, "reload_failed"),
        at(1000, "fetch_failed", "run.sh"), at(500, "config_failed"), at(10, "token_valid"),
    ]) + "\n")
    h = History(env_file, clock=lambda: T0)
    assert h.summary(T0) == {"last_refresh": {"at": "2027-01-15T07:43:20Z", "ok": False, "by": "run.sh"},
                             "failures_24h": 3}
    with log.open("a") as f:
        f.write(at(5, "fetch_succeeded") + "\n")
    assert h.summary(T0) == {"last_refresh": {"at": "2027-01-15T07:59:55Z", "ok": True, "by": "monitor"},
                             "failures_24h": 3}
    assert History(env_file, on=False).summary(T0) == {"last_refresh": None, "failures_24h": None}
    assert History(tmp_path / "none" / ".env").summary(T0) == {"last_refresh": None, "failures_24h": 0}


def test_summary_reads_only_the_tail(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    log = history.log_path(env_file)
    old = format_line("fetch_failed", "monitor", T0 - 60, {"reason": "old"})
    recent = format_line("fetch_succeeded", "monitor", T0 - 30, {})
    Path(f"{log}.1").write_text(old + "\n")
    log.write_text(recent + "\n")
    monkeypatch.setattr(history, "TAIL_BYTES", len(recent) + 1 + 10)  # all of the log, 10 bytes of .1
    assert History(env_file).summary(T0)["failures_24h"] == 0  # the cut line of .1 is skipped
    monkeypatch.setattr(history, "TAIL_BYTES", 100_000)
    assert History(env_file).summary(T0)["failures_24h"] == 1


def test_a_line_stays_under_pipe_buf_whatever_the_fields(tmp_path):
    many = {f"f{i}": "€" * 300 for i in range(30)}
    line = format_line("x", "script", T0, many)
    assert len(line.encode()) <= history.MAX_LINE
    json.loads(line)
    env_file = tmp_path / ".env"
    env_file.write_text("")
    assert shell_history(env_file, "x", *[f"{k}={v}" for k, v in many.items()]).returncode == 0
    [shell_line] = log_lines(env_file)
    assert len(shell_line.encode()) <= history.MAX_LINE and json.loads(shell_line) == json.loads(line)


def test_monitor_clock_gives_the_timestamp(tmp_path):
    env_file = tmp_path / ".env"
    History(env_file, clock=lambda: T0 + 0.9).write("x")
    assert json.loads(log_lines(env_file)[0])["ts"] == NOW_ISO
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0)) == NOW_ISO


# --------------------------------------------------------------------------- the monitor's own lines


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def monitor_events(env_file: Path) -> list[dict]:
    """The log's entries without ts (the fake kit writes none: these are the monitor's own)."""
    return [{k: v for k, v in json.loads(line).items() if k != "ts"} for line in log_lines(env_file)]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    for name in ("ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT", "ZOOM_ENV_FILE", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    clock = Clock(T0)
    env_file = tmp_path / ".env"
    write_env(env_file, jwt(T0 + 200, T0 - 3400, "old"), T0 + 200)  # due: 200 s left < 300
    kit = Kit(env_file, clock)

    def make(run=kit, **settings):
        return TokenMonitor(env_file, tmp_path / "scripts", settings=Settings(**settings), clock=clock,
                            out=io.StringIO(), run=run, launched_by_claude=False)

    return clock, env_file, kit, make


@pytest.mark.parametrize("settings, other, why", [
    ({"restart_claude": False}, False, "ZOOM_RESTART_CLAUDE=0"),
    ({}, True, "another process refreshed the token"),
])
def test_a_skipped_restart_is_the_monitors_line(fake, settings, other, why):
    _clock, env_file, kit, make = fake
    if other:
        kit.get_codes = [Kit.OTHER]
    make(**settings).run_once()
    assert monitor_events(env_file) == [{"event": "restart_skipped", "by": "monitor", "why": why}]
    assert kit.names() == ["get_zoom_token.sh", "update_claude_config.sh"]  # the scripts write the rest


def test_launched_by_claude_and_extension_skips(fake, tmp_path):
    clock, env_file, kit, _make = fake
    m = TokenMonitor(env_file, tmp_path / "scripts", settings=Settings(), clock=clock, out=io.StringIO(),
                     run=kit, launched_by_claude=True)
    m.run_once()
    assert monitor_events(env_file) == [
        {"event": "restart_skipped", "by": "monitor", "why": "launched by Claude Desktop"}]
    history.log_path(env_file).unlink()
    write_env(env_file, jwt(T0 + 200, T0 - 3400, "old2"), T0 + 200)
    m = TokenMonitor(env_file, tmp_path / "scripts", settings=Settings(extension=True), clock=clock,
                     out=io.StringIO(), run=kit)
    m.run_once()
    assert monitor_events(env_file) == [{"event": "config_skipped", "by": "monitor", "why": "extension"},
                                        {"event": "restart_skipped", "by": "monitor", "why": "extension"}]


def test_a_401_says_what_followed(fake):
    clock, env_file, kit, make = fake
    told = []

    def recording(argv, **kw):
        told.append((os.path.basename(argv[0]), kw["env"]["ZOOM_HISTORY_BY"]))
        return kit(argv, **kw)

    m = make(run=recording, max_failures=2, cooldown=30)
    old = m.get_token()
    kit.get_codes = [1]
    m.handle_unauthorized(old)  # a refresh, which fails: cooldown
    clock.t += 10
    m.handle_unauthorized(old)  # within the cooldown: no request
    clock.t += 30
    kit.get_codes = [1]
    m.handle_unauthorized(old)  # a refresh, which fails: disabled
    m.handle_unauthorized(old)
    new = jwt(T0 + 3600, T0, "hand")
    write_env(env_file, new, T0 + 3600)  # someone ran get_zoom_token.sh -f
    clock.t += 5
    m.handle_unauthorized(old)  # the newer token in .env
    assert monitor_events(env_file) == [
        {"event": "unauthorized", "by": "401", "followed": "refresh"},
        {"event": "unauthorized", "by": "401", "followed": "cooldown", "retry_at": T0 + 30},
        {"event": "unauthorized", "by": "401", "followed": "refresh"},
        {"event": "auto_refresh_disabled", "by": "monitor", "failures": 2,
         "recover": "./scripts/get_zoom_token.sh -f"},
        {"event": "unauthorized", "by": "401", "followed": "disabled"},
        {"event": "auto_refresh_enabled", "by": "monitor", "how": "env_token",
         "token": f"{new[:4]}...{new[-4:]}"},
        {"event": "unauthorized", "by": "401", "followed": "env_token"},
    ]
    assert told == [("get_zoom_token.sh", "401")] * 2  # the script was told who ran it


def test_a_script_that_cannot_write_its_failure_gets_the_monitors_line(fake):
    clock, env_file, kit, make = fake
    tried = []

    def timing_out(argv, **kw):
        tried.append(kw["env"]["ZOOM_HISTORY_BY"])
        raise subprocess.TimeoutExpired(argv, 120)

    make(run=timing_out).run_once()
    clock.t += 100

    def missing(argv, **kw):
        raise FileNotFoundError(2, "No such file or directory")

    make(run=missing, cooldown=0).run_once()
    assert tried == ["monitor"]
    assert monitor_events(env_file) == [
        {"event": "fetch_failed", "by": "monitor", "exit": None, "reason": "killed: timed out after 120 s",
         "token_left_s": 200},
        {"event": "fetch_failed", "by": "monitor", "exit": None,
         "reason": "could not be run (No such file or directory)", "token_left_s": 100},
    ]


def test_a_fetch_that_leaves_no_valid_token_is_a_reload_failure(fake):
    _clock, env_file, kit, make = fake
    kit.ttl = -5  # the kit "succeeds" but writes an expired token
    make().run_once()
    assert monitor_events(env_file) == [
        {"event": "reload_failed", "by": "monitor",
         "reason": "no valid token in .env after get_zoom_token.sh", "token_left_s": 200}]


# --------------------------------------------------------------------------- the shell's fast path

PLAIN_CASES = [
    ("fetch_succeeded",
     ["duration_s:=0.140123", f"expires_at:={T0 + 3600}", "old=(none)", "new=eyJz...NTMz"]),
    ("token_valid", ["left_s:=3540"]),
    ("config_unchanged", ["why=already has the current token"]),
    ("fetch_failed", ["exit:=1", "reason=timeout after 15 s", "token_left_s:=null", "forced:=true"]),
    ("x", ["n:=-3", "m:=0", "d:=12.5", "t:=false", "url=https://zoom.us/oauth/token"]),
]
NEEDS_JQ = [  # each must go through jq: what the fast path cannot write as jq would
    ("x", ['say=she said "no"']), ("x", ["path=C:\\Users\\me"]), ("x", ["name=Zoë"]),
    ("x", ["url=https://zoom.us/oauth/token?account_id=1"]), ("x", ["h=Authorization: Basic abc"]),
    ("x", ["h=Bearer abc"]), ("x", [f"t={OTHER_JWT}"]), ("x", ["long=" + "y" * 201]),
    ("x", ["d:=0.140"]), ("x", ["d:=1e3"]), ("x", ["d:=0.00001"]), ("x", ["d:=007"]),
    ("x", [f"{k}={'v' * 150}" for k in "abc"]),  # the whole over 480 bytes
]


def without_jq(tmp_path) -> str:
    """PATH with every command the shell writer may use but jq."""
    bin_dir = tmp_path / "bin-no-jq"
    bin_dir.mkdir()
    for name in ("bash", "date", "wc", "mkdir", "rm", "mv"):
        found = subprocess.run(["bash", "-c", f"command -v {name}"], capture_output=True,
                               text=True).stdout.strip()
        if found:
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)


@pytest.mark.parametrize("event, fields", PLAIN_CASES)
def test_a_plain_line_is_written_without_jq_as_jq_writes_it(tmp_path, event, fields):
    env_file = tmp_path / ".env"
    env_file.write_text("")
    forced = shell_history(env_file, event, *fields, _ZOOM_HISTORY_JQ_ONLY="1")
    fast = shell_history(env_file, event, *fields, PATH=without_jq(tmp_path))
    assert forced.returncode == fast.returncode == 0 and fast.stderr == "", fast.stderr
    by_jq, by_bash = log_lines(env_file)
    assert by_bash == by_jq


@pytest.mark.parametrize("event, fields", NEEDS_JQ)
def test_anything_else_is_left_to_jq(tmp_path, event, fields):
    env_file = tmp_path / ".env"
    env_file.write_text("")
    res = shell_history(env_file, event, *fields, PATH=without_jq(tmp_path))
    assert "jq could not write the line" in res.stderr and log_lines(env_file) == []
    assert shell_history(env_file, event, *fields).returncode == 0  # with jq: written
    assert len(log_lines(env_file)) == 1
