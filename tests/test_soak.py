"""Soak (issue 6): ./run.sh refreshing every few seconds under load while the token endpoint fails.

The simulator issues 303 s tokens and the monitor refreshes at 300 s, so a refresh is due about every
3 s. Three client loops call tools without pause over one stdio session; a fault injector makes the
token endpoint fail (refused, 500, slow past ZOOM_HTTP_TIMEOUT) for short spells at random moments.

Asserted, and printed (run with -s to see the figures):
- every tool call answered without error;
- each successful refresh cost one token request, each failed one exactly one failed request
  (the monitor's stderr lines against the simulator's token log);
- a failed refresh changed nothing: .env and the Claude config are compared byte for byte at the
  start and the end of every failed refresh block, and across each fault spell;
- .env and the config parse on every read of a watcher thread reading both in a loop;
- the server's RSS, threads and open descriptors are flat (start vs end, with a tolerance).

Two tests share the code: ``test_soak_short`` runs in ``make test`` (SOAK_SHORT_SECONDS, default 20 s;
60 s when CI=true), ``test_soak`` is the long one behind ``-m soak`` (``make soak``: SOAK_SECONDS,
default 600); it is skipped unless SOAK_SECONDS is set, so a plain pytest run stays fast.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
from dotenv import dotenv_values
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TOKEN_TTL = 303
THRESHOLD = 300
HTTP_TIMEOUT = 1
SLOW_DELAY = 1.6  # past ZOOM_HTTP_TIMEOUT: a slow answer is a failed refresh
CLIENT_LOOPS = 3
FAULT_MODES = [("refused", {}), ("error", {"status": 500}), ("slow", {"delay": SLOW_DELAY})]
# flatness tolerances, end vs start (after warm-up)
RSS_TOLERANCE_KB = 16 * 1024
RSS_TOLERANCE_RATIO = 0.20
THREAD_TOLERANCE = 4
FD_TOLERANCE = 4

RUNNING_GET = "📝 Running: get_zoom_token.sh"
FETCHED = "📋 Token fetched successfully"
FAILED = "⚠️  Token refresh failed at "
COMPLETE = "✅ Token refresh complete! New token is now active."
STATUS = "🔑 Token Status: "
FRESH_STATUS = STATUS + "✅ "  # more than 15 minutes left: only an hour-long token, here
RULE = "━" * 60


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- observers


def snapshot(env_file: Path, config: Path) -> tuple[bytes, bytes]:
    return env_file.read_bytes(), config.read_bytes()


class Monitor:
    """Reads the server's stderr; follows the refresh blocks and checks failed ones changed nothing."""

    def __init__(self, fd: int, env_file: Path, config: Path, copy: Path):
        self.env_file, self.config = env_file, config
        self.successes = self.failures = self.completes = self.still_valid = 0
        self.failure_steps: Counter = Counter()
        self.changed_by_failure: list[str] = []
        self.tracebacks: list[str] = []
        self.in_block = False
        self.completed_status = ""  # the status line of the token the last complete refresh loaded
        self._after_complete = False
        self._block_start: tuple[bytes, bytes] | None = None
        self._cond = threading.Condition()
        self._copy = open(copy, "w", encoding="utf-8")  # noqa: SIM115 - closed when the pipe ends
        self._thread = threading.Thread(target=self._read, args=(fd,), daemon=True)
        self._thread.start()

    def _read(self, fd: int) -> None:
        with open(fd, encoding="utf-8", errors="replace") as pipe:
            for raw in pipe:
                self._copy.write(raw)
                line = raw.rstrip("\n")
                with self._cond:
                    self._line(line)
                    self._cond.notify_all()
        self._copy.close()

    def _line(self, line: str) -> None:
        if line == RUNNING_GET:
            self.in_block = True
            self._block_start = snapshot(self.env_file, self.config)
        elif line.startswith(FETCHED):
            self.successes += 1
        elif line.startswith("✅ Token still valid"):
            self.still_valid += 1
        elif line.startswith(FAILED):
            self.failures += 1
            self.failure_steps[line[len(FAILED):].split(":", 1)[0]] += 1
            now = snapshot(self.env_file, self.config)
            if self._block_start is not None and now != self._block_start:
                which = [n for n, a, b in zip((".env", "config"), now, self._block_start, strict=True)
                         if a != b]
                self.changed_by_failure.append(f"failure #{self.failures} changed {which}")
        elif line == COMPLETE:
            self.completes += 1
            self._after_complete = True
        elif line.startswith(STATUS) and self._after_complete:
            self.completed_status = line
            self._after_complete = False
        elif line == RULE and self.in_block:
            # the closing rule of a block (the opening one comes before RUNNING_GET)
            self.in_block = False
            self._block_start = None
        if "Traceback" in line or " CRITICAL " in line:
            self.tracebacks.append(line)

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


