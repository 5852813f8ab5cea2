"""3. Token economy (counts from the simulator's /_sim/stats, before/after deltas).

- Steady state: 1,000 `zoom_get_meeting` calls over one stdio session with a valid token: token requests
  (target 0) and Zoom API requests (expected: exactly one per call).
- Forced refresh: revoke every token in the simulator (`POST /_sim/revoke`), then fire 8 concurrent
  `zoom_get_meeting` calls over the same session: each gets a 401 code 124, the client's single-flight
  `handle_unauthorized` must fetch one new token for all 8 (target 1), and all 8 calls must succeed.
  Repeated a few times; the figure is per refresh. Its wall time is shown beside 8 concurrent calls
  without a revoke.
"""

from __future__ import annotations

import time

import anyio

from bench.common import (
    SERVER_PIECES,
    Ctx,
    Row,
    Stat,
    iterations,
    missing,
    ms_since,
    na_row,
    run_sh_session,
)
from bench.overhead import first_meeting_id, read_token

GROUP = "tokens"
CONCURRENT = 8


async def _burst(client, meeting_id: int) -> list:
    results: list = [None] * CONCURRENT

    async def one(i: int) -> None:
        results[i] = await client.call_tool("zoom_get_meeting", {"meeting_id": meeting_id})

    async with anyio.create_task_group() as tg:
        for i in range(CONCURRENT):
            tg.start_soon(one, i)
    return results


def _errors(results) -> list[str]:
    return [" ".join(getattr(c, "text", "") for c in r.content)[:200] for r in results if r.is_error]


async def _measure(ctx: Ctx) -> list[Row]:
    calls = iterations(1000, 20)
    refreshes = iterations(5, 1)
    steady_name = f"token requests over {calls} tool calls (steady state)"
    refresh_name = f"token requests per forced refresh, {CONCURRENT} concurrent calls"
    gone = ctx.why_no_sim if ctx.sim is None else None
    if gone is None and missing(*SERVER_PIECES):
        gone = f"missing: {missing(*SERVER_PIECES)}"
    if gone:
        return [na_row(GROUP, "steady", steady_name, gone, unit="count", target="0"),
                na_row(GROUP, "refresh", refresh_name, gone, unit="count", target="1")]
    import requests

    sim = ctx.sim
    d = ctx.tmpdir("tokens")
    env_file = ctx.env_file(d)
    ctx.claude_config(d)
    with requests.Session() as http:
        meeting_id = first_meeting_id(http, sim.api_url, read_token(env_file))
    rows = []
    async with run_sh_session(ctx, env_file, "tokens-server") as s:
        c = s.client
        await c.call_tool("zoom_get_meeting", {"meeting_id": meeting_id})  # warm
        before = sim.stats()
        errors = 0
        for _ in range(calls):
            r = await c.call_tool("zoom_get_meeting", {"meeting_id": meeting_id})
            errors += bool(r.is_error)
        after = sim.stats()
        tok = after["token_requests"] - before["token_requests"]
        api = after["api_requests"] - before["api_requests"]
        rows.append(Row(GROUP, "steady", steady_name, unit="count", value=Stat.count(tok),
                        baseline_name="target", baseline=None, target="0", met=tok == 0 and errors == 0,
                        note=f"API requests: {api} for {calls} calls ({api / calls:.2f} per call, "
                             f"expect 1.00); tool errors: {errors}"))

        counts, fails, t_refresh, t_plain = [], [], [], []
        for _ in range(refreshes):
            t0 = time.perf_counter_ns()
            res = await _burst(c, meeting_id)
            t_plain.append(ms_since(t0))
            fails += _errors(res)
            before = sim.stats()["token_requests"]
            sim.revoke()
            t0 = time.perf_counter_ns()
            res = await _burst(c, meeting_id)
            t_refresh.append(ms_since(t0))
            counts.append(sim.stats()["token_requests"] - before)
            fails += _errors(res)
        worst = max(counts)
        rows.append(Row(GROUP, "refresh", refresh_name, unit="count", value=Stat.count(worst),
                        target="1", met=worst == 1 and not fails,
                        note=f"per refresh over {refreshes} revokes: {counts}; failed calls: {len(fails)}"
                             + (f" (first: {fails[0]})" if fails else "")))
        rows.append(Row(GROUP, "refresh_time", f"{CONCURRENT} concurrent calls across a forced refresh",
                        value=Stat.of(t_refresh), baseline_name=f"{CONCURRENT} concurrent calls, valid token",
                        baseline=Stat.of(t_plain),
                        note="wall time of the burst: 401s + one refresh (get_zoom_token.sh, config update) "
                             "+ retries"))
    return rows


def measure(ctx: Ctx) -> list[Row]:
    return anyio.run(_measure, ctx)


MEASUREMENTS = [("steady", "token economy", measure)]
