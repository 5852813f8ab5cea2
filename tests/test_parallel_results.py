"""The parallel paths give today's answers (issue 13): zoom_list_recordings, whose month windows
now go out at once, returns what the walk one month at a time returned before (kept below as the
reference, `walk_month_by_month`): the same meetings, in the same order, with the same cursors,
page after page. In process (the official client over memory streams) against the simulator over
loopback HTTP, with many recordings seeded across a year.
"""

from __future__ import annotations

import pytest
from mcp import Client

import jq_sandbox
import zoom_mcp
from arguments import DATE, date_range, month_windows
from zoom_client import DEFAULT_MAX_CONCURRENCY, ZoomClient, path
from zoomsim import ZoomSimulator

OP = "GET /users/{userId}/recordings"


def walk_month_by_month(client, args: dict, today) -> dict:
    """zoom_list_recordings' multi-month answer as the code before issue 13 computed it (f1ac576)."""
    page_size, max_items = args.get("page_size", 30), args.get("max_items")
    next_page_token = args.get("next_page_token")
    since, until = date_range(args.get("from"), args.get("to"), today=today)
    windows = month_windows(since, until)
    api_path = path("users", "me", "recordings")
    if len(windows) == 1:
        raise AssertionError("the reference covers the multi-month path only")
    start, _, token = (next_page_token or "").partition(":")
    if start and not DATE.fullmatch(start):
        start, token = "", next_page_token or ""
    todo = [w for w in reversed(windows) if not start or w[0].isoformat() <= start]
    want = max_items or page_size
    meetings: list = []
    cursor = ""
    for i, (a, b) in enumerate(todo):
        if i == 12:
            cursor = f"{a.isoformat()}:"
            break
        params = {"from": a.isoformat(), "to": b.isoformat()}
        pages = client.pages(api_path, params, "meetings", page_size=page_size, next_page_token=token,
                             max_items=want - len(meetings), op=OP)
        token = ""
        for data, _text in pages:
            meetings.extend(data.get("meetings") or ())
            token = data.get("next_page_token") or ""
        if len(meetings) >= want:
            if token:
                cursor = f"{a.isoformat()}:{token}"
            elif i + 1 < len(todo):
                cursor = f"{todo[i + 1][0].isoformat()}:"
            break
    return {"from": since.isoformat(), "to": until.isoformat(), "returned": len(meetings),
            "meetings": meetings, "next_page_token": cursor}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


class Tokens:
    def __init__(self, sim):
        self.token = sim.issue_token()[0]

    def get_token(self):
        return self.token

    def handle_unauthorized(self, bad_token):
        return None

    def status(self):
        return {}


@pytest.fixture(scope="module")
def sim():
    with ZoomSimulator(host="127.0.0.1", port=0) as simulator:
        simulator.seed_recordings("me", 90, days=400)
        yield simulator


@pytest.fixture(scope="module")
def pool():
    p = jq_sandbox.JqPool()
    yield p
    p.close()


async def every_page(answer, args: dict) -> list[dict]:
    """Each page of the answer to `args`, following its cursor to the end."""
    pages, cursor = [], None
    for _ in range(60):
        page = await answer({**args, **({"next_page_token": cursor} if cursor else {})})
        pages.append(page)
        cursor = page["next_page_token"]
        if not cursor:
            return pages
    raise AssertionError("the cursor never ran out")


async def both_ways(sim, pool, args: dict) -> tuple[list, list]:
    """Every page through the tool (windows at once), and by the reference walk (one at a time)."""
    from datetime import date

    client = ZoomClient(sim.api_url, Tokens(sim), rate_plan="none", max_concurrency=DEFAULT_MAX_CONCURRENCY)
    reference = ZoomClient(sim.api_url, Tokens(sim), rate_plan="none", max_concurrency=1)
    try:
        async with Client(zoom_mcp.create_server(client, Tokens(sim), jq_pool=pool, clock=sim.clock)) as c:
            async def through_the_tool(call):
                result = await c.call_tool("zoom_list_recordings", call)
                assert not result.is_error, result.content[0].text
                return result.structured_content

            async def walked(call):
                return walk_month_by_month(reference, call, date.fromtimestamp(sim.clock()))

            return await every_page(through_the_tool, args), await every_page(walked, args)
    finally:
        client.close()
        reference.close()


@pytest.mark.anyio
@pytest.mark.parametrize("args", [
    {"from": "DAYS:400"},  # 14 month windows: two calls
    {"from": "DAYS:400", "page_size": 7},  # cursors inside a month, and across months
    {"from": "DAYS:200", "page_size": 300},
    {"from": "DAYS:400", "max_items": 25, "page_size": 10},  # several pages of one month
    {"from": "DAYS:120", "page_size": 1},
])
async def test_recordings_at_once_equal_the_walk_one_month_at_a_time(sim, pool, args):
    import time

    days = int(args["from"].split(":")[1])
    args = {**args, "from": time.strftime("%Y-%m-%d", time.gmtime(sim.clock() - days * 86400))}
    at_once, walked = await both_ways(sim, pool, args)
    assert at_once == walked  # same meetings, same order, same cursors, page after page
    assert sum(len(p["meetings"]) for p in walked) >= 10
