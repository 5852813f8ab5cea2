"""Token monitor: shows the Zoom token's status and keeps it alive.

Imported by zoom_mcp.py (a background thread) and runnable alone:
``python token_monitor.py`` (``make monitor``). It never talks to Zoom itself:
it shells out to the token kit in scripts/ and reads .env with python-dotenv.

Everything it prints goes to ``out`` (stderr by default), never stdout: stdout
of the stdio server is JSON-RPC only.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

import bundle_mode
import history

log = logging.getLogger("zoom_mcp.token_monitor")

ROOT = Path(__file__).resolve().parent
RULE = "━" * 60
MAX_WAIT = 60.0  # longest sleep: notices an outside .env change within a minute
ENV_CHECK_EVERY = 1.0  # get_token stats .env at most once a second
SCRIPT_TIMEOUT = {"get_zoom_token.sh": 120, "update_claude_config.sh": 60, "restart_claude_app.sh": 60}
# run.sh sets this to get_zoom_token.sh's exit code before it execs the server: a failure there
# counts as the monitor's first failure, so the monitor does not send a second request at once.
STARTUP_EXIT_VAR = "ZOOM_STARTUP_FETCH_EXIT"
# When a script cannot write its own history line (it never ran, or was killed on its timeout), the
# monitor writes it: one line per thing, never two.
STEP_FAILED_EVENT = {"get_zoom_token.sh": "fetch_failed", "update_claude_config.sh": "config_failed",
                     "restart_claude_app.sh": "restart_failed"}
GET_EXIT_MEANING = {
    1: "the token request failed",
    2: "configuration error",
    3: "Zoom rejected the credentials (check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)",
}


class SettingsError(ValueError):
    """A setting is not a valid number; the monitor refuses to start."""


# --------------------------------------------------------------------------- formatting


def format_duration(seconds: int) -> str:
    seconds = abs(int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h {m}m {s}s"
    if m:
        return f"{m}m {s}s"
    return f"{s}s"


def seconds_left(expires_at: int | None, now: float) -> int | None:
    # Whole seconds, as `date +%s` in check_zoom_token.sh sees them.
    return None if expires_at is None else int(expires_at) - int(now // 1)


def format_status(expires_at: int | None, now: float) -> str:
    """The status line, byte-identical to scripts/check_zoom_token.sh."""
    left = seconds_left(expires_at, now)
    if left is None:
        return "🔑 Token Status: ❌ No token"
    if left <= 0:
        return f"🔑 Token Status: ❌ Expired {format_duration(left)} ago"
    icon = "✅" if left > 900 else "📊" if left >= 300 else "⚠️"
    at = time.strftime("%I:%M:%S %p", time.localtime(int(expires_at))).lstrip("0")
    return f"🔑 Token Status: {icon} Expires in {format_duration(left)} (at {at})"


def state_of(expires_at: int | None, now: float) -> str:
    left = seconds_left(expires_at, now)
    if left is None:
        return "missing"
    if left <= 0:
        return "expired"
    return "fresh" if left > 900 else "expiring" if left >= 300 else "critical"


def mask(token: str | None) -> str:
    if not token:
        return "(none)"
    if len(token) < 12:  # too short to show any of it safely
        return "****"
    return f"{token[:4]}...{token[-4:]}"


def jwt_claims(token: str | None) -> dict:
    """The JWT payload (exp, iat), or {} — Zoom does not document it, so it is only a fallback."""
    try:
        payload = token.split(".")[1]  # type: ignore[union-attr]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims if isinstance(claims, dict) else {}
    except Exception:
        return {}


def _int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def env_file_path(setting: str | None) -> Path:
    """ZOOM_ENV_FILE as the scripts read it (scripts/lib/common.sh: zoom_root_path): unset or empty
    means <project root>/.env, and a relative path is taken from the project root, never from $PWD
    (else `make monitor`, run.sh and the scripts could each read a different file)."""
    if not setting:
        return ROOT / ".env"
    if re.match(r"[A-Za-z]:[\\/]", setting):  # a Windows drive path (Git Bash), as the scripts allow
        return Path(setting)
    path = Path(setting)
    return path if path.is_absolute() else ROOT / path


WINDOWS = os.name == "nt"  # Python for Windows, started by run.sh from Git Bash

_running: dict[int, subprocess.Popen] = {}  # kit scripts running now, by pid (= their process group)
_running_lock = threading.Lock()


def run_script(argv, *, timeout=None, check=False, capture_output=False, **kw):
    """subprocess.run for the kit's scripts, but in a process group of their own: on a timeout
    the whole group is killed (subprocess.run would kill only the bash script and leave its curl
    child running). Same arguments and result as subprocess.run."""
    if capture_output:
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    kw["start_new_session"] = True
    with subprocess.Popen(argv, **kw) as proc:
        with _running_lock:
            _running[proc.pid] = proc
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException as exc:  # the timeout, or an interrupt while we wait
            _kill_group(proc, signal.SIGKILL)
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a grandchild left the group and holds the pipes
                out = err = None
            raise subprocess.TimeoutExpired(argv, timeout, out, err) from None
        finally:
            with _running_lock:
                _running.pop(proc.pid, None)
    res = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    if check:
        res.check_returncode()
    return res


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    # Only while the leader is our unreaped child: its pid (= the group id) cannot have been reused.
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if WINDOWS:  # no process groups: the script itself (its curl ends with its pipe)
                proc.kill()
            else:
                os.killpg(proc.pid, sig)


def stop_running_scripts() -> None:
    """SIGTERM the kit scripts still running (their groups: curl too). Being in groups of their own,
    they would not get the signal that stops this process's group; stop() and exit call this."""
    with _running_lock:
        procs = list(_running.values())
    for proc in procs:
        _kill_group(proc, signal.SIGTERM)


