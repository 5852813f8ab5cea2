"""Compile and run the model's jq filters in worker processes, with time and memory limits.

Nothing of a filter runs in the server: jq folds constants while it compiles (`"a" * 1e9` builds a
gigabyte then), and its C code holds the GIL for the whole evaluation, so a filter that never ends
(`repeat(1)`, `def f: f; f`, `last(range(1e12))`) would freeze every tool. The server never imports
jq: JqPool.check() asks a worker to compile a filter (and remembers what compiled), JqPool.run()
asks one to apply it. Workers are child processes that import only jq (this file, run as a script,
with an empty environment); a worker that overruns the time limit is killed and replaced by a fresh
one on the next call. (Plain subprocesses, not multiprocessing: its spawn start method would import
the server's main module, mcp and pydantic, in every worker.)

A filter may only read the tool's result. The server refuses import/include/module directives by
their text (jq_directives) before any compile; a worker has no HOME (libjq's ~/.jq), no library
path, and cannot open a file at all (RLIMIT_NOFILE), so a directive that slipped through could not
read one either. Definitions in front of the filter shadow env, $ENV, input, inputs,
input_filename, get_search_list, and debug/stderr (which would write to the server's stderr).

No worker outlives the server: the server closes the pool on exit and on SIGTERM; a cancelled call
kills its worker; and a worker that loses its parent anyway (SIGKILL of the server) ends on its own:
when idle at the EOF of its stdin, when busy at an alarm set just past the time limit.

Wire format, both ways: a 4-byte big-endian length, then that many bytes.
  request:  b"C<timeout>\\0<filter>" (compile), or
            b"R<timeout>\\0<max_results>\\0<max_bytes>\\0<filter>\\0<JSON input>" (run)
  response: b"OK" (compiled) or b"OK" + the result as JSON text (an object: several results or a
            non-object are wrapped as {"result": ...}); or b"ER" + jq's error message; or b"TM"
            (too many results) or b"BI" (too much output).
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict

# The filter comes from the model. jq's `env`/`$ENV` would hand it the environment (under Claude
# Desktop that holds ZOOM_ACCESS_TOKEN; workers get an empty one anyway), input/inputs reach beyond
# the result, and debug/stderr write to the worker's stderr, which is the server's; so the filter
# runs inside definitions that shadow them. A directive cannot follow them: jq reads import/include
# only at the very start of a program.
SANDBOX = (
    "def env: {}; def input: empty; def inputs: empty; def input_filename: null; "
    "def get_search_list: []; def debug: .; def debug(msg): .; def stderr: .; {} as $ENV | ("
)

TIMEOUT = 5.0  # seconds one filter may take to compile, and again to run
MAX_RESULTS = 10_000  # outputs of one filter (max_items is at most 10,000 too)
MAX_BYTES = 32 * 2**20  # characters of JSON one filter may produce
MEMORY_LIMIT = 2 * 2**30  # address space of a worker (Linux enforces it; macOS ignores it)
POOL_SIZE = 4  # workers at most; more concurrent filters wait for one
VERDICTS = 256  # filters remembered as compiled (the least recently used is forgotten first)
# How a worker ends when someone else stops it; a filter cannot cause these (out of memory is SIGABRT
# from jq or a MemoryError, the backstop alarm SIGALRM). Only the kernel's OOM killer also sends
# SIGKILL: then the one retry below dies too and the caller gets the error.
_STOPPED_FROM_OUTSIDE = {-signal.SIGKILL, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP}


class JqError(Exception):
    """A filter failed; the message is for the model."""


def sandboxed(expr: str) -> str:
    return f"{SANDBOX}{expr}\n)"


def refuse_unsafe(expr: str) -> None:
    """Refuse (JqError) what must never reach jq; plain text checks, run in the server."""
    from jq_directives import find_directive  # here: a worker (this file as a script) cannot import it

    if "\0" in expr:  # jq's C API would stop reading at a NUL
        raise JqError(f"Invalid jq filter {expr!r}: it holds a NUL character")
    try:
        expr.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON lets "\ud800" through): not text jq can read
        raise JqError(f"Invalid jq filter {expr!r}: it is not valid Unicode text") from None
    word = find_directive(expr)
    if word:
        raise JqError(
            f"Invalid jq filter {expr!r}: `{word}` directives are not allowed (import, include and module "
            "would load jq modules or data files); a filter works on this tool's result only"
        )


# -- the server's side ----------------------------------------------------------------------------


def _frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


class _Dead(Exception):
    """The worker ended (killed, crashed, out of memory) before it answered."""

    def __init__(self, delivered: bool):
        super().__init__()
        self.delivered = delivered  # False: the request never reached it (its stdin was closed)


class _Worker:
    def __init__(self) -> None:
        # -I: no PYTHON* variables, no user site, not the server's directory on sys.path.
        self.proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env={}, close_fds=True,
        )

    def kill(self) -> None:
        """Safe from any thread: the pipes stay open for a thread still reading them (it sees EOF)."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def close_pipes(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()

    def exchange(self, request: bytes, deadline: float) -> bytes:
        try:
            self.proc.stdin.write(_frame(request))
            self.proc.stdin.flush()
        except (OSError, ValueError):
            raise _Dead(delivered=False) from None
        try:
            fd = self.proc.stdout.fileno()
            head = self._read(fd, 4, deadline)
            return self._read(fd, struct.unpack(">I", head)[0], deadline)
        except (OSError, ValueError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise _Dead(delivered=True) from None

    @staticmethod
    def _read(fd: int, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise _Dead(delivered=True)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def stopped_from_outside(self) -> bool:
        """It ended by a signal someone else sent (kill -9 while idle...), not by what it ran."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)  # it closed its pipes: it is gone or going
        return self.proc.returncode in _STOPPED_FROM_OUTSIDE


class Job:
    """One compile or run; cancel() (from another thread) kills the worker it waits on."""

    def __init__(self) -> None:
        self.worker: _Worker | None = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        worker = self.worker
        if worker is not None:
            worker.kill()


class JqPool:
    def __init__(self, *, timeout: float = TIMEOUT, max_results: int = MAX_RESULTS,
                 max_bytes: int = MAX_BYTES, size: int = POOL_SIZE, verdicts: int = VERDICTS) -> None:
        self.timeout, self.max_results, self.max_bytes = timeout, max_results, max_bytes
        self._size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        self._compiled: OrderedDict[str, None] = OrderedDict()  # filters a worker compiled (LRU)
        self._max_verdicts = verdicts
        self._verdict_lock = threading.Lock()
        atexit.register(self.close)

    def known(self, expr: str) -> bool:
        """Whether expr compiled before (then check() would return at once). Never blocks."""
        with self._verdict_lock:
            if expr in self._compiled:
                self._compiled.move_to_end(expr)
                return True
        return False

    def check(self, expr: str, job: Job | None = None) -> None:
        """Refuse a filter that does not compile (JqError, with jq's message), before any Zoom request.

        Blocking: the text checks run here, the compile in a worker under the time and memory limits
        (it may build huge constants). What compiled is remembered, so a filter is compiled once."""
        if self.known(expr):
            return
        refuse_unsafe(expr)
        answer = self._exchange(
            b"C" + b"\0".join((repr(self.timeout).encode(), expr.encode())), job or Job(),
            timed_out=f"Invalid jq filter {expr!r}: compiling it took longer than {self.timeout:g} s and was "
            "stopped (jq builds constant values such as \"a\" * 1e9 while compiling); simplify it",
            died=f"Invalid jq filter {expr!r}: compiling it stopped the evaluator (more than "
            f"{MEMORY_LIMIT // 2**30} GiB of memory?); simplify it",
        )
        if answer[:2] != b"OK":
            raise JqError(f"Invalid jq filter {expr!r}: {answer[2:].decode('utf-8', 'replace')}")
        with self._verdict_lock:
            self._compiled[expr] = None
            if len(self._compiled) > self._max_verdicts:
                self._compiled.popitem(last=False)

    def run(self, expr: str, text: str, job: Job | None = None) -> str:
        """Apply expr to the JSON `text`; return the result as JSON text of an object. Blocking.

        Call check(expr) first: run() sends expr to a worker as it is."""
        answer = self._exchange(
            b"R" + b"\0".join((
                repr(self.timeout).encode(), str(self.max_results).encode(), str(self.max_bytes).encode(),
                expr.encode(), text.encode(),
            )),
            job or Job(),
            timed_out=f"jq filter took longer than {self.timeout:g} s and was stopped; simplify it "
            "(does it loop forever, e.g. repeat or recursion without an end?)",
            died=f"jq filter stopped the evaluator (more than {MEMORY_LIMIT // 2**30} GiB of memory?); "
            "simplify it",
        )
        kind, body = answer[:2], answer[2:].decode("utf-8", "replace")
        if kind == b"OK":
            return body
        if kind == b"TM":
            raise JqError(f"jq filter produced more than {self.max_results} results; narrow it")
        if kind == b"BI":
            size = f"{self.max_bytes / 2**20:g} MB" if self.max_bytes >= 2**20 else f"{self.max_bytes} bytes"
            raise JqError(f"jq filter produced more than {size} of JSON; narrow it")
        raise JqError(f"The jq filter {expr!r} failed on this result: {body}")

    def _exchange(self, request: bytes, job: Job, *, timed_out: str, died: str) -> bytes:
        """Send one request to a worker and return its answer, under the time limit.

        A worker found dead before it took the request (killed while idle) is replaced and the
        request sent to a fresh one, once; the caller sees nothing of it."""
        if not self._slots.acquire(timeout=self.timeout):
            raise JqError(f"jq filters are busy: {self._size} are running; try again in a moment")
        try:
            deadline = time.monotonic() + self.timeout
            for attempt in (1, 2):
                if job.cancelled:
                    raise JqError("the jq filter was stopped: the call was cancelled")
                worker = self._take()
                job.worker = worker
                ok = False
                try:
                    answer = worker.exchange(request, deadline)
                    ok = True
                    return answer
                except TimeoutError:
                    raise JqError(timed_out) from None
                except _Dead as dead:
                    if job.cancelled or self._closed:
                        raise JqError("the jq filter was stopped: the call was cancelled") from None
                    if attempt == 1 and (not dead.delivered or worker.stopped_from_outside()):
                        continue
                    raise JqError(died) from None
                finally:
                    job.worker = None
                    self._give_back(worker, ok)
            raise AssertionError("unreachable")
        finally:
            self._slots.release()

    def _take(self) -> _Worker:
        dead: list[_Worker] = []
        try:
            with self._lock:
                if self._closed:
                    raise JqError("the server is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.proc.poll() is None:
                        return worker
                    self._all.discard(worker)  # died while idle (kill -9...): never hand it a job
                    dead.append(worker)
                worker = _Worker()
                self._all.add(worker)
                return worker
        finally:
            for worker in dead:
                worker.close_pipes()

    def _give_back(self, worker: _Worker, ok: bool) -> None:
        with self._lock:
            if ok and not self._closed and worker.proc.poll() is None:
                self._idle.append(worker)
                return
            self._all.discard(worker)
        worker.kill()  # timed out, died or cancelled: a fresh one is started when next needed
        worker.close_pipes()

    def close(self) -> None:
        """Kill every worker (idle or busy). Safe to call more than once, and from a signal handler."""
        acquired = self._lock.acquire(timeout=1)
        try:
            self._closed = True
            workers, idle = list(self._all), list(self._idle)
            self._all.clear()
            self._idle.clear()
        finally:
            if acquired:
                self._lock.release()
        for worker in workers:
            worker.kill()  # a busy one's caller sees EOF and reports the call as stopped
        for worker in idle:
            worker.close_pipes()

    def pids(self) -> list[int]:
        return [w.proc.pid for w in list(self._all)]


# -- the worker's side (this file run as a script: imports only jq) ------------------------------


def _read_exact(stream, n: int) -> bytes | None:
    data = stream.read(n)
    return data if len(data) == n else None


def _program(jq, programs: dict, expr: str):
    program = programs.get(expr)
    if program is None:
        if len(programs) >= 64:
            programs.clear()
        program = programs[expr] = jq.compile(sandboxed(expr))
    return program


def _evaluate(jq, json, programs: dict, request: bytes) -> bytes:
    op, request = request[:1], request[1:]
    if op == b"C":
        timeout, expr = request.split(b"\0", 1)
        # Backstop for a parent that is gone: the default action of SIGALRM ends this process even
        # while jq's C code runs; the parent normally kills us first, at its own deadline.
        signal.alarm(math.ceil(float(timeout)) + 1)
        try:
            jq.compile(expr.decode())  # the model's own filter first, so a syntax error reads as its own
            _program(jq, programs, expr.decode())
        except ValueError as exc:
            return b"ER" + str(exc).encode()
        finally:
            signal.alarm(0)
        return b"OK"
    timeout, max_results, max_bytes, expr, text = request.split(b"\0", 4)
    limit, cap = int(max_results), int(max_bytes)
    parts: list[str] = []
    size = 0
    signal.alarm(math.ceil(float(timeout)) + 1)
    try:
        for value in _program(jq, programs, expr.decode()).input_text(text.decode("utf-8")):
            if len(parts) >= limit:
                return b"TM"
            part = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            size += len(part) + 1
            if size > cap:
                return b"BI"
            parts.append(part)
    except ValueError as exc:
        return b"ER" + str(exc).encode()
    except MemoryError:
        return b"BI"
    finally:
        signal.alarm(0)
    if len(parts) == 1 and parts[0].startswith("{"):
        out = parts[0]
    elif len(parts) == 1:
        out = '{"result":' + parts[0] + "}"
    else:
        out = '{"result":[' + ",".join(parts) + "]}"
    return b"OK" + out.encode()


def _coverage():
    """The coverage.py run measuring this worker under `make coverage` (dev/coverage_run.py starts
    one in every process of the venv for that run), else None: never imported here, only looked up."""
    module = sys.modules.get("coverage")
    return module.Coverage.current() if module is not None else None


@contextlib.contextmanager
def _lift_file_limit(resource):
    """Under `make coverage` only: files may be opened for a moment (the filter is not running), to
    save the measurement; then the limit of 3 is back."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE) if resource else (0, 0)
    if resource:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield
    finally:
        if resource:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _serve() -> int:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C in a terminal: just end
    import json

    import jq

    try:
        import resource
    except ImportError:  # not on a Unix
        resource = None
    # Every import is done and stdin/stdout/stderr are open: no other file is needed, so none may be
    # opened (a jq module or data file included).
    measured = _coverage()
    limits = ("RLIMIT_AS", MEMORY_LIMIT), ("RLIMIT_CORE", 0), ("RLIMIT_NOFILE", 3)
    for name, value in limits if resource else ():
        with contextlib.suppress(AttributeError, ValueError, OSError):  # an unsupported limit: go without
            which = getattr(resource, name)
            # Under `make coverage` only, the hard limit on files stays: see _lift_file_limit.
            hard = resource.getrlimit(which)[1] if measured and name == "RLIMIT_NOFILE" else value
            resource.setrlimit(which, (value, hard))

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    programs: dict = {}
    try:
        while True:
            head = _read_exact(stdin, 4)
            if head is None:
                return 0  # the server closed the pipe (or is gone): done
            request = _read_exact(stdin, struct.unpack(">I", head)[0])
            if request is None:
                return 0
            stdout.write(_frame(_evaluate(jq, json, programs, request)))
            stdout.flush()
            if measured:  # a worker usually ends by SIGKILL: save what it ran so far
                with _lift_file_limit(resource):
                    measured.save()
    finally:
        if measured and resource:  # coverage.py saves once more as the process exits
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


if __name__ == "__main__":
    sys.exit(_serve())
