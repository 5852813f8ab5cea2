"""Shared machinery of the benchmarks: statistics, result rows, the simulator subprocess, temp env files,
MCP client sessions and /proc readings.

Nothing here contacts any address but 127.0.0.1: the simulator is started on loopback and every URL
is checked before use.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
_VENV_PY = ROOT / ".venv" / "bin" / "python"
PY = str(_VENV_PY) if _VENV_PY.exists() else sys.executable
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

# Credentials the simulator subprocess accepts (bench-only values, never real ones).
SIM_ACCOUNT_ID = "bench-account"
SIM_CLIENT_ID = "bench-client-id"
SIM_CLIENT_SECRET = "bench-client-secret-0123456789"

# The pieces a measurement may need, by the name shown in "n/a (missing: X)".
PIECES = {
    "zoomsim": ROOT / "zoomsim" / "__main__.py",
    "run.sh": ROOT / "run.sh",
    "zoom_mcp.py": ROOT / "zoom_mcp.py",
    "zoom_client.py": ROOT / "zoom_client.py",
    "token_monitor.py": ROOT / "token_monitor.py",
    "scripts/get_zoom_token.sh": ROOT / "scripts" / "get_zoom_token.sh",
    "scripts/check_zoom_token.sh": ROOT / "scripts" / "check_zoom_token.sh",
    "scripts/update_claude_config.sh": ROOT / "scripts" / "update_claude_config.sh",
}
SERVER_PIECES = ("run.sh", "zoom_mcp.py", "zoom_client.py", "token_monitor.py", "scripts/get_zoom_token.sh")


def iterations(full: int, quick: int) -> int:
    """How many runs: `full` normally, `quick` under BENCH_QUICK=1."""
    return quick if QUICK else full


def missing(*pieces: str) -> str | None:
    """The comma-separated names of the pieces that do not exist yet, or None."""
    gone = [p for p in pieces if not PIECES[p].exists()]
    return ", ".join(gone) if gone else None


# ---- statistics ---------------------------------------------------------------------------------------

def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    xs = sorted(samples)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class Stat:
    """A summary of samples (or one count: median = p95 = the value, n = 1)."""

    median: float
    p95: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stat:
        return cls(median=percentile(samples, 50), p95=percentile(samples, 95), n=len(samples))

    @classmethod
    def count(cls, value: float) -> Stat:
        return cls(median=float(value), p95=float(value), n=1)


@dataclass
class Row:
    """One line of the table: a figure, its baseline (same run), their ratio and the target."""

    group: str
    key: str
    name: str
    unit: str = "ms"
    value: Stat | None = None
    baseline_name: str = ""
    baseline: Stat | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    status: str = "ok"  # ok | n/a | error
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.baseline is None or self.baseline.median == 0:
            return None
        return self.value.median / self.baseline.median

    def to_json(self) -> dict:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        return out


def na_row(group: str, key: str, name: str, why: str, unit: str = "ms", **kw) -> Row:
    return Row(group=group, key=key, name=name, unit=unit, status="n/a", note=f"n/a ({why})", **kw)


# ---- processes -----------------------------------------------------------------------------------------

def check_loopback(url: str) -> str:
    """Refuse any URL whose host is not 127.0.0.1 (the benchmarks never leave the machine)."""
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise RuntimeError(f"refusing a non-loopback address: {url!r}")
    return url


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    """Poll `cond` until it holds; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the process we started (by its pid), then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=timeout)


def children_of(pid: int) -> set[int]:
    """Direct children of `pid`, from /proc."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The comm field may hold spaces and parentheses: the ppid follows the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.add(int(entry))
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def vm_rss_kib(pid: int) -> int:
    """VmRSS of the process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all threads), in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def voluntary_switches(pid: int) -> int:
    """Voluntary context switches summed over every thread of the process (each one is a wake-up
    after a sleep or a blocking wait)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            text = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        m = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", text, re.M)
        if m:
            total += int(m.group(1))
    return total


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def timed_run(argv: list[str], *, env: dict | None = None, stdin: bytes | None = None,
              check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command to completion; (wall ms, completed process)."""
    t0 = time.perf_counter()
    cp = subprocess.run(argv, input=stdin, env=env, capture_output=True, cwd=ROOT, timeout=60)
    ms = (time.perf_counter() - t0) * 1000
    if check and cp.returncode != 0:
        err = cp.stderr.decode(errors="replace")[-500:]
        raise RuntimeError(f"{' '.join(argv)} exited {cp.returncode}: {err}")
    return ms, cp