atexit.register(stop_running_scripts)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    display_interval: int = 60  # ZOOM_TOKEN_DISPLAY_INTERVAL; 0 = no periodic display
    threshold: int = 300  # ZOOM_AUTO_REFRESH_THRESHOLD
    cooldown: int = 30  # ZOOM_REFRESH_COOLDOWN
    max_failures: int = 3  # ZOOM_MAX_REFRESH_FAILURES
    restart_claude: bool = True  # ZOOM_RESTART_CLAUDE
    # ZOOM_MCP_BUNDLE=1 (environment only): installed in Claude Desktop as an extension, which holds
    # no copy of the token (see bundle_mode.py)
    extension: bool = False
    history: bool = True  # ZOOM_HISTORY; 0 = no zoom-token.log

    @classmethod
    def from_env(cls, environ=None, file_values=None) -> Settings:
        """Environment first, then .env (as the scripts read them); raises SettingsError."""
        environ = os.environ if environ is None else environ
        file_values = file_values or {}

        def get(name):
            value = environ.get(name)
            if value is None or value == "":
                value = file_values.get(name)
            return None if value is None or str(value).strip() == "" else str(value).strip()

        def number(name, default, minimum):
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a whole number of seconds") from None
            if value < minimum:
                raise SettingsError(f"{name}={value} must be {minimum} or more")
            return value

        restart = get("ZOOM_RESTART_CLAUDE")
        if restart is None or restart.lower() in ("1", "true", "yes", "on"):
            restart_on = True
        elif restart.lower() in ("0", "false", "no", "off"):
            restart_on = False
        else:
            raise SettingsError(f"ZOOM_RESTART_CLAUDE={restart!r} must be 1 or 0")
        return cls(
            display_interval=number("ZOOM_TOKEN_DISPLAY_INTERVAL", 60, 0),
            threshold=number("ZOOM_AUTO_REFRESH_THRESHOLD", 300, 1),
            cooldown=number("ZOOM_REFRESH_COOLDOWN", 30, 0),
            max_failures=number("ZOOM_MAX_REFRESH_FAILURES", 3, 1),
            restart_claude=restart_on,
            extension=bundle_mode.active(environ),
            history=history.enabled(get("ZOOM_HISTORY")),
        )


# --------------------------------------------------------------------------- launched by Claude?


def detect_launched_by_claude(environ=None) -> bool:
    """True when Claude Desktop started this process (so restarting Claude would kill us).

    ZOOM_LAUNCHED_BY_CLAUDE=1/0 decides when set. Otherwise we look at up to four
    ancestors (run.sh execs python, but a shell may sit between): Claude Desktop is
    the process `Claude` (macOS; helpers are `Claude Helper ...`), `Claude.exe`
    (Windows) or `claude-desktop` (Linux community builds), or runs from
    `Claude.app/`. Claude Code's lowercase `claude` CLI is deliberately no match:
    restarting Claude Desktop would not stop a server that Claude Code started.
    """
    environ = os.environ if environ is None else environ
    override = environ.get("ZOOM_LAUNCHED_BY_CLAUDE", "").strip().lower()
    if override in ("1", "true", "yes"):
        return True
    if override in ("0", "false", "no"):
        return False
    pid = os.getppid()
    for _ in range(4):
        if pid <= 1:
            return False
        name, cmd, parent = _process_info(pid)
        base = os.path.basename(name)
        if (
            base in ("Claude", "Claude.exe")
            or base.startswith("Claude Helper")
            or "claude-desktop" in base.lower()
            or "Claude.app/" in cmd
            or "\\Claude\\" in cmd
            or "claude-desktop" in cmd.lower()
        ):
            return True
        pid = parent
    return False


