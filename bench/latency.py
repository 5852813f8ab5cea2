"""Building blocks of the latency group (issue 13): questions a user asks, timed against a far-away Zoom
(the simulator with `--latency 150 --rate-limits pro`), each beside its critical-path limit.

Each question is timed from the tool call to its answer, through the official client over stdio
(./run.sh), at Zoom's plan limits; its baseline is the same question asked of the same code with
ZOOM_MAX_CONCURRENCY=1 (one request at a time: today's behaviour before the fan-outs). The pieces:

- `latency_simulator(ctx)`: a second simulator subprocess with Zoom's latency, the Pro limits and
  recorded meetings seeded (the shared one stays fast for the loopback groups). Stop it when done.
- `server_env(ctx, sim, env_file, sequential=False)`: the server's environment for it: paced at Pro (the
  loopback groups run unpaced); `sequential=True` is the baseline, today's one-call-at-a-time
  behaviour, with the same code and ZOOM_MAX_CONCURRENCY=1.
- `critical_path_ms(steps)`: the physical limit. A question is a chain of dependent steps; each step is
  a fan-out of independent calls in one rate-limit category (a plain call is a fan-out of one). A step
  costs one round trip, plus one window for every further batch of the category's per-window quota
  Zoom makes the step wait for. `paced_path_ms(steps)`: the best this client's pacer can do (its slots
  free one window after each answer, so a further batch also waits for the first batch's round trip).
- `rate_limited(sim)`: the 429s the simulator answered (the target is 0).

Example, "search 'budget' across 40 recorded meetings in 3 months": 3 month windows of recordings
(MEDIUM), then 40 transcript downloads (LIGHT, 30 a second on Pro):
`critical_path_ms([Step("MEDIUM", 3), Step("LIGHT", 40)])` = 150 + (150 + 1000) = 1300 ms.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import anyio

from bench.common import (
    SERVER_PIECES,
    Ctx,
    Row,
    Simulator,
    Stat,
    iterations,
    missing,
    na_row,
    run_sh_session,
    tool_ok,
)
from zoom_rate_limits import PLANS

GROUP = "latency"
LATENCY_MS = 150.0
PLAN = "pro"
RECORDINGS = 40  # recorded meetings seeded over the last 90 days (a third mention "budget")


@dataclass(frozen=True)
class Step:
    """One dependent step of a question: `calls` independent Zoom calls of `category` at once."""

    category: str
    calls: int = 1


def _limit(category: str, plan: str) -> tuple[int, float]:
    per, seconds = PLANS[plan][category]
    return per, float(seconds)


def critical_path_ms(steps: list[Step], rtt_ms: float = LATENCY_MS, plan: str = PLAN) -> float:
    """The fastest any client could answer: dependent round trips, plus the windows Zoom's per-second
    limits force a fan-out larger than one window's quota to wait for."""
    total = 0.0
    for step in steps:
        per, seconds = _limit(step.category, plan)
        total += rtt_ms + (math.ceil(step.calls / per) - 1) * seconds * 1000
    return total


def paced_path_ms(steps: list[Step], rtt_ms: float = LATENCY_MS, plan: str = PLAN) -> float:
    """The best this client's pacer allows: a further batch waits a window after the previous batch's
    answers (pacer.py explains why)."""
    total = 0.0
    for step in steps:
        per, seconds = _limit(step.category, plan)
        total += rtt_ms + (math.ceil(step.calls / per) - 1) * (seconds * 1000 + rtt_ms)
    return total


def latency_simulator(ctx: Ctx, latency_ms: float = LATENCY_MS, jitter_ms: float = 0.0, seed: int = 1,
                      recordings: int = RECORDINGS, plan: str = PLAN) -> Simulator:
    """A simulator subprocess like a far-away Zoom on `plan`, with `recordings` recorded meetings."""
    args = ["--latency", f"{latency_ms:g}", "--latency-jitter", f"{jitter_ms:g}", "--seed", str(seed),
            "--rate-limits", plan, "--seed-recordings", str(recordings)]
    return Simulator(Path(ctx.workdir), args, name="zoomsim-latency")


def pacing(sequential: bool = False) -> dict[str, str]:
    """The server's settings against a far-away Zoom: paced at the plan; `sequential`: one call at a time."""
    return {"ZOOM_RATE_PLAN": PLAN, **({"ZOOM_MAX_CONCURRENCY": "1"} if sequential else {})}


def server_env(ctx: Ctx, sim: Simulator, env_file: Path, sequential: bool = False) -> dict[str, str]:
    """The server's environment against `sim` (see pacing)."""
    return ctx.server_env(env_file, sim, **pacing(sequential))


def rate_limited(sim: Simulator) -> int:
    return int(sim.stats()["rate_limited"])


# -- the questions --------------------------------------------------------------------------------

MEETINGS = 1000  # scheduled meetings seeded for the max_items question


@dataclass(frozen=True)
class Question:
    key: str
    name: str
    tool: str
    args: dict
    steps: list[Step]  # the dependent round trips, for the critical-path limit
    settings: tuple[tuple[str, str], ...] = ()  # the server's, for this question


