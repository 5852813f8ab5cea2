"""The refresh history: what the kit and the monitor did, in zoom-token.log beside .env.

One JSON object per line: ``ts`` (ISO 8601 UTC), ``event``, ``by``, then the event's fields. The kit's
scripts write the same file through ``zoom_history`` in scripts/lib/common.sh, by the same rules:

- each line is one ``os.write`` of the whole line to a descriptor opened with O_APPEND, and stays
  well under PIPE_BUF (512 bytes on macOS), so concurrent writers never mix their lines;
- no secret: the client secret becomes ***, a token its mask (first 4 ... last 4), and any JWT,
  bearer or Authorization header and URL query is taken out;
- past 1 MiB the log is rotated (.1 -> .2 -> .3, the oldest dropped) under <log>.lock, taken by the
  scripts' own protocol (``kit_lock``), so a script and the monitor never rotate at once;
- ``ZOOM_HISTORY=0`` turns it off; a log that cannot be written never fails a refresh: one warning
  per process, then silence.

``check_zoom_token.sh --history`` (``make history``) prints it for people; ``summary`` gives
zoom_token_status its ``last_refresh`` and ``failures_24h``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

LOG_NAME = "zoom-token.log"
MAX_BYTES = 1024 * 1024  # ZOOM_HISTORY_MAX_BYTES (environment only) lowers it for tests
MAX_LINE = 480  # bytes, newline excluded: under macOS's PIPE_BUF of 512
KEEP = 3  # rotated files: .1 .. .3
LOCK_WAIT = 5.0  # seconds a rotation waits for the lock; after that the next writer rotates
TAIL_BYTES = 128 * 1024  # what summary() reads: the tail, never the whole file
FAILED = ("fetch_failed", "reload_failed")  # a token refresh that did not give a token
WRITERS = ("monitor", "script", "run.sh", "401")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL_QUERY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s?#]*)[?#]\S*")
_AUTHORIZATION = re.compile(r"([Aa]uthorization)\s*[:=].*")
_BEARER = re.compile(r"([Bb]earer)\s+\S+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

_warned = False  # one warning per process
_warn_lock = threading.Lock()


def enabled(value: str | None) -> bool:
    """ZOOM_HISTORY as the scripts read it: 0, false, no or off turn the history off."""
    return (value or "1").strip().lower() not in ("0", "false", "no", "off")


def log_path(env_file: Path | str) -> Path:
    return Path(env_file).parent / LOG_NAME


def mask(token: str) -> str:
    return "****" if len(token) < 12 else f"{token[:4]}...{token[-4:]}"


def clean(text: str) -> str:
    """One line, no secret: the same steps, in the same order, as the scripts' jq program."""
    text = _CONTROL.sub(" ", text)
    text = _URL_QUERY.sub(r"\1?...", text)
    text = _AUTHORIZATION.sub(r"\1: ****", text)
    text = _BEARER.sub(r"\1 ****", text)
    return _JWT.sub(lambda m: f"{m.group(0)[:4]}...{m.group(0)[-4:]}", text)


def _shorten(entry: dict, n: int) -> dict:
    return {k: v[:n] + "…" if k not in ("ts", "event", "by") and isinstance(v, str) and len(v) > n else v
            for k, v in entry.items()}


def _dumps(entry: dict) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def format_line(event: str, by: str, now: float, fields: dict, secret: str = "", tokens=()) -> str:
    """The line (without its newline) exactly as the scripts' zoom_history makes it: the client
    secret becomes ***, a token its mask."""
    entry: dict = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(now))), "event": event, "by": by}
    for key, value in fields.items():
        if isinstance(value, str):
            if secret:
                value = value.replace(secret, "***")
            for token in tokens:
                if token:
                    value = value.replace(token, mask(token))
            value = clean(value)
        entry[key] = value
    entry = _shorten(entry, 200)
    n = 100
    while len(_dumps(entry).encode()) > MAX_LINE:
        entry = _shorten(entry, n if n >= 8 else 0)  # at last every text is "…"
        if n < 8:
            break
        n //= 2
    return _dumps(entry)


# --------------------------------------------------------------------------- the kit's lock


def _use_flock(environ=None) -> bool:
    """The protocol the scripts pick (zoom_lock): flock(1) where it exists, unless ZOOM_NO_FLOCK."""
    environ = os.environ if environ is None else environ
    if environ.get("ZOOM_NO_FLOCK") or shutil.which("flock", path=environ.get("PATH")) is None:
        return False
    try:
        import fcntl  # noqa: F401
    except ImportError:  # Python for Windows
        return False
    return True


