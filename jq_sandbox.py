"""Run the model's jq filters in worker processes, with a time limit and an output cap.

jq's C code holds the GIL for the whole evaluation: a filter that never ends (`repeat(1)`,
`def f: f; f`, `last(range(1e12))`) run in the server would freeze every tool and keep the process
spinning after the client left. So filters run in a small pool of child processes that import only
jq (this file, run as a script, with an empty environment): a worker that overruns the time limit
is killed and replaced by a fresh one on the next call. (Plain subprocesses, not multiprocessing:
its spawn start method would import the server's main module, mcp and pydantic, in every worker.)

No worker outlives the server: the server closes the pool on exit and on SIGTERM; a cancelled call
kills its worker; and a worker that loses its parent anyway (SIGKILL of the server) ends on its own:
when idle at the EOF of its stdin, when busy at an alarm set just past the time limit.

Wire format, both ways: a 4-byte big-endian length, then that many bytes.
  request:  b"<timeout>\\0<max_results>\\0<max_bytes>\\0<filter>\\0<JSON input>"
  response: b"OK" + the result as JSON text (an object: several results or a non-object are
            wrapped as {"result": ...}); or b"ER" + jq's error message; or b"TM" (too many results)
            or b"BI" (too much output).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

# The filter comes from the model. jq's `env`/`$ENV` would hand it the environment (under Claude
# Desktop that holds ZOOM_ACCESS_TOKEN; workers get an empty one anyway), and input/inputs/import
# reach beyond the result, so the filter runs inside definitions that shadow them;
# `import`/`include` cannot follow a pipe.
SANDBOX = (
    "def env: {}; def input: empty; def inputs: empty; def input_filename: null; "
    "def get_search_list: []; {} as $ENV | ("
)

TIMEOUT = 5.0  # seconds one filter may run
MAX_RESULTS = 10_000  # outputs of one filter (max_items is at most 10,000 too)
MAX_BYTES = 32 * 2**20  # characters of JSON one filter may produce
MEMORY_LIMIT = 2 * 2**30  # address space of a worker (Linux enforces it; macOS ignores it)
POOL_SIZE = 4  # workers at most; more concurrent filters wait for one


class JqError(Exception):
    """A filter failed; the message is for the model."""


def sandboxed(expr: str) -> str:
    return f"{SANDBOX}{expr}\n)"


@functools.lru_cache(maxsize=64)
def check(expr: str) -> None:
    """Compile expr (raises JqError); run in the server, before any Zoom request, and cached."""
    import jq  # only calls with a filter pay for it

    if "\0" in expr:  # jq's C API would stop reading at a NUL
        raise JqError(f"Invalid jq filter {expr!r}: it holds a NUL character")
    try:
        jq.compile(expr)  # the model's own filter first, so a syntax error reads as its own
        jq.compile(sandboxed(expr))
    except ValueError as exc:
        raise JqError(f"Invalid jq filter {expr!r}: {exc}") from None


# -- the server's side ----------------------------------------------------------------------------


def _frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


class _Dead(Exception):
    """The worker ended (killed, crashed, out of memory) before it answered."""


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
            raise _Dead from None
        try:
            fd = self.proc.stdout.fileno()
            head = self._read(fd, 4, deadline)
            return self._read(fd, struct.unpack(">I", head)[0], deadline)
        except (OSError, ValueError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise _Dead from None

    @staticmethod
    def _read(fd: int, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise _Dead
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


class Job:
    """One filter evaluation; cancel() (from another thread) kills the worker it waits on."""

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
                 max_bytes: int = MAX_BYTES, size: int = POOL_SIZE) -> None:
        self.timeout, self.max_results, self.max_bytes = timeout, max_results, max_bytes
        self._size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        atexit.register(self.close)

    def run(self, expr: str, text: str, job: Job | None = None) -> str:
        """Apply expr to the JSON `text`; return the result as JSON text of an object. Blocking."""
        job = job or Job()
        if not self._slots.acquire(timeout=self.timeout):
            raise JqError(f"jq filters are busy: {self._size} are running; try again in a moment")
        try:
            worker = self._take()
            job.worker = worker
            if job.cancelled:
                job.worker = None
                self._give_back(worker, False)
                raise JqError("the jq filter was stopped: the call was cancelled")
            request = b"\0".join((
                repr(self.timeout).encode(), str(self.max_results).encode(), str(self.max_bytes).encode(),
                expr.encode(), text.encode(),
            ))
            ok = False
            try:
                answer = worker.exchange(request, time.monotonic() + self.timeout)
                ok = True
            except TimeoutError:
                raise JqError(
                    f"jq filter took longer than {self.timeout:g} s and was stopped; simplify it "
                    "(does it loop forever, e.g. repeat or recursion without an end?)"
                ) from None
            except _Dead:
                if job.cancelled or self._closed:
                    raise JqError("the jq filter was stopped: the call was cancelled") from None
                raise JqError(
                    f"jq filter stopped the evaluator (more than {MEMORY_LIMIT // 2**30} GiB of memory?); "
                    "simplify it"
                ) from None
            finally:
                job.worker = None
                self._give_back(worker, ok)
        finally:
            self._slots.release()
        kind, body = answer[:2], answer[2:].decode("utf-8", "replace")
        if kind == b"OK":
            return body
        if kind == b"TM":
            raise JqError(f"jq filter produced more than {self.max_results} results; narrow it")
        if kind == b"BI":
            size = f"{self.max_bytes / 2**20:g} MB" if self.max_bytes >= 2**20 else f"{self.max_bytes} bytes"
            raise JqError(f"jq filter produced more than {size} of JSON; narrow it")
        raise JqError(f"The jq filter {expr!r} failed on this result: {body}")

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise JqError("the server is shutting down")
            if self._idle:
                return self._idle.pop()
            worker = _Worker()
            self._all.add(worker)
            return worker

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


def _evaluate(jq, programs: dict, request: bytes) -> bytes:
    timeout, max_results, max_bytes, expr, text = request.split(b"\0", 4)
    expr_s = expr.decode()
    program = programs.get(expr_s)
    if program is None:
        if len(programs) >= 64:
            programs.clear()
        program = programs[expr_s] = jq.compile(sandboxed(expr_s))
    limit, cap = int(max_results), int(max_bytes)
    import json

    parts: list[str] = []
    size = 0
    # Backstop for a parent that is gone: the default action of SIGALRM ends this process even while
    # jq's C code runs; the parent normally kills us first, at its own deadline.
    signal.alarm(math.ceil(float(timeout)) + 1)
    try:
        for value in program.input_text(text.decode("utf-8")):
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


def _serve() -> int:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C in a terminal: just end
    import jq

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    programs: dict = {}
    while True:
        head = _read_exact(stdin, 4)
        if head is None:
            return 0  # the server closed the pipe (or is gone): done
        request = _read_exact(stdin, struct.unpack(">I", head)[0])
        if request is None:
            return 0
        stdout.write(_frame(_evaluate(jq, programs, request)))
        stdout.flush()


if __name__ == "__main__":
    sys.exit(_serve())
