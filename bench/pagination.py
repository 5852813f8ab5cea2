"""5. Pagination.

`zoom_list_meetings` with `max_items=10000`, `page_size=300` over 10,000 meetings (seeded with
`POST /_sim/seed`) through the MCP client over stdio: the Zoom requests it made (counted from the
simulator's request log; 34 expected) and its wall time, vs the same page loop written with plain
`requests` (keep-alive session, JSON parsed, items collected). Runs alternate. For context: the bare
MCPServer answering the very result the tool returned (bench/bare_server.py `payload`, no HTTP), i.e.
what carrying a 10,000-meeting answer through MCP costs by itself.
"""

from __future__ import annotations

import json
import math
import time

import anyio

from bench.common import (
    SERVER_PIECES,
    Ctx,
    Row,
    Stat,
    bare_session,
    iterations,
    missing,
    ms_since,
    na_row,
    run_sh_session,
    tool_ok,
)
from bench.overhead import read_token

GROUP = "pagination"
ITEMS = 10_000
PAGE_SIZE = 300
USER = "me"


def plain_loop(http, api_url: str, token: str, max_items: int) -> tuple[int, int]:
    """The baseline: follow next_page_token with requests until max_items. (items, requests)"""
    items: list = []
    npt = ""
    reqs = 0
    headers = {"Authorization": f"Bearer {token}"}
    while len(items) < max_items:
        params = {"type": "scheduled", "page_size": PAGE_SIZE}
        if npt:
            params["next_page_token"] = npt
        r = http.get(f"{api_url}/users/{USER}/meetings", params=params, headers=headers, timeout=30)
        r.raise_for_status()
        reqs += 1
        body = r.json()
        items.extend(body.get("meetings", []))
        npt = body.get("next_page_token") or ""
        if not npt:
            break
    return min(len(items), max_items), reqs


def _count_items(result) -> int | None:
    sc = result.structured_content
    if isinstance(sc, dict):
        for key in ("meetings", "items", "result"):
            if isinstance(sc.get(key), list):
                return len(sc[key])
    return None


async def _measure(ctx: Ctx) -> list[Row]:
    runs = iterations(5, 1)
    name = f"zoom_list_meetings max_items={ITEMS} (wall time)"
    req_name = f"Zoom requests for {ITEMS} items at page_size {PAGE_SIZE}"
    expected = math.ceil(ITEMS / PAGE_SIZE)
    if ctx.sim is None:
        return [na_row(GROUP, "wall", name, ctx.why_no_sim, baseline_name="plain requests page loop"),
                na_row(GROUP, "requests", req_name, ctx.why_no_sim, unit="count", target=str(expected))]
    import requests

    sim = ctx.sim
    if not sim.seeded.get(USER):
        sim.seed(USER, ITEMS)
        sim.seeded[USER] = ITEMS
    d = ctx.tmpdir("pagination")
    env_file = ctx.env_file(d)
    ctx.claude_config(d)
    token = read_token(env_file)
    gone = missing(*SERVER_PIECES) and f"missing: {missing(*SERVER_PIECES)}"
    base, fig, tool_reqs, items_seen = [], [], [], []
    args = {"user_id": USER, "type": "scheduled", "page_size": PAGE_SIZE, "max_items": ITEMS}
    with requests.Session() as http:
        got, base_reqs = plain_loop(http, sim.api_url, token, ITEMS)  # warm
        if got != ITEMS:
            raise RuntimeError(f"the simulator holds {got} meetings, fewer than {ITEMS}")
        if gone:
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                plain_loop(http, sim.api_url, token, ITEMS)
                base.append(ms_since(t0))
            return [na_row(GROUP, "wall", name, gone, baseline_name="plain requests page loop",
                           baseline=Stat.of(base)),
                    na_row(GROUP, "requests", req_name, gone, unit="count", target=str(expected),
                           baseline_name="plain requests page loop", baseline=Stat.count(base_reqs))]
        async with run_sh_session(ctx, env_file, "pagination-server") as s:
            tool_ok(await s.client.call_tool("zoom_list_meetings", args), "zoom_list_meetings")  # warm
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                plain_loop(http, sim.api_url, token, ITEMS)
                base.append(ms_since(t0))
                sim.clear_requests()
                t0 = time.perf_counter_ns()
                result = await s.client.call_tool("zoom_list_meetings", args)
                fig.append(ms_since(t0))
                tool_ok(result, "zoom_list_meetings")
                tool_reqs.append(sum(1 for r in sim.requests("api")
                                     if r["path"].startswith(f"/v2/users/{USER}/meetings")))
                items_seen.append(_count_items(result))
        payload_file = d / "meetings.json"
        payload_file.write_text(json.dumps(result.structured_content, ensure_ascii=False,
                                           separators=(",", ":")))
        carry = []
        async with bare_session(ctx, "bare_server.py", "pagination-payload",
                                {"BENCH_PAYLOAD_FILE": str(payload_file)}, ["--extra"]) as b:
            tool_ok(await b.client.call_tool("payload", {}), "payload")
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                tool_ok(await b.client.call_tool("payload", {}), "payload")
                carry.append(ms_since(t0))
    worst = max(tool_reqs)
    return [
        Row(GROUP, "wall", name, value=Stat.of(fig), baseline_name="plain requests page loop",
            baseline=Stat.of(base), note=f"items returned: {items_seen[-1]}"),
        Row(GROUP, "requests", req_name, unit="count", value=Stat.count(worst),
            baseline_name="plain requests page loop", baseline=Stat.count(base_reqs),
            target=str(expected), met=worst == expected, note=f"per run: {tool_reqs}"),
        Row(GROUP, "carry", "bare MCPServer answering the same result, no HTTP (context)",
            value=Stat.of(carry), baseline_name="plain requests page loop", baseline=Stat.of(base),
            note=f"the tool's result is {payload_file.stat().st_size / 1e6:.1f} MB of JSON, sent as text "
                 "and as structured content"),
    ]


def measure(ctx: Ctx) -> list[Row]:
    return anyio.run(_measure, ctx)


MEASUREMENTS = [("wall", "pagination", measure)]
