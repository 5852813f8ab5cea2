"""The default date range on pinned days (issue 11): a range the model leaves out is the last 30
days, which fits in one of Zoom's month windows when it starts in a 31-day month and needs two
otherwise (on 1 December: 1 November to 1 December). Both paths run every day here, on a simulator
and a server whose clocks are pinned to those days; no other test leaves the range to the server's
real today.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timezone

import pytest
from mcp import Client
from test_parallel_results import Tokens  # one token from the simulator, never refreshed

import jq_sandbox
import zoom_mcp
from zoom_client import ZoomClient
from zoomsim import ZoomSimulator


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def pool():
    p = jq_sandbox.JqPool()
    yield p
    p.close()


def noon(day: str) -> float:
    return calendar.timegm(datetime.strptime(f"{day} 12:00", "%Y-%m-%d %H:%M").timetuple())


async def default_range_call(pool, day: str, tool: str, args: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Call `tool` without from/to on a server and simulator pinned to noon UTC of `day`; return its
    answer and the (from, to) of each recordings request it made, oldest first."""
    now = noon(day)
    with ZoomSimulator(host="127.0.0.1", port=0, clock=lambda: now) as sim:
        sim.seed_recordings("me", 12, days=40)
        client = ZoomClient(sim.api_url, Tokens(sim), rate_plan="none")
        try:
            server = zoom_mcp.create_server(client, Tokens(sim), jq_pool=pool, clock=lambda: now)
            async with Client(server) as c:
                result = await c.call_tool(tool, args)
        finally:
            client.close()
        assert not result.is_error, result.content[0].text
        windows = sorted((r["query"]["from"], r["query"]["to"]) for r in sim.requests(route="api")
                         if r["path"].endswith("/recordings"))
    return result.structured_content, windows


@pytest.mark.anyio
@pytest.mark.parametrize(("day", "windows"), [
    ("2026-03-31", [("2026-03-01", "2026-03-31")]),  # 1 March + one month reaches 31 March: one window
    ("2026-08-15", [("2026-07-16", "2026-08-15")]),  # from a 31-day month: one window
    ("2026-07-15", [("2026-06-15", "2026-07-14"), ("2026-07-15", "2026-07-15")]),  # from a 30-day one: two
    ("2026-12-01", [("2026-11-01", "2026-11-30"), ("2026-12-01", "2026-12-01")]),  # two windows
    ("2026-03-02", [("2026-01-31", "2026-02-27"), ("2026-02-28", "2026-03-02")]),
])
async def test_recordings_default_to_the_last_30_days_on_either_path(pool, day, windows):
    answer, asked = await default_range_call(pool, day, "zoom_list_recordings", {"page_size": 300})
    assert asked == windows
    if len(windows) == 1:  # Zoom's own answer, passed through
        assert (answer["from"], answer["to"]) == windows[0] and "returned" not in answer
    else:  # the months merged, newest first
        assert (answer["from"], answer["to"]) == (windows[0][0], windows[-1][1])
        assert answer["returned"] == len(answer["meetings"]) and answer["next_page_token"] == ""
    starts = [m["start_time"] for m in answer["meetings"]]
    assert starts and starts == sorted(starts, reverse=True)
    first = datetime.fromisoformat(windows[0][0]).replace(tzinfo=timezone.utc).timestamp()
    assert all(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() >= first for s in starts)


@pytest.mark.anyio
@pytest.mark.parametrize(("day", "months"), [("2026-03-31", 1), ("2026-12-01", 2)])
async def test_transcript_search_defaults_to_the_last_30_days_too(pool, day, months):
    answer, asked = await default_range_call(pool, day, "zoom_search_transcripts", {"query": "budget"})
    assert len(asked) == months
    assert (answer["from"], answer["to"]) == (asked[0][0], day)
