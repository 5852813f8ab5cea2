"""8. What a tool's jq filter costs per call, before and after the compile moved out of the server.

Before (the code up to issue 10): the server checked a filter by compiling it in its own process,
twice (the filter alone, then inside the sandbox definitions), behind an lru_cache of 64; then a
worker ran it. After: JqPool.check() has a worker compile it and the server remembers what compiled
(the tool wrapper asks pool.known() first, on the event loop); then a worker runs it, as before.
"Before" is reproduced here as those lines were (an lru_cached jq.compile pair in this process) in
front of the same pool's run(), so both sides share one warm worker and differ only in the check.

- warm: the same filter every call (a model repeating its filter): the cost the target is about.
- cold: a new filter every call: the first time a filter is seen (before: two compiles here and one
  in the worker; after: two in the worker, whose compiled program the run then reuses).
- run alone: pool.run() with no check, the floor both share (a round trip to the worker).

In process, no MCP: the filter's own cost without the transport's noise. The input is a ~3 KB result
like zoom_list_meetings'. Variants are measured in interleaved blocks, in a shuffled order each round.
"""

from __future__ import annotations

import functools
import json
import random
import time

import jq_sandbox
from bench.common import Row, Stat, iterations, ms_since

GROUP = "jq"
TARGET_ADDED_MS = 0.2
WARM_FILTER = "[.meetings[] | {id, topic}]"
PAYLOAD = json.dumps({
    "page_size": 30, "total_records": 30, "next_page_token": "",
    "meetings": [{"id": 85746065432 + i, "uuid": f"kY2t7QHvRfm0c0m3W1p{i:03d}==", "topic": f"Weekly sync {i}",
                  "type": 8, "start_time": f"2026-05-{1 + i % 28:02d}T14:00:00Z", "duration": 30,
                  "timezone": "Europe/Berlin", "join_url": f"https://us06web.zoom.us/j/{85746065432 + i}"}
                 for i in range(30)],
})


def todays_check():
    """The check as the server ran it before: two compiles in this process, an lru_cache of 64."""
    import jq

    @functools.lru_cache(maxsize=64)
    def check(expr: str) -> None:
        jq.compile(expr)
        jq.compile(jq_sandbox.sandboxed(expr))

    return check


def measure(ctx) -> list[Row]:
    warm_n = iterations(40, 2)  # rounds of blocks
    block = iterations(50, 5)
    cold_n = iterations(300, 5)
    pool = jq_sandbox.JqPool()
    try:
        before_check = todays_check()

        def before(expr: str) -> None:
            before_check(expr)
            pool.run(expr, PAYLOAD)

        def after(expr: str) -> None:
            if not pool.known(expr):  # what zoom_tools.base.check_filter does before any thread hop
                pool.check(expr)
            pool.run(expr, PAYLOAD)

        def run_alone(expr: str) -> None:
            pool.run(expr, PAYLOAD)

        variants = {"before": before, "after": after, "run": run_alone}
        for fn in variants.values():
            for _ in range(iterations(50, 2)):
                fn(WARM_FILTER)  # a warm worker, the filter compiled and remembered
        warm = {k: [] for k in variants}
        order = list(variants)
        rng = random.Random(8)  # noqa: S311 - an order to interleave runs, not a secret
        for _ in range(warm_n):
            rng.shuffle(order)
            for k in order:
                fn, out = variants[k], warm[k]
                for _ in range(block):
                    t0 = time.perf_counter_ns()
                    fn(WARM_FILTER)
                    out.append(ms_since(t0))
        cold = {"before": [], "after": []}
        for i in range(cold_n):  # a filter never seen before, each call (alternating sides)
            for k in (("before", "after") if i % 2 else ("after", "before")):
                expr = f'[.meetings[{i % 30}] | .topic, .id] | "{k}-{i}", length'
                t0 = time.perf_counter_ns()
                variants[k](expr)
                cold[k].append(ms_since(t0))
    finally:
        pool.close()

    w = {k: Stat.of(v) for k, v in warm.items()}
    c = {k: Stat.of(v) for k, v in cold.items()}
    added = w["after"].median - w["before"].median
    return [
        Row(GROUP, "warm", "a filter seen before: check + run in a warm worker", value=w["after"],
            baseline_name="before: in-server lru-cached compile + the same run", baseline=w["before"],
            target=f"≤ before + {TARGET_ADDED_MS} ms", met=added <= TARGET_ADDED_MS,
            note=f"added {added * 1000:+.0f} µs per call; jq is never imported by the server now"),
        Row(GROUP, "cold", "a new filter: compile in a worker + run", value=c["after"],
            baseline_name="before: two compiles in the server + run (the worker compiles again)",
            baseline=c["before"], note="the first call with a filter; a broken one stops here, before Zoom"),
        Row(GROUP, "run", "run alone (the worker round trip both share)", value=w["run"],
            baseline_name="after: check + run", baseline=w["after"],
            note="context: the check's share = after − run"),
    ]


MEASUREMENTS = [("filter", "jq filter cost per call", measure)]