@contextlib.contextmanager
def kit_lock(lock_file: Path | str, timeout: float, *, environ=None, poll: float = 0.05):
    """Hold LOCK_FILE as scripts/lib/common.sh's zoom_lock does; yields False when not had in time.

    flock(2) on the file where the scripts use flock(1) (the same kernel lock), else the mkdir lock:
    LOCK_FILE.d holding the owner's PID, broken when that process is gone."""
    lock_file = str(lock_file)
    deadline = time.monotonic() + timeout
    if _use_flock(environ):
        import fcntl

        fd = os.open(lock_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(poll)  # flock(1) -w waits the same way: the deadline bounds it
            yield True
        finally:
            os.close(fd)  # releases the flock
        return
    folder = lock_file + ".d"
    empty_polls = 0
    while True:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pid = _read_pid(folder)
            if pid is not None:
                empty_polls = 0
                if not _alive(pid):
                    # The owner died without unlocking: break the lock (unless another waiter has
                    # just broken and re-taken it), then race for it like everyone else.
                    if _read_pid(folder) == pid:
                        shutil.rmtree(folder, ignore_errors=True)
                    continue
            else:  # created, no PID yet: its owner may have died right after mkdir
                empty_polls += 1
                if empty_polls >= 40:
                    shutil.rmtree(folder, ignore_errors=True)
                    empty_polls = 0
                    continue
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(poll)
            continue
        break
    try:
        Path(folder, "pid").write_text(f"{os.getpid()}\n")
        yield True
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_pid(folder: str) -> int | None:
    try:
        return int(Path(folder, "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: count it alive (the wait bounds it)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: alive
        return True
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- the writer


def _warn_once(message: str, warn) -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    (warn or (lambda line: print(line, file=sys.stderr, flush=True)))(message)


class History:
    """The monitor's writer (and reader) of zoom-token.log."""

    def __init__(self, env_file: Path | str, *, on: bool = True, clock=time.time, tokens=None,
                 secret: str = "", warn=None, environ=None):
        self.path = log_path(env_file)
        self._secret = secret
        self.on = on
        self._clock = clock
        self._tokens = tokens or (lambda: ())  # -> the tokens in use, masked wherever they appear
        self._warn = warn
        self._environ = os.environ if environ is None else environ
        self._rotate_lock = threading.Lock()
        self._cache: tuple | None = None  # (file signature, entries) of the last tail read

    @property
    def max_bytes(self) -> int:
        raw = self._environ.get("ZOOM_HISTORY_MAX_BYTES", "")
        return int(raw) if raw.isdigit() else MAX_BYTES

    def write(self, event: str, by: str = "monitor", **fields) -> None:
        if not self.on:
            return
        try:
            data = format_line(event, by, self._clock(), fields, self._secret, self._tokens())
            data = (data + "\n").encode()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, data)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if written != len(data):
                raise OSError(f"only {written} of {len(data)} bytes written")
        except (OSError, ValueError, TypeError) as exc:
            _warn_once(f"⚠️  cannot write the refresh history to {self.path} ({exc}); going on without it "
                       "(ZOOM_HISTORY=0 turns it off)", self._warn)
            return
        if size > self.max_bytes:
            self._rotate()

    def _rotate(self) -> None:
        with self._rotate_lock, kit_lock(f"{self.path}.lock", LOCK_WAIT, environ=self._environ) as held:
            if not held:
                return  # the next writer rotates
            try:
                if self.path.stat().st_size <= self.max_bytes:
                    return  # another writer rotated it meanwhile
                for i in range(KEEP - 1, 0, -1):
                    older = Path(f"{self.path}.{i}")
                    if older.exists():
                        os.replace(older, f"{self.path}.{i + 1}")
                os.replace(self.path, f"{self.path}.1")
            except OSError:
                pass  # never fails a refresh; the next writer tries again

    # ----------------------------------------------------------------- reading

    def tail(self) -> list[dict]:
        """The entries in the last TAIL_BYTES of .1 and the log (a line cut at the start is skipped).
        Cached until either file changes: zoom_token_status may be called often."""
        paths = (Path(f"{self.path}.1"), self.path)
        stats = []
        for path in paths:
            try:
                st = os.stat(path)
                stats.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                stats.append(None)
        sig = tuple(stats)
        if self._cache and self._cache[0] == sig:
            return self._cache[1]
        chunks: list[bytes] = []
        need, cut = TAIL_BYTES, False
        for path, st in zip(reversed(paths), reversed(stats), strict=True):  # the log first, then .1
            if st is None:
                continue
            if need <= 0:  # .1 not read at all: the text starts at a line boundary of the log
                break
            try:
                with open(path, "rb") as f:
                    start = max(st[1] - need, 0)
                    f.seek(start)
                    data = f.read(need)
            except OSError:
                continue
            chunks.insert(0, data)
            need -= len(data)
            cut = start > 0
        lines = b"".join(chunks).split(b"\n")
        if cut:
            lines = lines[1:]
        entries = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("ts"), str):
                entries.append(entry)
        self._cache = (sig, entries)
        return entries

    def summary(self, now: float) -> dict:
        """last_refresh ({at, ok, by} of the last fetch that ended, or None) and failures_24h."""
        if not self.on:
            return {"last_refresh": None, "failures_24h": None}
        last = None
        failures = 0
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(now) - 86400))
        for entry in self.tail():
            event = entry.get("event")
            if event == "fetch_succeeded" or event in FAILED:
                last = {"at": entry["ts"], "ok": event == "fetch_succeeded", "by": entry.get("by")}
                if event in FAILED and entry["ts"] > since:  # ISO 8601 UTC sorts as text
                    failures += 1
        return {"last_refresh": last, "failures_24h": failures}