# ---- the simulator ---------------------------------------------------------------------------------------

class Simulator:
    """`python -m zoomsim --port 0` as a subprocess (its CPU does not share the measuring process's GIL)
    plus a client of its control endpoints. `args` go to its command line (e.g. --latency 150)."""

    def __init__(self, workdir: Path, args: Sequence[str] = (), name: str = "zoomsim"):
        import requests

        self.workdir = workdir
        self.log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, ZOOMSIM_ACCOUNT_ID=SIM_ACCOUNT_ID, ZOOMSIM_CLIENT_ID=SIM_CLIENT_ID,
                   ZOOMSIM_CLIENT_SECRET=SIM_CLIENT_SECRET, PYTHONUNBUFFERED="1")
        env = {k: v for k, v in env.items() if not k.startswith("ZOOMSIM_") or k in (
            "ZOOMSIM_ACCOUNT_ID", "ZOOMSIM_CLIENT_ID", "ZOOMSIM_CLIENT_SECRET")}  # only `args` configure it
        self.proc = subprocess.Popen([PY, "-m", "zoomsim", "--host", "127.0.0.1", "--port", "0", *args],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        line = self._first_line(timeout=20)
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.stop()
            raise RuntimeError(f"zoomsim said {line!r}, not 'Zoom simulator listening on URL'")
        self.url = check_loopback(m.group(1).rstrip("/"))
        self.oauth_url = self.url + "/oauth/token"
        self.api_url = self.url + "/v2"
        self.http = requests.Session()
        self.seeded: dict[str, int] = {}

    def _first_line(self, timeout: float) -> str:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            self.stop()
            raise TimeoutError("zoomsim printed nothing")
        return self.proc.stdout.readline().decode(errors="replace").strip()

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()

    # control endpoints
    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        r = self.http.request(method, self.url + path, json=payload, timeout=30)
        r.raise_for_status()
        return r.json()

    def stats(self) -> dict:
        return self._call("GET", "/_sim/stats")

    def config(self) -> dict:
        return self._call("GET", "/_sim/config")

    def configure(self, **settings) -> dict:
        """POST /_sim/config: latency_ms, latency_jitter_ms, seed, rate_limits, token_ttl."""
        return self._call("POST", "/_sim/config", settings)

    def seed_recordings(self, user_id: str, recordings: int, days: int = 90) -> int:
        return self._call("POST", "/_sim/seed", {"user_id": user_id, "recordings": recordings,
                                                 "days": days})["recordings"]

    def revoke(self) -> None:
        self._call("POST", "/_sim/revoke")

    def seed(self, user_id: str, meetings: int) -> int:
        return self._call("POST", "/_sim/seed", {"user_id": user_id, "meetings": meetings})["meetings"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_sim/requests")

    def requests(self, route: str | None = None) -> list[dict]:
        return self._call("GET", "/_sim/requests" + (f"?route={route}" if route else ""))["requests"]

    def fetch_token(self) -> tuple[str, int]:
        """One real token request (counted by the simulator): (token, expires_in)."""
        r = self.http.post(self.oauth_url, params={"grant_type": "account_credentials",
                                                   "account_id": SIM_ACCOUNT_ID},
                           auth=(SIM_CLIENT_ID, SIM_CLIENT_SECRET), timeout=30)
        r.raise_for_status()
        body = r.json()
        return body["access_token"], int(body["expires_in"])


def write_env_file(path: Path, sim: Simulator, token: str | None, expires_at: int | None) -> Path:
    """An env file for the kit and the server (mode 0600, written atomically)."""
    lines = [
        "# zoom-mcp benchmark env file (temporary)",
        f"ZOOM_ACCOUNT_ID={SIM_ACCOUNT_ID}",
        f"ZOOM_CLIENT_ID={SIM_CLIENT_ID}",
        f"ZOOM_CLIENT_SECRET={SIM_CLIENT_SECRET}",
        f"ZOOM_OAUTH_URL={sim.oauth_url}",
        f"ZOOM_API_BASE_URL={sim.api_url}",
    ]
    if token:
        lines.append(f"ZOOM_ACCESS_TOKEN={token}")
    if expires_at:
        lines.append(f"ZOOM_TOKEN_EXPIRES_AT={expires_at}")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


class Ctx:
    """What every group gets: the simulator, a temp folder and helpers to build environments."""

    def __init__(self, sim: Simulator | None, workdir: Path, why_no_sim: str = ""):
        self.sim = sim
        self.workdir = workdir
        self.why_no_sim = why_no_sim
        self.extra: dict = {}  # informational data for the JSON (e.g. importtime)
        self._n = 0

    def tmpdir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix + "-", dir=self.workdir))

    def env_file(self, d: Path, valid_token: bool = True, sim: Simulator | None = None) -> Path:
        """A fresh env file holding a valid token (one token request, outside any measurement), for the
        shared simulator or for `sim` (a group's own, e.g. one with latency)."""
        sim = sim or self.sim
        assert sim is not None
        if valid_token:
            token, ttl = sim.fetch_token()
            return write_env_file(d / ".env", sim, token, int(time.time()) + ttl)
        return write_env_file(d / ".env", sim, None, None)

    def claude_config(self, d: Path) -> Path:
        path = d / "claude_desktop_config.json"
        path.write_text(json.dumps({"mcpServers": {}}) + "\n")
        os.chmod(path, 0o600)
        return path

    def server_env(self, env_file: Path, sim: Simulator | None = None, **extra: str) -> dict[str, str]:
        """The variables the server child gets (it inherits only HOME, LOGNAME, PATH, SHELL, TERM, USER
        besides these), for the shared simulator or for `sim`."""
        sim = sim or self.sim
        assert sim is not None
        env = {
            "ZOOM_ENV_FILE": str(env_file),
            "ZOOM_API_BASE_URL": sim.api_url,
            "ZOOM_OAUTH_URL": sim.oauth_url,
            "CLAUDE_CONFIG_FILE": str(env_file.parent / "claude_desktop_config.json"),
            "ZOOM_RESTART_CLAUDE": "0",
            "ZOOM_TOKEN_DISPLAY_INTERVAL": "0",
            # The loopback groups measure the server's own cost at hundreds of calls a second, far past
            # Zoom's per-second limits: pacing would only measure the pacer's waits. The latency group,
            # against a simulator enforcing the Pro limits, passes ZOOM_RATE_PLAN=pro.
            "ZOOM_RATE_PLAN": "none",
        }
        env.update(extra)
        return env

    def shell_env(self, env_file: Path, **extra: str) -> dict[str, str]:
        """A full environment for running the kit's scripts directly."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
        base.update(self.server_env(env_file, **extra))
        return base

    def log_path(self, name: str) -> Path:
        self._n += 1
        return self.workdir / f"{self._n:02d}-{name}.log"


# ---- MCP client sessions ---------------------------------------------------------------------------------

class StdioSession:
    """An MCP client session to a server spawned over stdio, with the server's pid (from /proc: the child
    of this process that appeared when it was spawned) and its stderr in a log file."""

    def __init__(self, command: str, args: Sequence[str], env: dict[str, str], log: Path):
        self.command = command
        self.args = list(args)
        self.env = env
        self.log = log
        self.pid: int | None = None
        self.client = None
        self._stack = None

    async def __aenter__(self) -> StdioSession:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        self._stack = contextlib.AsyncExitStack()
        errlog = self._stack.enter_context(open(self.log, "w"))  # noqa: SIM115 - closed by the stack
        before = children_of(os.getpid())
        params = StdioServerParameters(command=self.command, args=self.args, env=self.env, cwd=str(ROOT))
        try:
            self.client = await self._stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
        except BaseException:
            await self._stack.aclose()
            raise
        new = children_of(os.getpid()) - before
        self.pid = max(new) if new else None
        return self

    async def __aexit__(self, *exc) -> None:
        await self._stack.aclose()

    def tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def run_sh_session(ctx: Ctx, env_file: Path, name: str = "server", sim: Simulator | None = None,
                   **extra: str) -> StdioSession:
    return StdioSession(str(ROOT / "run.sh"), [], ctx.server_env(env_file, sim, **extra), ctx.log_path(name))


def bare_session(ctx: Ctx, script: str = "bare_server.py", name: str = "bare",
                 env: dict[str, str] | None = None, args: Sequence[str] = ()) -> StdioSession:
    return StdioSession(PY, [str(BENCH_DIR / script), *args], env or {}, ctx.log_path(name))


def tool_ok(result, what: str) -> None:
    """Raise when a tool call came back as an error (a benchmark of errors measures nothing)."""
    if getattr(result, "is_error", False):
        text = " ".join(getattr(c, "text", "") for c in result.content)[:300]
        raise RuntimeError(f"{what} returned a tool error: {text}")


def ms_since(t0: int) -> float:
    return (time.perf_counter_ns() - t0) / 1e6
