"""8. The tool catalogue's cost: characters of the `tools/list` result that a client puts into the
model's context at the start of every conversation, in total and per tool, and the `initialize`
instructions (sent once per session).

Characters are counted as `json.dumps` writes each tool with its default separators (the measure of
issue 16, whose "before" figures this file reproduces). "Before" is the catalogue of commit f1ac576,
the state before the lean schemas, kept as its tools/list JSON in bench/catalogue_before.json; the
reference is the seed's origin server, 4,416 characters for its 9 tools (490 a tool).
The ceilings below are also a test (tests/test_server.py), so the catalogue cannot grow back silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from bench.common import SERVER_PIECES, Ctx, Row, Stat, missing, na_row, run_sh_session

GROUP = "catalogue"
CEILING = 1200  # characters, any one tool
AVERAGE_TARGET = 550  # characters per tool, on average
REFERENCE_PER_TOOL = 490  # the seed's origin server: 4,416 characters for 9 tools
BEFORE = Path(__file__).with_name("catalogue_before.json")


def tool_sizes(tools: list[dict]) -> dict[str, dict[str, int]]:
    """Per tool: its whole definition, its description and its input schema, in characters."""
    return {
        t["name"]: {"total": len(json.dumps(t)), "description": len(t.get("description") or ""),
                    "input_schema": len(json.dumps(t.get("inputSchema") or {}))}
        for t in tools
    }


def wire_tools(list_tools_result) -> list[dict]:
    """The tools as the client received them on the wire (camelCase, no nulls)."""
    return list_tools_result.model_dump(mode="json", by_alias=True, exclude_none=True)["tools"]


async def _catalogue(ctx: Ctx) -> tuple[list[dict], str]:
    d = ctx.tmpdir("catalogue")
    env_file = ctx.env_file(d)
    ctx.claude_config(d)
    async with run_sh_session(ctx, env_file, "catalogue-server") as s:
        return wire_tools(await s.client.list_tools()), s.client.instructions or ""


def measure(ctx: Ctx) -> list[Row]:
    name = "tools/list: characters per tool (mean)"
    gone = ctx.why_no_sim if ctx.sim is None else None
    if gone is None and missing(*SERVER_PIECES):
        gone = f"missing: {missing(*SERVER_PIECES)}"
    if gone:
        return [na_row(GROUP, "mean", name, gone, unit="chars")]
    tools, instructions = anyio.run(_catalogue, ctx)
    now = tool_sizes(tools)
    before = tool_sizes(json.loads(BEFORE.read_text())["tools"])
    mean_now = sum(s["total"] for s in now.values()) / len(now)
    mean_before = sum(s["total"] for s in before.values()) / len(before)
    worst = max(now, key=lambda n: now[n]["total"])
    total = len(json.dumps({"tools": tools}))
    rows = [
        Row(GROUP, "mean", name, unit="chars", value=Stat.count(round(mean_now)),
            baseline_name=f"before (f1ac576, {len(before)} tools)", baseline=Stat.count(round(mean_before)),
            target=f"≤ {AVERAGE_TARGET} (seed origin: {REFERENCE_PER_TOOL})", met=mean_now <= AVERAGE_TARGET,
            note=f"{len(now)} tools; whole result {total} chars (before "
                 f"{len(json.dumps({'tools': json.loads(BEFORE.read_text())['tools']}))})",
            extra={"now": now, "before": before}),
        Row(GROUP, "max", f"tools/list: largest tool ({worst})", unit="chars",
            value=Stat.count(now[worst]["total"]), baseline_name="before: largest",
            baseline=Stat.count(max(s["total"] for s in before.values())), target=f"≤ {CEILING}",
            met=now[worst]["total"] <= CEILING),
        Row(GROUP, "instructions", "initialize: instructions (once per session)", unit="chars",
            value=Stat.count(len(instructions)), note="carries what every tool shares: ids, dates, paging, "
            "jq, recurrence and settings fields"),
    ]
    for tool, s in now.items():
        b = before.get(tool)
        rows.append(Row(GROUP, f"tool:{tool}", f"  {tool}", unit="chars", value=Stat.count(s["total"]),
                        baseline_name="before" if b else "new tool",
                        baseline=Stat.count(b["total"]) if b else None,
                        target=f"≤ {CEILING}", met=s["total"] <= CEILING,
                        note=f"description {s['description']}, input schema {s['input_schema']}"
                             + (f" (before {b['description']}, {b['input_schema']})" if b else "")))
    return rows


MEASUREMENTS = [("catalogue", "tool catalogue size", measure)]