def _process_info(pid: int) -> tuple[str, str, int]:
    """(name, command line, parent pid) of a process; ("", "", 0) when unknown."""
    try:  # Linux: /proc, no child process
        proc = Path("/proc", str(pid))
        stat = (proc / "stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        name = (proc / "comm").read_text().strip()
        cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return name, cmd, parent
    except (OSError, ValueError, IndexError):
        pass
    try:  # macOS and the BSDs
        res = subprocess.run(
            ["ps", "-o", "ppid=", "-o", "comm=", "-p", str(pid)],
            capture_output=True, text=True, timeout=5, check=False,
        )
        ppid, _, comm = res.stdout.strip().partition(" ")
        return comm.strip(), comm.strip(), int(ppid)
    except (OSError, ValueError, subprocess.SubprocessError):
        return "", "", 0


# --------------------------------------------------------------------------- the monitor


class _StepFailed(Exception):
    def __init__(self, step: str, code: int | None, detail: str, message: str | None = None):
        super().__init__(detail)
        self.step, self.code, self.detail = step, code, detail
        self.message = message  # the script's first ERROR line, without "ERROR: "


class TokenMonitor:
    """Holds the current token in memory, shows its status, refreshes it in time.

    The loop is ``run_once(now) -> next wake-up time``; the thread only sleeps on
    an Event until then, so tests drive it step by step with a fake clock.
    """

    def __init__(self, env_file=None, scripts_dir=None, *, settings=None, clock=time.time,
                 out=None, run=run_script, launched_by_claude=None, explain=None):
        # An explicit path is the caller's (relative to its $PWD); ZOOM_ENV_FILE follows the scripts'
        # rule. Either way the scripts get an absolute path, so both sides read the same file.
        self.env_file = Path(env_file).absolute() if env_file else env_file_path(
            os.environ.get("ZOOM_ENV_FILE"))
        self.scripts_dir = Path(scripts_dir or ROOT / "scripts")
        self._clock = clock
        self._out = out
        self._run = run or run_script
        self._launched_by_claude = launched_by_claude  # None: detected when first needed
        self._explain = explain  # status() -> extra keys saying what to fix (bundle_mode.explain)

        self._token: str | None = None
        self._expires_at: int | None = None
        self._env_sig = None  # (inode, size, mtime_ns) of .env at the last load
        self._last_env_check = float("-inf")
        self._state_lock = threading.RLock()
        self._out_lock = threading.Lock()
        self._refresh_lock = threading.Lock()  # single flight
        self._refreshing = False
        self._refresh_gen = 0  # bumped after every refresh attempt
        self._last_refresh_ok = False

        self.failures = 0
        self.last_error: dict | None = None  # the last failed attempt, until one succeeds
        self.auto_refresh_enabled = True
        self._retry_at = float("-inf")  # end of the cooldown after an attempt that did not help
        self._next_display: float | None = None
        self._clamp_warned_for: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        file_values = self._read_env_file()
        self.settings = settings or Settings.from_env(os.environ, file_values)
        self.threshold = self.settings.threshold
        self.history = history.History(
            self.env_file, on=self.settings.history, clock=self._clock, tokens=lambda: (self._token,),
            secret=os.environ.get("ZOOM_CLIENT_SECRET") or file_values.get("ZOOM_CLIENT_SECRET") or "",
            warn=self._emit)
        self._load(file_values)
        # Zoom's tokens live an hour; the JWT's exp - iat tells us better when present.
        warning = self._apply_clamp(self._lifetime() or 3600)
        if warning:
            self._emit(warning)
        startup_exit = _int_or_none(os.environ.pop(STARTUP_EXIT_VAR, None))
        if startup_exit:
            self._startup_failure(startup_exit)

    # ----------------------------------------------------------------- public API

    def get_token(self) -> str | None:
        """The current token, from memory; .env is stat'ed at most once a second."""
        now = self._clock()
        if now - self._last_env_check >= ENV_CHECK_EVERY:
            self._last_env_check = now
            self._check_env(now)
        return self._token

    def handle_unauthorized(self, bad_token: str) -> str | None:
        """Zoom said 401 code 124 for bad_token: return a better token, or None.

        Single flight: callers that arrive during a refresh wait for it and share its result.
        """
        gen = self._refresh_gen
        # The history says what a 401 led to (bad_token "" is no 401: there was no token at all).
        by = "401" if bad_token else "monitor"
        with self._refresh_lock:
            if self._refresh_gen != gen:  # a refresh finished while we waited
                return self._token if self._last_refresh_ok and self._token != bad_token else None
            self._check_env(self._clock(), force=True)  # a valid new token there also re-enables
            if self._token and self._token != bad_token:
                if bad_token:
                    self.history.write("unauthorized", by, followed="env_token")
                return self._token
            if not self.auto_refresh_enabled:
                # Disabled after max failures: Zoom already rejected these credentials (or the
                # endpoint kept failing); only a token from outside (get_zoom_token.sh -f) helps.
                if bad_token:
                    self.history.write("unauthorized", by, followed="disabled")
                return None
            if self._clock() < self._retry_at:  # cooldown: no token request storm
                if bad_token:
                    self.history.write("unauthorized", by, followed="cooldown", retry_at=int(self._retry_at))
                return None
            if bad_token:
                self.history.write("unauthorized", by, followed="refresh")
            ok = self._refresh_locked(
                self._clock(), "⏳ Zoom rejected the token! Fetching a new one...", force=True, by=by)
            return self._token if ok else None

    def status(self) -> dict:
        now = self._clock()
        self._check_env(now)
        exp = self._expires_at
        status = {
            "state": state_of(exp, now),
            "expires_at": exp,
            "seconds_left": seconds_left(exp, now),
            "auto_refresh_enabled": self.auto_refresh_enabled,
            "consecutive_failures": self.failures,
        }
        status.update(self.history.summary(now))  # last_refresh, failures_24h
        if self.last_error:
            status["last_error"] = dict(self.last_error)
        if self._explain:
            status.update(self._explain(status))
        return status

    def fetch_at_start(self) -> bool:
        """What run.sh does before the server starts, for a start without it (extension mode):
        get_zoom_token.sh -q with the monitor's threshold. A failure counts as the first one, with
        its cooldown, exactly as run.sh's does; the server starts either way."""
        try:
            self._script("get_zoom_token.sh", ["-q", "-t", str(self.threshold)])
        except _StepFailed as failure:
            self._startup_failure(failure.code, failure.message, failure.detail)
            return False
        with self._state_lock:
            self._load(self._read_env_file())
        return True

    def start(self) -> None:
        """Print the status at once, then display and auto-refresh on a daemon thread."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="token-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        stop_running_scripts()  # a refresh in flight ends now, not after its own timeouts
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    # ----------------------------------------------------------------- the loop

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wake = self.run_once()
            except Exception:  # a bug must not end the monitoring
                log.exception("token monitor step failed")
                wake = self._clock() + MAX_WAIT
            # Event.wait: stop() ends the sleep at once. The small margin avoids
            # waking a hair before the event and looping once more.
            self._stop.wait(min(max(wake - self._clock(), 0.0) + 0.01, MAX_WAIT))

    def run_once(self, now: float | None = None) -> float:
        """Do what is due at `now` and return when the next thing is due (clock time)."""
        now = self._clock() if now is None else now
        self._check_env(now)

        # The refresh block starts with the status line: no display line just before it.
        show = not self._refresh_due(now)
        if self._next_display is None:  # first step: the status at once, whatever the interval
            if show:
                self._emit(format_status(self._expires_at, now))
            self._next_display = now + self.settings.display_interval
        elif self.settings.display_interval and now >= self._next_display:
            if show:
                self._emit(format_status(self._expires_at, now))
            # Keep the cadence; after a long stall (suspend) start again from now.
            nxt = self._next_display + self.settings.display_interval
            self._next_display = nxt if nxt > now else now + self.settings.display_interval

        busy = False
        if self._refresh_due(now):
            if self._refresh_lock.acquire(blocking=False):
                try:
                    if self._refresh_due(now):
                        self._refresh_locked(now, self._expiring_line(now), force=False)
                finally:
                    self._refresh_lock.release()
                now = max(now, self._clock())
                # The block ended with the status line: the next display is a full interval away.
                self._next_display = now + self.settings.display_interval
            else:
                busy = True  # handle_unauthorized is refreshing: look again in a second

        candidates = [now + MAX_WAIT]
        if self.settings.display_interval:
            candidates.append(self._next_display)
        if busy:
            candidates.append(now + 1)
        elif self.auto_refresh_enabled:
            if self._expires_at is None:
                candidates.append(max(self._retry_at, now))
            else:
                candidates.append(max(self._expires_at - self.threshold, self._retry_at))
        return max(min(candidates), now)

    def _refresh_due(self, now: float) -> bool:
        if not self.auto_refresh_enabled or now < self._retry_at:
            return False
        left = seconds_left(self._expires_at, now)
        return left is None or left <= self.threshold

    def _expiring_line(self, now: float) -> str:
        left = seconds_left(self._expires_at, now)
        if left is None:
            return "⏳ No token! Fetching one..."
        if left <= 0:
            return "⏳ Token expired! Automatically refreshing..."
        return "⏳ Token expiring soon! Automatically refreshing..."

    # ----------------------------------------------------------------- the refresh sequence

    def _refresh_locked(self, now: float, why: str, *, force: bool, by: str = "monitor") -> bool:
        """Run the refresh sequence; the caller holds _refresh_lock. True when a new token is in use.
        by: who the scripts name in the history (monitor, or 401 for a refresh after Zoom's 401)."""
        self._refreshing = True
        old_token, old_exp = self._token, self._expires_at
        ok = False
        try:
            self._emit(RULE)
            self._emit(format_status(old_exp, now))
            self._emit(why)
            self._emit("📝 Running: get_zoom_token.sh")
            args = ["-f"] if force else ["-t", str(self.threshold)]
            started = self._clock()
            out = self._script("get_zoom_token.sh", args, by)
            fetched = no_request = False
            for line in out.splitlines():
                if line.startswith("📋"):
                    fetched = True
                    self._emit(line)
                elif line.startswith("✅ Token still valid"):  # another process refreshed first
                    no_request = "no request made" in line
                    self._emit(line)
            # "No request made" is the kit's own word (exit 0 and its `✅ Token still valid ...; no
            # request made` line): it decides under its lock beside .env, so only it knows. Comparing
            # .env before and after the run cannot tell: when two monitors cross together, the other
            # one's new token lands in .env while our run waits on that lock, so .env changes during a
            # run that requested nothing. Without either line we assume a request (the full sequence).
            no_request = no_request and not fetched
            self._emit("🔄 Loading new token from .env")
            values = self._read_env_file()
            with self._state_lock:
                self._load(values)
            now = self._clock()
            left = seconds_left(self._expires_at, now)
            if not self._token or left is None or left <= 0:
                raise _StepFailed("reload .env", None, "no valid token in .env after get_zoom_token.sh")
            if self._token == old_token:
                self._emit(f"✅ Token unchanged: {mask(self._token)}")
            else:
                self._emit(f"✅ Token updated: {mask(old_token)} → {mask(self._token)}")
            # The clamp needs the token's lifetime, never the time left (a token another process
            # fetched a while ago has less left than it lived): the JWT's exp - iat, else,
            # when our own run fetched it, expires_at - the time the run started (about expires_in).
            lifetime = self._lifetime() or (self._expires_at - int(started) if fetched else None)
            clamp_warning = self._apply_clamp(lifetime)
            ok = True
            skip = None
            if no_request:
                skip = ("another process refreshed the token" if self._token != old_token
                        else "the token did not change")
            self._claude_steps(skip, by)
            self._emit("✅ Token refresh complete! New token is now active.")
            self._emit(format_status(self._expires_at, self._clock()))
            self._emit(RULE)
            if clamp_warning:  # after the block, which keeps its fixed lines
                self._emit(clamp_warning)
        except _StepFailed as failure:
            self._failed(failure, old_token, old_exp)
        finally:
            self._refreshing = False
            self._last_refresh_ok = ok
            self._refresh_gen += 1
        if ok:  # a success (also one after a 401) ends any failure streak
            self.failures = 0
            self.last_error = None
            self.auto_refresh_enabled = True
            left = seconds_left(self._expires_at, self._clock())
            # A "successful" refresh that left us within the threshold must not loop at once.
            stuck = left <= self.threshold
            self._retry_at = self._clock() + self.settings.cooldown if stuck else float("-inf")
        return ok

    def _claude_steps(self, skip_restart: str | None = None, by: str = "monitor") -> None:
        """Steps 3 and 4. The new token is already in use; a failure here is a warning only.

        skip_restart: why not to restart Claude although the config was updated — the kit made no
        request because another process had just refreshed (and restarted Claude) already.
        The config update still runs: cheap, idempotent, and it makes sure this config has the token.
        As an extension both are skipped, each line followed by why: the block keeps its shape.
        The scripts write their own history lines; a skip is the monitor's decision, so it writes that.
        """
        self._emit("⚙️  Running: update_claude_config.sh")
        if self.settings.extension:
            self._emit("   ↳ Skipped: Claude Desktop runs this server as an extension and holds no copy of "
                       "the token to update; the server reads it from its own state folder.")
            self._emit("🚀 Running: restart_claude_app.sh")
            self._emit("   ↳ Skipped: Claude Desktop has no stale token to reload, and restarting it would "
                       "stop this server.")
            self.history.write("config_skipped", by, why="extension")
            self.history.write("restart_skipped", by, why="extension")
            return
        try:
            self._script("update_claude_config.sh", [], by)
        except _StepFailed as failure:
            self._emit(f"⚠️  {failure.step} failed ({failure.detail}); Claude Desktop's config keeps the "
                       "old token. The server itself uses the new one.")
            return
        if skip_restart:
            self._emit(f"🚀 Skipped: restart_claude_app.sh ({skip_restart})")
            self.history.write("restart_skipped", by, why=skip_restart)
        elif self._is_launched_by_claude():
            self._emit("🚀 Skipped: restart_claude_app.sh (this server was launched by Claude Desktop; "
                       "restarting it would stop the server)")
            self.history.write("restart_skipped", by, why="launched by Claude Desktop")
        elif not self.settings.restart_claude:
            self._emit("🚀 Skipped: restart_claude_app.sh (ZOOM_RESTART_CLAUDE=0)")
            self.history.write("restart_skipped", by, why="ZOOM_RESTART_CLAUDE=0")
        else:
            self._emit("🚀 Running: restart_claude_app.sh")
            try:
                self._script("restart_claude_app.sh", ["--if-running"], by)
            except _StepFailed as failure:
                self._emit(f"⚠️  {failure.step} failed ({failure.detail}); restart Claude Desktop by hand "
                           "to give it the new token.")

    def _failed(self, failure: _StepFailed, old_token, old_exp) -> None:
        # The scripts write nothing on failure; keep the old token in memory too.
        with self._state_lock:
            self._token, self._expires_at = old_token, old_exp
            self._env_sig = self._stat_env()
        now = self._clock()
        self.last_error = {"step": failure.step, "exit_code": failure.code,
                           "message": failure.message or failure.detail}
        self._emit(f"⚠️  Token refresh failed at {failure.step}: {failure.detail}.")
        left = seconds_left(old_exp, now)
        if failure.step == "reload .env":  # the script said it succeeded: this failure is ours to write
            self.history.write("reload_failed", reason=failure.detail, token_left_s=left)
        if left is not None and left > 0:
            self._emit(f"   Nothing was changed; the current token stays in use (expires in "
                       f"{format_duration(left)}).")
        else:
            self._emit("   Nothing was changed; there is no valid token, so Zoom calls fail until a "
                       "refresh succeeds.")
        self._count_failure(now)
        self._emit(RULE)

    def _count_failure(self, now: float) -> None:
        """One more consecutive failure: start the cooldown; disable at the max (said once)."""
        self.failures += 1
        self._retry_at = now + self.settings.cooldown
        if not self.auto_refresh_enabled:
            return  # already disabled and said so: no second CRITICAL pair
        if self.failures >= self.settings.max_failures:
            self.auto_refresh_enabled = False
            self._emit("❌ CRITICAL: Max refresh failures reached. Auto-refresh disabled.")
            if self.settings.extension:  # no script to run by hand: the settings are the way back
                recover = ("fix what zoom_token_status names in the extension's settings, then turn the "
                           "extension off and on")
                self._emit(f"To recover, {recover}.")
            else:
                recover = "./scripts/get_zoom_token.sh -f"
                self._emit(f"To recover, run: {recover}")
            self.history.write("auto_refresh_disabled", failures=self.failures, recover=recover)
        else:
            self._emit(f"🔁 Next attempt in {format_duration(self.settings.cooldown)} "
                       f"(failure {self.failures} of {self.settings.max_failures}).")

    def _startup_failure(self, code: int | None, message: str | None = None,
                         detail: str | None = None) -> None:
        """run.sh's get_zoom_token.sh (or fetch_at_start's) just failed: that was this server's first
        attempt. Counting it (and starting the cooldown) keeps the monitor from sending a second
        request at once — with rejected credentials, two invalid_client requests back to back."""
        meaning = GET_EXIT_MEANING.get(code) if code is not None else None
        if not detail:
            detail = f"get_zoom_token.sh exited with code {code}" + (f" — {meaning}" if meaning else "")
        who = "at start" if self.settings.extension else "run.sh, at start"
        self.last_error = {"step": f"get_zoom_token.sh ({who})", "exit_code": code,
                           "message": message or detail}
        self._emit(f"⚠️  Token refresh failed at get_zoom_token.sh ({who}): {detail}.")
        self._count_failure(self._clock())

    def _script(self, name: str, args: list[str], by: str = "monitor") -> str:
        """Run a kit script; return its stdout, or raise _StepFailed naming it and its exit code.
        by: who the script names in the history."""
        env = dict(os.environ)
        env["ZOOM_ENV_FILE"] = str(self.env_file)
        env["ZOOM_HISTORY_BY"] = by
        # The token and its expiry live in .env; a stale copy in our environment
        # (Claude Desktop's config passes one) must not hide the file's.
        env.pop("ZOOM_ACCESS_TOKEN", None)
        env.pop("ZOOM_TOKEN_EXPIRES_AT", None)
        argv = [str(self.scripts_dir / name), *args]
        if WINDOWS or (not os.access(argv[0], os.X_OK) and os.path.isfile(argv[0])):
            # Python for Windows cannot run a .sh, Git's bash can (run.sh names it); and an unpacker
            # that dropped the mode bits must not stop the refresh.
            argv.insert(0, os.environ.get("ZOOM_KIT_BASH") or "bash")
        try:
            # A process group of its own: run_script kills all of it (curl too) on a timeout.
            res = self._run(argv, capture_output=True, text=True, encoding="utf-8", errors="replace",
                            env=env, stdin=subprocess.DEVNULL, timeout=SCRIPT_TIMEOUT.get(name, 60),
                            check=False, start_new_session=True)
        except subprocess.TimeoutExpired:
            detail = f"{name} timed out after {SCRIPT_TIMEOUT.get(name, 60)}s"
            self._script_not_logged(name, by, f"killed: timed out after {SCRIPT_TIMEOUT.get(name, 60)} s")
            raise _StepFailed(name, None, detail) from None
        except OSError as exc:
            self._script_not_logged(name, by, f"could not be run ({exc.strerror or exc})")
            raise _StepFailed(name, None, f"{name} could not be run ({exc.strerror or exc})") from None
        stdout, stderr = res.stdout or "", res.stderr or ""
        for line in (stdout + stderr).splitlines():
            log.debug("%s: %s", name, line)
        if res.returncode != 0:
            errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
            for line in errors:  # the script's own reason (e.g. Zoom's), never a secret
                self._emit(f"   {line}")
            meaning = GET_EXIT_MEANING.get(res.returncode) if name == "get_zoom_token.sh" else None
            detail = f"{name} exited with code {res.returncode}" + (f" — {meaning}" if meaning else "")
            message = errors[0].removeprefix("ERROR:").strip() if errors else None
            raise _StepFailed(name, res.returncode, detail, message)
        return stdout

    def _script_not_logged(self, name: str, by: str, reason: str) -> None:
        """The script could not write its failure (never started, or killed): the monitor does."""
        fields = {"exit": None, "reason": reason}
        if name == "get_zoom_token.sh":
            fields["token_left_s"] = seconds_left(self._expires_at, self._clock())
        self.history.write(STEP_FAILED_EVENT.get(name, "script_failed"), by, **fields)

    def _is_launched_by_claude(self) -> bool:
        if self._launched_by_claude is None:
            self._launched_by_claude = detect_launched_by_claude()
        return self._launched_by_claude

    def _lifetime(self) -> int | None:
        """The current token's lifetime from its JWT: exp - iat (exp: else ZOOM_TOKEN_EXPIRES_AT);
        None when unknown. The JWT's own exp, not .env's expiry, when it has one: the two agree for
        a token the kit wrote, and a hand-edited expiry (tests shorten it) must not shrink the lifetime."""
        claims = jwt_claims(self._token)
        iat = _int_or_none(claims.get("iat"))
        exp = _int_or_none(claims.get("exp"))
        exp = self._expires_at if exp is None else exp
        if iat is None or exp is None:
            return None
        return exp - iat

    def _apply_clamp(self, lifetime: int | None) -> str | None:
        """A threshold at or above the token's lifetime would refresh forever: use half the lifetime.

        Returns the warning to print (once per lifetime seen), or None; the caller prints it where
        it does not break up a refresh block.
        """
        if not lifetime or lifetime <= 0:
            return None
        wanted = self.settings.threshold
        if wanted >= lifetime:
            self.threshold = max(lifetime // 2, 1)
            if self._clamp_warned_for != lifetime:
                self._clamp_warned_for = lifetime
                return (f"⚠️  ZOOM_AUTO_REFRESH_THRESHOLD={wanted} is not below the token lifetime "
                        f"({lifetime}s); using {self.threshold}s instead.")
        elif self.threshold != wanted:
            self.threshold = wanted
        return None

    # ----------------------------------------------------------------- .env

    def _read_env_file(self) -> dict:
        try:
            # No ${VAR} expansion: the scripts' loader (scripts/lib/common.sh) reads values literally.
            return dict(dotenv_values(self.env_file, interpolate=False)) if self.env_file.exists() else {}
        except OSError as exc:
            log.warning("cannot read %s: %s", self.env_file, exc)
            return {}

    def _stat_env(self):
        try:
            st = os.stat(self.env_file)
            return (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            return None

    def _load(self, values: dict) -> None:
        """Token and expiry from .env when it has them (they change there), else the environment."""
        self._env_sig = self._stat_env()
        token = values.get("ZOOM_ACCESS_TOKEN") or None
        exp = _int_or_none(values.get("ZOOM_TOKEN_EXPIRES_AT")) if token else None
        if not token:
            token = os.environ.get("ZOOM_ACCESS_TOKEN") or None
            exp = _int_or_none(os.environ.get("ZOOM_TOKEN_EXPIRES_AT")) if token else None
        if token and exp is None:
            exp = _int_or_none(jwt_claims(token).get("exp"))
        self._token, self._expires_at = token, exp

    def _check_env(self, now: float, force: bool = False) -> None:
        """Reload .env when it changed; an outside new valid token also ends a failure streak."""
        if self._refreshing and not force:
            return  # our own refresh is writing .env and reloads it itself
        sig = self._stat_env()
        if sig == self._env_sig and not force:
            return
        with self._state_lock:
            if sig == self._env_sig and not force:
                return
            old = self._token
            self._load(self._read_env_file())
            new, exp = self._token, self._expires_at
        if new == old:
            return
        left = seconds_left(exp, now)
        valid = new is not None and left is not None and left > 0
        if valid and (self.failures or not self.auto_refresh_enabled):
            if not self.auto_refresh_enabled:
                self.history.write("auto_refresh_enabled", how="env_token", token=mask(new))
            self.failures = 0
            self.last_error = None
            self.auto_refresh_enabled = True
            self._retry_at = float("-inf")
            self._emit(f"✅ New token found in .env: {mask(old)} → {mask(new)}. "
                       "Failure count reset; auto-refresh re-enabled.")
            self._emit(format_status(exp, now))
            # That was a status line: the next periodic one is a full interval away (else run_once's
            # display tick in this same pass would print it a second time).
            self._next_display = now + self.settings.display_interval
        else:
            self._emit(f"🔄 New token loaded from .env: {mask(old)} → {mask(new)}")

    # ----------------------------------------------------------------- output

    def _emit(self, line: str) -> None:
        out = self._out or sys.stderr
        with self._out_lock:
            try:
                out.write(line + "\n")
                out.flush()
            except (OSError, ValueError):  # a closed stderr must not stop the monitor
                pass


def _interrupt(*_):
    raise KeyboardInterrupt


def main() -> int:
    logging.basicConfig(level=os.environ.get("ZOOM_LOG_LEVEL", "INFO").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        monitor = TokenMonitor()
    except SettingsError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    monitor._stop.clear()
    try:
        monitor._loop()  # the foreground is the loop; Ctrl-C ends it
    except KeyboardInterrupt:
        pass
    finally:
        monitor._stop.set()
    print("👋 Token monitor stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