class FileWatcher(threading.Thread):
    """Reads .env and the Claude config in a loop: each read must parse and hold a token."""

    def __init__(self, env_file: Path, config: Path):
        super().__init__(daemon=True)
        self.env_file, self.config = env_file, config
        self.reads = 0
        self.problems: list[str] = []
        self.env_tokens: list[str] = []  # distinct tokens in the order seen
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.check_once()
            self._halt.wait(0.005)  # pacing, so the watcher does not hog a core

    def check_once(self) -> None:
        try:
            text = self.env_file.read_text(encoding="utf-8")
            values = dotenv_values(stream=io.StringIO(text), interpolate=False)
            token, exp = values.get("ZOOM_ACCESS_TOKEN"), values.get("ZOOM_TOKEN_EXPIRES_AT")
            if not token or not (exp or "").isdigit() or not text.endswith("\n"):
                self.problems.append(f".env without a whole token pair: {text[-80:]!r}")
            elif not self.env_tokens or self.env_tokens[-1] != token:
                self.env_tokens.append(token)
            cfg = json.loads(self.config.read_text(encoding="utf-8"))
            if not cfg["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"]:
                self.problems.append("config without a token")
            if cfg["mcpServers"]["other"] != {"command": "/bin/true"}:
                self.problems.append("config lost the other server")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problems.append(f"{type(exc).__name__}: {exc}")
        self.reads += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def proc_sample(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_kb": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[dict] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append({"t": time.monotonic(), **proc_sample(self.pid)})
            self._halt.wait(1.0)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


@dataclass
class Spell:
    mode: str
    seconds: float
    failures: int
    raced: bool = False


@dataclass
class Injector:
    """Token-endpoint faults for short spells at random moments; every spell is bounded."""

    sim: ZoomSimulator
    monitor: Monitor
    env_file: Path
    config: Path
    rng: random.Random
    spells: list[Spell] = field(default_factory=list)
    spell_changes: list[str] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        modes: list = []
        while not self.stop_event.wait(self.rng.uniform(1.0, 3.0)):
            if not modes:
                modes = list(FAULT_MODES)
                self.rng.shuffle(modes)
            mode, options = modes.pop()
            # start from a quiet monitor, so that the snapshot is the state the spell must keep
            if not self.monitor.wait(lambda: not self.monitor.in_block, 10):
                continue
            before = snapshot(self.env_file, self.config)
            ok0, failed0 = self.monitor.successes, self.monitor.failures
            started = time.monotonic()
            fault_id = self.sim.add_fault("token", mode, **options)
            hold = self.rng.uniform(0.2, 1.5)
            # until one refresh failed under this fault (then a little longer), at most 8 s
            self.monitor.wait(lambda f0=failed0: self.monitor.failures > f0, 8)
            self.stop_event.wait(hold)
            self.sim.remove_fault(fault_id)
            self.monitor.wait(lambda: not self.monitor.in_block, 10)
            failed = self.monitor.failures - failed0
            raced = self.monitor.successes != ok0  # a refresh that began before the fault succeeded
            if failed and not raced and snapshot(self.env_file, self.config) != before:
                self.spell_changes.append(f"{mode} spell with {failed} failed refreshes changed the files")
            self.spells.append(Spell(mode, time.monotonic() - started, failed, raced))


# --------------------------------------------------------------------------- the soak


def write_env(path: Path, sim: ZoomSimulator) -> None:
    text = (f"# soak .env\nZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
            f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_ACCESS_TOKEN=\nZOOM_TOKEN_EXPIRES_AT=\n"
            f"ZOOM_OAUTH_URL={sim.oauth_url}\nZOOM_API_BASE_URL={sim.api_url}\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


async def soak(tmp: Path, seconds: float) -> None:
    seed = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)  # noqa: S311 - a fault schedule, not crypto
    say(f"\n🧪 soak: {seconds:.0f} s, seed {seed} (SOAK_SEED={seed} repeats the fault schedule)")
    with ZoomSimulator(host="127.0.0.1", port=0, token_ttl=TOKEN_TTL) as sim:
        sim.seed_meetings("me", 40)
        env_file, config = tmp / ".env", tmp / "claude_desktop_config.json"
        write_env(env_file, sim)
        config.write_text(json.dumps({"mcpServers": {"other": {"command": "/bin/true"}}}))
        config.chmod(0o600)
        kit_env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "ZOOM_ENV_FILE": str(env_file),
                   "CLAUDE_CONFIG_FILE": str(config)}
        # The first token lives 10 s longer, so run.sh (which checks at the monitor's 300 s threshold)
        # finds it valid however slowly the machine starts the server: "1 initial" stays exact.
        sim.set_token_ttl(TOKEN_TTL + 10)
        for argv in (["get_zoom_token.sh", "-q"], ["update_claude_config.sh", "--install"]):
            res = subprocess.run([str(SCRIPTS / argv[0]), *argv[1:]], env=kit_env, capture_output=True,
                                 text=True, timeout=60, check=False)
            assert res.returncode == 0, res.stderr
        sim.set_token_ttl(TOKEN_TTL)
        watcher = FileWatcher(env_file, config)
        watcher.check_once()
        assert watcher.problems == [], watcher.problems

        pidfile = tmp / "server.pid"
        params = StdioServerParameters(
            command="bash", args=["-c", 'echo "$$" >"$1"; exec "$0"', str(ROOT / "run.sh"), str(pidfile)],
            cwd="/",
            env={**kit_env, "ZOOM_RESTART_CLAUDE": "0", "ZOOM_AUTO_REFRESH_THRESHOLD": str(THRESHOLD),
                 "ZOOM_REFRESH_COOLDOWN": "1", "ZOOM_MAX_REFRESH_FAILURES": "1000000",
                 "ZOOM_HTTP_TIMEOUT": str(HTTP_TIMEOUT), "ZOOM_TOKEN_DISPLAY_INTERVAL": "0",
                 "ZOOM_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"},
        )
        read_fd, write_fd = os.pipe()
        monitor = Monitor(read_fd, env_file, config, tmp / "server-stderr.log")
        calls: Counter = Counter()
        errors: list[str] = []
        latencies: list[float] = []
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(os.fdopen(write_fd, "w"))
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            pid = int(pidfile.read_text())
            listed = await client.call_tool("zoom_list_meetings", {"page_size": 5, "jq": "[.meetings[].id]"})
            assert not listed.is_error, listed.content
            meeting_ids = listed.structured_content["result"]
            plan = [("zoom_get_user", {"jq": ".email"}),
                    ("zoom_list_meetings", {"page_size": 20, "jq": ".meetings | length"}),
                    ("zoom_get_meeting", {"meeting_id": meeting_ids[0], "jq": ".topic"}),
                    ("zoom_token_status", {})]

            sampler = Sampler(pid)
            sampler.start()
            watcher.start()
            injector = Injector(sim, monitor, env_file, config, rng)
            injector_thread = threading.Thread(target=injector.run, daemon=True)
            injector_thread.start()
            started = time.monotonic()
            deadline = started + seconds
            # The soak runs for its time AND until it has done enough to judge: a loaded machine
            # gets there later rather than failing a quota. This bound only stops a hang.
            give_up = deadline + 4 * seconds + 120
            warm_until = started + max(3.0, min(30.0, seconds * 0.15))
            baseline: dict = {}

            def enough() -> bool:
                """The quotas the assertions below rely on: calls, refreshes good and failed, file
                reads, and (in a soak of a minute or more) a failed refresh under every fault mode."""
                failed = {s.mode for s in injector.spells if s.failures}
                return (sum(calls.values()) >= seconds * 5
                        and monitor.successes >= max(2, int(seconds / 10)) and monitor.failures >= 1
                        and bool(failed) and watcher.reads > seconds * 10
                        and (seconds < 60 or failed == {m for m, _ in FAULT_MODES}))

            async def loop(n: int) -> None:
                i = n
                while (time.monotonic() < deadline or not enough()) and time.monotonic() < give_up:
                    name, args = plan[i % len(plan)]
                    i += 1
                    t0 = time.perf_counter()
                    result = await client.call_tool(name, args)
                    latencies.append(time.perf_counter() - t0)
                    calls[name] += 1
                    if result.is_error:
                        errors.append(f"{name}: {result.content[0].text}")
                    if not baseline and time.monotonic() >= warm_until:
                        baseline.update(proc_sample(pid))

            try:
                async with anyio.create_task_group() as tg:
                    for n in range(CLIENT_LOOPS):
                        tg.start_soon(loop, n)
                ran = time.monotonic() - started
                reached = enough()
            finally:
                injector.stop_event.set()
                injector_thread.join(15)
                sim.clear_faults()
            end = proc_sample(pid)
            sampler.stop()
            # Quiesce: the next refresh fetches an hour-long token, after which none is due, so the
            # counts below cannot move while the server shuts down. Wait for the refresh that loaded
            # that token (the monitor's status line after it says ✅), not merely for the next one to
            # complete: a refresh whose token request was answered before the TTL changed completes
            # after it with one more 303 s token, and the server would rightly say 'expiring'.
            sim.set_token_ttl(3600)
            assert monitor.wait(
                lambda: monitor.completed_status.startswith(FRESH_STATUS) and not monitor.in_block, 30), \
                f"no refresh to an hour-long token; the last one loaded: {monitor.completed_status!r}"
            final_status = await client.call_tool("zoom_token_status", {})
        watcher.stop()
        watcher.check_once()
        expected_requests = 1 + monitor.successes + monitor.failures
        deadline = time.monotonic() + 10  # a slow answer is logged when the simulator sends it
        while len(sim.requests(route="token")) < expected_requests and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        token_log = sim.requests(route="token")
        good = [r for r in token_log if r["status"] == 200 and r["fault"] is None]
        failed_requests = Counter(r["fault"] or str(r["status"]) for r in token_log if r not in good)
        env_token = dotenv_values(env_file, interpolate=False)["ZOOM_ACCESS_TOKEN"]
        config_token = json.loads(config.read_text())["mcpServers"]["zoom"]["env"]["ZOOM_ACCESS_TOKEN"]
        token_state = sim.token_state(env_token)
        sim_ttl_at_end = sim.token_ttl

    # ---------------------------------------------------------------- the figures
    latencies.sort()
    total = sum(calls.values())
    rss_peak = max(s["rss_kb"] for s in sampler.samples)
    spells = Counter(s.mode for s in injector.spells)
    failed_spells = Counter(s.mode for s in injector.spells if s.failures)
    say(f"📞 tool calls: {total} in {ran:.0f} s ({total / ran:.0f}/s; " +
        ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) + f"), errors {len(errors)}; "
        f"latency median {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms, max {latencies[-1] * 1000:.0f} ms")
    say(f"🔁 refreshes: {monitor.successes} succeeded ({monitor.completes} complete), "
        f"{monitor.failures} failed {dict(monitor.failure_steps)}")
    say(f"🎫 token requests: {len(token_log)} = 1 initial + {len(good) - 1} good refreshes + "
        f"{len(token_log) - len(good)} failed {dict(failed_requests)}")
    say(f"💥 fault spells: {len(injector.spells)} {dict(spells)}, "
        f"with a failed refresh {dict(failed_spells)}, "
        f"raced by a refresh already under way {sum(s.raced for s in injector.spells)}")
    say(f"📄 file watcher: {watcher.reads} reads of .env + config, {len(watcher.problems)} problems, "
        f"{len(watcher.env_tokens)} distinct tokens seen in .env")
    say(f"🧠 server pid {pid}: RSS {baseline.get('rss_kb', 0) / 1024:.1f} → {end['rss_kb'] / 1024:.1f} MiB "
        f"(peak {rss_peak / 1024:.1f}), threads {baseline.get('threads')} → {end['threads']}, "
        f"fds {baseline.get('fds')} → {end['fds']} ({len(sampler.samples)} samples)")

    # ---------------------------------------------------------------- the assertions
    assert errors == [], errors[:10]
    assert reached, f"the soak had not done enough to judge after {ran:.0f} s (a hang?)"
    assert total >= seconds * 5, f"only {total} calls in {ran:.0f} s"
    assert monitor.tracebacks == [], monitor.tracebacks[:5]
    # refreshes happened, and failed ones too
    assert monitor.successes >= max(2, int(seconds / 10)), monitor.successes
    assert monitor.failures >= 1 and sum(s.failures for s in injector.spells) >= 1
    if seconds >= 60:
        assert set(failed_spells) == {m for m, _ in FAULT_MODES}, failed_spells
    assert monitor.still_valid == 0
    assert monitor.completes == monitor.successes
    assert set(monitor.failure_steps) == {"get_zoom_token.sh"}
    # one token request per refresh attempt; one good one per successful refresh
    assert len(good) == 1 + monitor.successes, (len(good), monitor.successes)
    assert len(token_log) == expected_requests, (len(token_log), expected_requests)
    # failed refreshes changed nothing
    assert monitor.changed_by_failure == [], monitor.changed_by_failure
    assert injector.spell_changes == [], injector.spell_changes
    # the files parsed on every read; the last refresh reached both
    assert watcher.problems == [], watcher.problems[:5]
    assert watcher.reads > seconds * 10
    assert 2 <= len(watcher.env_tokens) <= 1 + monitor.successes
    assert sim_ttl_at_end == 3600
    assert env_token == config_token and token_state == "valid"
    assert final_status.structured_content["state"] == "fresh"  # the final hour-long token
    # the server is flat
    assert baseline, "no baseline sample (the soak was too short)"
    rss_allowed = max(RSS_TOLERANCE_KB, baseline["rss_kb"] * RSS_TOLERANCE_RATIO)
    assert end["rss_kb"] - baseline["rss_kb"] <= rss_allowed, (baseline, end)
    assert end["threads"] <= baseline["threads"] + THREAD_TOLERANCE, (baseline, end)
    assert end["fds"] <= baseline["fds"] + FD_TOLERANCE, (baseline, end)


def short_seconds() -> float:
    if os.environ.get("SOAK_SHORT_SECONDS"):
        return float(os.environ["SOAK_SHORT_SECONDS"])
    return 60.0 if os.environ.get("CI", "").lower() in ("1", "true", "yes") else 20.0


@pytest.mark.anyio
@pytest.mark.timeout(300)
async def test_soak_short(tmp_path):
    """The shortened soak that make test runs (20 s; 60 s in CI)."""
    await soak(tmp_path, short_seconds())


@pytest.mark.soak
@pytest.mark.anyio
@pytest.mark.timeout(0)
async def test_soak(tmp_path):
    """The long soak: make soak (SOAK_SECONDS, 600 by default there)."""
    if not os.environ.get("SOAK_SECONDS"):
        pytest.skip("the long soak runs with make soak (set SOAK_SECONDS); test_soak_short runs here")
    await soak(tmp_path, float(os.environ["SOAK_SECONDS"]))
