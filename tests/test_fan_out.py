"""zoom_search_transcripts and zoom_recent_attendance (issue 13): the real server (./run.sh) through
the official MCP client over stdio, against the simulator with 30 recorded meetings seeded over the
last 60 days (a third of them talk about the budget: zoomsim.transcripts.TOPICS).
"""

from __future__ import annotations

import re
import time
from contextlib import AsyncExitStack

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from test_server import RUN_SH, server_env, write_env

from zoomsim import ZoomSimulator

SEEDED = 30


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


class Served:
    def __init__(self, sim, client, stderr):
        self.sim, self.client, self.stderr = sim, client, stderr

    async def call(self, name, args=None, **kw):
        result = await self.client.call_tool(name, args or {}, **kw)
        assert not result.is_error, result.content[0].text
        return result.structured_content

    def since(self, days: int) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.sim.clock() - days * 86400))


async def serve(tmp, **extra):
    """A server over the official client, in an exit stack the caller closes."""
    stack = AsyncExitStack()
    sim = stack.enter_context(ZoomSimulator(host="127.0.0.1", port=0))
    sim.seed_recordings("me", SEEDED, days=60)
    env_file = write_env(tmp / ".env", sim)
    params = StdioServerParameters(command=str(RUN_SH), env=server_env(sim, env_file, tmp, **extra),
                                   cwd=str(tmp))
    stderr = tmp / "stderr.log"
    errlog = stack.enter_context(open(stderr, "w"))  # noqa: SIM115 - closed by the stack
    client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
    return stack, Served(sim, client, stderr)


@pytest.fixture(scope="module")
async def served(tmp_path_factory):
    stack, s = await serve(tmp_path_factory.mktemp("fan_out"))
    async with stack:
        yield s


@pytest.mark.anyio
async def test_search_finds_the_budget_turns_best_first(served):
    listed = await served.call("zoom_list_recordings", {"from": served.since(60), "max_items": 1000})
    recorded = {m["uuid"] for m in listed["meetings"]}
    served.sim.clear_requests()
    found = await served.call("zoom_search_transcripts", {"query": "Budget", "from": served.since(60)})
    assert found["meetings_searched"] == len(recorded) >= SEEDED and found["skipped"] == []
    matches = found["matches"]
    assert matches and all(re.search(r"budget", m["text"], re.I) for m in matches)
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    assert {m["uuid"] for m in matches} <= recorded
    for m in matches:
        assert m["topic"] and m["start_time"] and re.fullmatch(r"\d\d:\d\d:\d\d", m["time"]) and m["speaker"]
    downloads = served.sim.requests(route="download")
    assert len(downloads) == found["meetings_searched"]  # one download a transcript, nothing twice


@pytest.mark.anyio
async def test_a_follow_up_search_reads_the_cached_transcripts(served):
    await served.call("zoom_search_transcripts", {"query": "launch", "from": served.since(60)})
    served.sim.clear_requests()
    again = await served.call("zoom_search_transcripts",
                              {"query": '"launch event"', "from": served.since(60)})
    assert served.sim.requests(route="download") == []  # the list is asked again, the files are not
    assert served.sim.requests(route="api")
    assert again["matches"] and all("launch event" in m["text"].lower() for m in again["matches"])


@pytest.mark.anyio
async def test_search_capped_by_max_meetings_asks_each_month_once(served):
    # All but the oldest recorded meeting of the range: the month that holds the cut answers more
    # than is still needed. A search cuts that page itself: it needs no cursor to resume from (only
    # whether more exist), so no month is asked a second time for an exact page.
    since = served.since(60)
    listed = (await served.call("zoom_list_recordings", {"from": since, "max_items": 1000}))["meetings"]
    served.sim.clear_requests()
    found = await served.call("zoom_search_transcripts",
                              {"query": "budget", "from": since, "max_meetings": len(listed) - 1})
    months = [r["query"]["from"] for r in served.sim.requests(route="api")]
    assert len(months) == len(set(months)) >= 2, months
    assert found["more_meetings_in_range"] is True
    assert found["meetings_searched"] + found["meetings_without_transcript"] == len(listed) - 1
    assert {m["uuid"] for m in found["matches"]} <= {m["uuid"] for m in listed[:-1]}


@pytest.mark.anyio
async def test_search_reports_progress_as_transcripts_arrive(served):
    seen = []

    async def on_progress(done, total, message):
        seen.append((done, total))

    found = await served.client.call_tool(
        "zoom_search_transcripts", {"query": "churn", "from": served.since(30), "max_meetings": 12},
        progress_callback=on_progress)
    n = found.structured_content["meetings_searched"]
    transcript_reports = [d for d, t in seen if t == n]
    assert n > 0 and transcript_reports == list(range(1, n + 1))