def questions(today: date) -> list[Question]:
    year_ago = today.replace(year=today.year - 1) + timedelta(days=1)  # 12 month windows exactly
    quarter = today - timedelta(days=89)  # 3 month windows (the seeded 40 recordings lie within 90 days)
    return [
        Question("year", "recordings of the last 12 months", "zoom_list_recordings",
                 {"from": year_ago.isoformat(), "page_size": 300}, [Step("MEDIUM", 12)]),
        Question("transcript", "the transcript of a given meeting (recordings → VTT)",
                 "zoom_get_meeting_transcript", {}, [Step("LIGHT"), Step("LIGHT")]),
        Question("search", f"search 'budget' across {RECORDINGS} recorded meetings in 3 months",
                 "zoom_search_transcripts", {"query": "budget", "from": quarter.isoformat(),
                                             "max_meetings": RECORDINGS},
                 [Step("MEDIUM", 3), Step("LIGHT", RECORDINGS)],
                 settings=(("ZOOM_TRANSCRIPT_CACHE_MB", "0"),)),  # every run downloads them all again
        Question("search_again", "the same search again (transcripts cached by the first)",
                 "zoom_search_transcripts", {"query": "budget", "from": quarter.isoformat(),
                                             "max_meetings": RECORDINGS},
                 [Step("MEDIUM", 3)]),
        Question("pages", f"{MEETINGS} meetings through max_items (pages one after another)",
                 "zoom_list_meetings", {"max_items": MEETINGS, "page_size": 300, "jq": ".meetings | length"},
                 [Step("MEDIUM")] * math.ceil(MEETINGS / 300)),
        Question("attendance", "attendance of the last 10 meetings", "zoom_recent_attendance", {"last": 10},
                 [Step("MEDIUM"), Step("MEDIUM", 10)]),
    ]


async def _time_question(ctx: Ctx, sim: Simulator, env_file: Path, q: Question, args: dict,
                         sequential: bool, runs: int) -> list[float]:
    times: list[float] = []
    async with run_sh_session(ctx, env_file, f"latency-{q.key}", sim, **pacing(sequential),
                              **dict(q.settings)) as s:
        for run in range(runs + 1):  # run 0 warms the connections up, as any earlier question would
            _quiet_window()
            t0 = time.perf_counter()
            result = await s.client.call_tool(q.tool, args)
            if run:
                times.append((time.perf_counter() - t0) * 1000)
            tool_ok(result, q.tool)
    return times


def _quiet_window() -> None:
    # Zoom's per-second windows must not carry the previous run's requests into this one: a run
    # that starts inside them would wait on the pacer (or meet a 429) for a reason of the bench's own.
    time.sleep(1.1)


def measure(ctx: Ctx) -> list[Row]:
    gone = missing(*SERVER_PIECES)
    if gone:
        return [na_row(GROUP, q.key, q.name, f"missing: {gone}") for q in questions(date.today())]
    sim = latency_simulator(ctx)
    try:
        return anyio.run(_measure, ctx, sim)
    finally:
        sim.stop()


async def _measure(ctx: Ctx, sim: Simulator) -> list[Row]:
    sim.seed("me", MEETINGS)
    d = ctx.tmpdir("latency")
    env_file = ctx.env_file(d, sim=sim)
    ctx.claude_config(d)
    today = date.today()
    runs = iterations(5, 1)
    recorded = _a_recorded_meeting(sim)
    rows = []
    for q in questions(today):
        args = dict(q.args) or {"meeting_id": recorded}
        before = rate_limited(sim)
        at_once = await _time_question(ctx, sim, env_file, q, args, False, runs)
        seq = await _time_question(ctx, sim, env_file, q, args, True, runs)
        limit = critical_path_ms(q.steps)
        value = Stat.of(at_once)
        ratio = value.median / limit
        too_many = rate_limited(sim) - before
        rows.append(Row(
            GROUP, q.key, q.name, value=value, baseline_name="same question, one request at a time (today)",
            baseline=Stat.of(seq), target=f"≤ 1.3 × limit {limit:.0f} ms; 0 429s",
            met=ratio <= 1.3 and too_many == 0,
            note=f"critical-path limit {limit:.0f} ms ({_steps(q.steps)}); time / limit = {ratio:.2f}; "
                 f"429s: {too_many}; n={len(at_once)}",
            extra={"limit_ms": limit, "ratio_to_limit": round(ratio, 3), "rate_limited": too_many}))
    return rows


def _steps(steps: list[Step]) -> str:
    return " → ".join(f"{s.calls}×{s.category.lower()}" if s.calls > 1 else s.category.lower() for s in steps)


def _a_recorded_meeting(sim: Simulator) -> str:
    token, _ = sim.fetch_token()
    import requests

    with requests.Session() as http:
        since = (date.today() - timedelta(days=29)).isoformat()
        r = http.get(f"{sim.api_url}/users/me/recordings", params={"from": since, "page_size": 1},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
        return r.json()["meetings"][0]["uuid"]


MEASUREMENTS = [("latency", "questions at Zoom's latency", measure)]