@pytest.mark.anyio
async def test_a_transcript_that_fails_is_skipped_and_named(served):
    since = served.since(20)
    served.sim.seed_recordings("me", 1, days=1)  # a transcript no earlier search has cached
    listed = await served.call("zoom_list_recordings", {"from": since, "max_items": 5})
    victim = listed["meetings"][0]
    url = next(f["download_url"] for f in victim["recording_files"] if f["file_type"] == "TRANSCRIPT")
    served.sim.add_fault("GET " + url.split(served.sim.url, 1)[1], "error", status=500)
    try:
        found = await served.call("zoom_search_transcripts", {"query": "review", "from": since,
                                                              "max_meetings": 5})
    finally:
        served.sim.clear_faults()
    assert [m["uuid"] for m in found["skipped"]] == [victim["uuid"]]
    assert "500" in found["skipped"][0]["error"]
    assert found["meetings_searched"] == len(listed["meetings"]) - found["meetings_without_transcript"] - 1
    assert victim["uuid"] not in {m["uuid"] for m in found["matches"]}


@pytest.mark.anyio
@pytest.mark.parametrize(("args", "says"), [
    ({"query": " ?! "}, "Invalid query"),
    ({"query": "x", "from": "2025-01-01", "to": "2026-06-01"}, "longer than 12 months"),
    ({"query": "x", "max_meetings": 101}, "max_meetings"),
])
async def test_search_refuses_what_it_cannot_do(served, args, says):
    served.sim.clear_requests()
    result = await served.client.call_tool("zoom_search_transcripts", args)
    assert result.is_error and says in result.content[0].text
    assert served.sim.requests(route="api") == []


@pytest.mark.anyio
async def test_recent_attendance_is_each_meetings_people_newest_first(served):
    got = await served.call("zoom_recent_attendance", {"last": 4})
    meetings = got["meetings"]
    assert len(meetings) == 4
    starts = [m["start_time"] for m in meetings]
    assert starts == sorted(starts, reverse=True)
    for m in meetings:
        listed = await served.call("zoom_list_past_meeting_participants", {"meeting_id": m["uuid"],
                                                                            "max_items": 300})
        names = {p["name"] for p in listed["participants"]}
        assert {p["name"] for p in m["people"]} == names and names


@pytest.mark.anyio
async def test_attendance_names_a_meeting_without_participant_data_and_goes_on(served):
    # A meeting scheduled to end an hour ago that nobody held: Zoom lists it among the previous
    # meetings but answers 404 for its participants. That meeting says so; the others keep their people.
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(served.sim.clock() - 7200))
    created = await served.call("zoom_create_meeting", {"topic": "Nobody came", "start_time": start,
                                                         "duration": 60})
    try:
        got = await served.call("zoom_recent_attendance", {"last": 3})
    finally:
        await served.call("zoom_delete_meeting", {"meeting_id": created["id"]})
    newest, *others = got["meetings"]
    assert newest["id"] == created["id"] and newest["people"] == [], got
    assert "Not found" in newest["note"]
    assert len(others) == 2 and all(m["people"] and "note" not in m for m in others), got


@pytest.mark.anyio
async def test_a_cancelled_search_starts_no_further_download(tmp_path):
    """Cancellation by ordering, not by time: at 2 requests at a time and 200 ms a round trip, the
    call is cancelled at its first progress report; the server then logs that it stopped, and by
    then far fewer than all the transcripts were asked for."""
    stack, s = await serve(tmp_path, ZOOM_MAX_CONCURRENCY="2", ZOOM_LOG_LEVEL="INFO")
    async with stack:
        s.sim.set_latency(200)
        first = anyio.Event()

        async def on_progress(done, total, message):
            if total:
                first.set()

        async with anyio.create_task_group() as tg:
            async def search():
                await s.client.call_tool("zoom_search_transcripts", {"query": "budget", "from": s.since(60)},
                                         progress_callback=on_progress)
            tg.start_soon(search)
            with anyio.fail_after(60):
                await first.wait()
            tg.cancel_scope.cancel()
        with anyio.fail_after(60):  # the server says when its thread has stopped
            while "zoom_search_transcripts stopped" not in s.stderr.read_text():
                await anyio.sleep(0.05)
        s.sim.set_latency(0)
        assert 0 < len(s.sim.requests(route="download")) < SEEDED // 2
