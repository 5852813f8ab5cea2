"""The real server (./run.sh) driven by the official MCP client over stdio, against the simulator.

One server and one client session are shared by the module (start-up costs ~0.6 s); tests that
need a fault clear it and count requests through the simulator's log, so their order does not
matter. stdout is tee'd to a file so that the last test can check it was JSON-RPC only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "run.sh"

TOOLS = {
    "zoom_token_status", "zoom_get_user", "zoom_list_users", "zoom_list_meetings", "zoom_get_meeting",
    "zoom_create_meeting", "zoom_update_meeting", "zoom_delete_meeting",
    "zoom_list_past_meeting_participants", "zoom_list_recordings", "zoom_get_meeting_recordings",
    "zoom_get_meeting_transcript", "zoom_get_meeting_summary", "zoom_list_webinars", "zoom_get_webinar",
    "zoom_report_meetings", "zoom_search_transcripts", "zoom_recent_attendance",
}
WRITE_TOOLS = {"zoom_create_meeting", "zoom_update_meeting", "zoom_delete_meeting"}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


def write_env(path: Path, sim: ZoomSimulator, with_token: bool = True) -> Path:
    token, ttl = sim.issue_token() if with_token else ("", 0)
    expires = int(time.time()) + ttl if with_token else ""
    text = (
        f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
        f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_ACCESS_TOKEN={token}\n"
        f"ZOOM_TOKEN_EXPIRES_AT={expires}\nZOOM_OAUTH_URL={sim.oauth_url}\nZOOM_API_BASE_URL={sim.api_url}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def env_token(env_file: Path) -> str:
    for line in env_file.read_text().splitlines():
        if line.startswith("ZOOM_ACCESS_TOKEN="):
            return line.split("=", 1)[1]
    return ""


def server_env(sim: ZoomSimulator, env_file: Path, tmp: Path, **extra: str) -> dict[str, str]:
    """The child inherits only HOME, PATH and a few others: pass the ZOOM_* settings explicitly."""
    return {
        "ZOOM_ENV_FILE": str(env_file),
        "ZOOM_API_BASE_URL": sim.api_url,
        "ZOOM_OAUTH_URL": sim.oauth_url,
        "CLAUDE_CONFIG_FILE": str(tmp / "claude_desktop_config.json"),
        "ZOOM_RESTART_CLAUDE": "0",
        "ZOOM_TOKEN_DISPLAY_INTERVAL": "0",
        "ZOOM_LOG_LEVEL": "DEBUG",  # the most output there is, for the secrets check
        **extra,
    }


class Server:
    """The shared session: simulator, client, and where the child's stdout/stderr copies go."""

    def __init__(self, sim, client, env_file, stdout_log, stderr_log):
        self.sim, self.client, self.env_file = sim, client, env_file
        self.stdout_log, self.stderr_log = stdout_log, stderr_log

    async def call(self, name: str, args: dict | None = None, **kw):
        return await self.client.call_tool(name, args or {}, **kw)

    def api_requests(self) -> list[dict]:
        return self.sim.requests(route="api")


@pytest.fixture(scope="module")
async def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp / ".env", sim)
        sim.seed_meetings("me", 1000)
        stdout_log, stderr_log = tmp / "stdout.jsonl", tmp / "stderr.log"
        # tee keeps a copy of every byte the server writes to stdout.
        params = StdioServerParameters(
            command="bash",
            args=["-c", 'set -o pipefail; "$0" | tee "$1"', str(RUN_SH), str(stdout_log)],
            env=server_env(sim, env_file, tmp, ZOOM_JQ_TIMEOUT="2"),
            cwd=str(tmp),  # run.sh must work from any directory
        )
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(open(stderr_log, "w"))  # noqa: SIM115 - closed by the stack
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            srv = Server(sim, client, env_file, stdout_log, stderr_log)
            srv.first_token = env_token(env_file)
            yield srv


def recent() -> dict[str, str]:
    """The last 25 days, named: the simulator's seeded meetings lie within them. A range left to the
    server's default (the last 30 days) would take the one-month or the multi-month path by
    today's date; tests/test_date_ranges.py runs both on pinned days."""
    now = time.time()
    return {"from": time.strftime("%Y-%m-%d", time.gmtime(now - 25 * 86400)),
            "to": time.strftime("%Y-%m-%d", time.gmtime(now))}


def text_of(result) -> str:
    return result.content[0].text


def jq_example(tool) -> str:
    return re.fullmatch(r"e\.g\. (.+)", tool.input_schema["properties"]["jq"]["description"]).group(1)


# The spec's defaults for hints a tool leaves out (the server sends only what differs).
HINT_DEFAULTS = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": False,
                 "open_world_hint": True}


def hints(tool) -> dict:
    given = tool.annotations.model_dump(exclude_none=True) if tool.annotations else {}
    return {k: given.get(k, default) for k, default in HINT_DEFAULTS.items()}


# -- tools ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_list_tools_shows_every_tool_with_honest_annotations(server):
    tools = {t.name: t for t in (await server.client.list_tools()).tools}
    assert set(tools) == TOOLS
    for name, tool in tools.items():
        h = hints(tool)
        assert tool.description and len(tool.description) > 40, name
        if name in WRITE_TOOLS:
            assert h["read_only_hint"] is False, name
        else:
            assert h["read_only_hint"] is True, name
            assert "jq" in tool.input_schema["properties"], name
        assert h["open_world_hint"] is (name != "zoom_token_status"), name
    assert hints(tools["zoom_delete_meeting"])["destructive_hint"] is True
    assert hints(tools["zoom_delete_meeting"])["idempotent_hint"] is True
    assert hints(tools["zoom_update_meeting"])["destructive_hint"] is True
    assert hints(tools["zoom_create_meeting"])["destructive_hint"] is False
    assert hints(tools["zoom_create_meeting"])["idempotent_hint"] is False
    assert {"from", "to"} <= set(tools["zoom_list_recordings"].input_schema["properties"])

    # Each jq parameter's example fits its own tool's result.
    examples = {name: jq_example(tool) for name, tool in tools.items() if name not in WRITE_TOOLS}
    assert len(set(examples.values())) >= len(examples) - 4  # not one example pasted everywhere
    assert ".meetings" not in examples["zoom_get_user"] + examples["zoom_token_status"]


@pytest.mark.anyio
async def test_input_schemas_are_lean_and_still_typed(server):
    """What the model sees (issue 16): no generated titles, no null branches or null defaults, an
    optional argument simply not required; every argument still typed, enums kept."""
    tools = {t.name: t for t in (await server.client.list_tools()).tools}
    for name, tool in tools.items():
        schema = tool.input_schema
        text = json.dumps(schema)
        for generated in ('"title"', '{"type": "null"}', '"default": null'):
            assert generated not in text, (name, generated)
        assert tool.output_schema is None, name  # "any object" told the model nothing
        for arg, prop in schema["properties"].items():
            assert "type" in prop or "anyOf" in prop, (name, arg)
    assert tools["zoom_get_meeting"].input_schema["required"] == ["meeting_id"]
    assert "required" not in tools["zoom_list_meetings"].input_schema
    assert tools["zoom_create_meeting"].input_schema["required"] == ["topic"]
    assert tools["zoom_report_meetings"].input_schema["required"] == ["from", "to"]
    listing_type = tools["zoom_list_meetings"].input_schema["properties"]["type"]
    assert listing_type["enum"][0] == "scheduled" and listing_type["default"] == "scheduled"
    assert tools["zoom_get_meeting_transcript"].input_schema["properties"]["meeting_id"]["type"] == [
        "integer", "string"]  # a UUID is a string


@pytest.mark.anyio
async def test_catalogue_stays_within_its_budget(server):
    """Every tool's definition costs context in every conversation (issue 16): each stays under the
    ceiling, and the mean under the target, measured as bench/catalogue.py measures it."""
    from bench.catalogue import AVERAGE_TARGET, CEILING, tool_sizes, wire_tools

    sizes = tool_sizes(wire_tools(await server.client.list_tools()))
    assert set(sizes) == TOOLS
    over = {name: s["total"] for name, s in sizes.items() if s["total"] > CEILING}
    assert not over, f"over the {CEILING}-character ceiling: {over}"
    mean = sum(s["total"] for s in sizes.values()) / len(sizes)
    assert mean <= AVERAGE_TARGET, f"mean {mean:.0f} characters per tool"
    # What the schemas no longer say, the instructions say once.
    instructions = server.client.instructions
    for shared in ("user_id", "meeting_id", "next_page_token", "jq", "recurrence", "settings"):
        assert shared in instructions, shared


@pytest.mark.anyio
async def test_meeting_round_trip_create_get_update_list_delete(server):
    created = await server.call("zoom_create_meeting", {
        "topic": "Round trip", "start_time": "2030-01-02T15:00:00Z", "duration": 45,
        "timezone": "Europe/Berlin", "agenda": "Check the tools", "password": "abc123",
        "settings": {"waiting_room": True, "mute_upon_entry": True},
    })
    assert not created.is_error, text_of(created)
    meeting = created.structured_content
    mid = meeting["id"]
    assert meeting["topic"] == "Round trip" and meeting["duration"] == 45
    assert json.loads(text_of(created))["id"] == mid  # the text block carries the same JSON

    got = await server.call("zoom_get_meeting", {"meeting_id": str(mid)})
    assert not got.is_error and got.structured_content["agenda"] == "Check the tools"

    updated = await server.call(
        "zoom_update_meeting", {"meeting_id": mid, "topic": "Renamed", "duration": 30}
    )
    assert not updated.is_error, text_of(updated)
    assert updated.structured_content["updated"] == ["duration", "topic"]

    listed = await server.call(
        "zoom_list_meetings", {"max_items": 5000, "page_size": 300, "jq": "[.meetings[] | {id, topic}]"}
    )
    assert {"id": mid, "topic": "Renamed"} in listed.structured_content["result"]

    deleted = await server.call("zoom_delete_meeting", {"meeting_id": mid})
    assert not deleted.is_error and deleted.structured_content["deleted"] is True

    gone = await server.call("zoom_get_meeting", {"meeting_id": mid})
    assert gone.is_error
    assert "3001" in text_of(gone) and str(mid) in text_of(gone)


@pytest.mark.anyio
async def test_pagination_follows_pages_up_to_max_items_with_progress(server):
    server.sim.clear_requests()
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done, total, message):
        progress.append((done, total))

    result = await server.call(
        "zoom_list_meetings",
        {"page_size": 300, "max_items": 1000, "jq": "{n: (.meetings | length), next_page_token}"},
        progress_callback=on_progress,
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["n"] == 1000
    assert result.structured_content["next_page_token"]  # more meetings remain
    sizes = [r["query"].get("page_size") for r in server.api_requests()]
    assert sizes == ["300", "300", "300", "100"]  # exactly ceil(1000/300) requests, none wasted
    assert progress == [(300, 1000), (600, 1000), (900, 1000), (1000, 1000)]

    # One page by hand, then the next with the returned token.
    first = await server.call("zoom_list_meetings", {"page_size": 5})
    token = first.structured_content["next_page_token"]
    second = await server.call("zoom_list_meetings", {"page_size": 5, "next_page_token": token})
    ids1 = {m["id"] for m in first.structured_content["meetings"]}
    ids2 = {m["id"] for m in second.structured_content["meetings"]}
    assert len(ids1) == len(ids2) == 5 and not ids1 & ids2


@pytest.mark.anyio
async def test_jq_filter_returns_only_what_it_selects(server):
    result = await server.call("zoom_list_users", {"jq": "[.users[] | .email]"})
    emails = result.structured_content["result"]
    assert emails and all("@" in e for e in emails)
    assert json.loads(text_of(result)) == {"result": emails}
    me = await server.call("zoom_get_user", {"jq": "{email, type}"})
    assert set(me.structured_content) == {"email", "type"}


@pytest.mark.anyio
async def test_every_jq_example_works_on_its_own_tools_result(server):
    tools = {t.name: t for t in (await server.client.list_tools()).tools}
    recs = await server.call("zoom_list_recordings", {**recent(), "jq": "[.meetings[] | {id, uuid}]"})
    rec = next(r for r in recs.structured_content["result"] if "/" not in r["uuid"])
    meetings = await server.call("zoom_list_meetings", {"page_size": 1, "jq": ".meetings[0].id"})
    webinars = await server.call("zoom_list_webinars", {"jq": ".webinars[0].id"})
    # An instance the simulator holds an AI Companion summary for (not every recorded one has).
    summarised = next(uuid for uuid, inst in server.sim.account.past.items() if inst["summary"])
    args = {
        "zoom_search_transcripts": {"query": "release", **recent()},
        "zoom_get_meeting": {"meeting_id": meetings.structured_content["result"]},
        "zoom_list_past_meeting_participants": {"meeting_id": rec["uuid"]},
        "zoom_get_meeting_recordings": {"meeting_id": rec["uuid"]},
        "zoom_get_meeting_transcript": {"meeting_id": rec["uuid"]},
        "zoom_get_meeting_summary": {"meeting_id": summarised},
        "zoom_get_webinar": {"webinar_id": webinars.structured_content["result"]},
        "zoom_report_meetings": recent(),
        "zoom_list_recordings": recent(),
    }
    for name, tool in tools.items():
        if name in WRITE_TOOLS:
            continue
        example = jq_example(tool)
        result = await server.call(name, {**args.get(name, {}), "jq": example})
        assert not result.is_error, (name, example, text_of(result))
        assert result.structured_content not in ({"result": None}, {"result": []}), (name, example)


@pytest.mark.anyio
async def test_transcript_is_clean_text_from_the_simulators_vtt(server):
    recs = await server.call("zoom_list_recordings", {**recent(),
        "jq": '[.meetings[] | select(any(.recording_files[]; .file_type == "TRANSCRIPT")) | .uuid]'})
    uuids = [u for u in recs.structured_content["result"] if "/" not in u]
    assert uuids, text_of(recs)
    result = await server.call("zoom_get_meeting_transcript", {"meeting_id": uuids[0]})
    assert not result.is_error, text_of(result)
    transcript = result.structured_content["transcript"]
    lines = transcript.splitlines()
    assert len(lines) >= 3 and len({line.split("]")[1].split(":")[0] for line in lines}) >= 2  # speakers
    for line in lines:
        assert line.startswith("[") and line[9:11] == "] " and ": " in line, line
    assert "WEBVTT" not in transcript and "-->" not in transcript
    assert result.structured_content["source"] == "TRANSCRIPT"
    downloads = server.sim.requests(route="download")
    assert downloads and downloads[-1]["token"] == "valid"


@pytest.mark.anyio
async def test_awkward_uuids_are_double_encoded(server):
    recs = await server.call("zoom_list_recordings", {**recent(), "jq": "[.meetings[].uuid]"})
    awkward = [u for u in recs.structured_content["result"] if u.startswith("/") or "//" in u]
    assert awkward
    # A Zoom UUID is 16 bytes in base64: 22 characters and "==" (issue 5).
    malformed = [u for u in awkward if len(u) != 24 or not u.endswith("==")]
    assert not malformed, f"the simulator's seed UUIDs are not Zoom-shaped: {malformed}"
    server.sim.clear_requests()
    for uuid in awkward:
        result = await server.call("zoom_list_past_meeting_participants", {"meeting_id": uuid})
        assert not result.is_error, text_of(result)
        assert result.structured_content["participants"]
    for entry in server.api_requests():
        assert "%252F" in entry["path"], entry  # "/" → %2F → %252F


@pytest.mark.anyio
async def test_summary_report_webinars(server):
    recs = await server.call("zoom_list_recordings", {**recent(), "jq": "[.meetings[].id] | unique"})
    found = []
    for mid in recs.structured_content["result"]:  # a numeric id means the latest instance
        r = await server.call("zoom_get_meeting_summary", {"meeting_id": mid, "jq": ".summary_overview"})
        if not r.is_error:
            found.append(r.structured_content["result"])
    assert found
    webinars = await server.call("zoom_list_webinars", {"jq": "[.webinars[].id]"})
    wid = webinars.structured_content["result"][0]
    webinar = await server.call("zoom_get_webinar", {"webinar_id": wid, "jq": ".id"})
    assert webinar.structured_content == {"result": wid}
    report = await server.call("zoom_report_meetings", recent())
    assert not report.is_error, text_of(report)
    assert "meetings" in report.structured_content


@pytest.mark.anyio
async def test_recordings_over_three_months_are_fetched_month_by_month_newest_first(server):
    server.sim.clear_requests()
    result = await server.call("zoom_list_recordings", {"from": "2026-01-10", "to": "2026-04-05"})
    assert not result.is_error, text_of(result)
    # The three windows go out at once (issue 13): which arrives first is the network's business.
    ranges = sorted((r["query"]["from"], r["query"]["to"]) for r in server.api_requests())
    assert ranges == [
        ("2026-01-10", "2026-02-09"), ("2026-02-10", "2026-03-09"), ("2026-03-10", "2026-04-05")
    ]
    merged = result.structured_content
    assert "total_records" not in merged  # Zoom's word for the total; this is what came back
    assert merged["returned"] == len(merged["meetings"])


@pytest.mark.anyio
async def test_recordings_over_months_report_progress_per_page_in_one_order(server):
    start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 100 * 86400))
    for extra in ({}, {"max_items": 50}):
        server.sim.clear_requests()
        progress: list[tuple[float, float | None]] = []

        async def on_progress(done, total, message, progress=progress):
            progress.append((done, total))

        result = await server.call("zoom_list_recordings", {"from": start, "page_size": 300, **extra},
                                   progress_callback=on_progress)
        assert not result.is_error, text_of(result)
        requests_made = len(server.api_requests())
        assert requests_made == 4  # four month windows, one page each
        assert [p for p, _ in progress] == list(range(1, requests_made + 1)), extra  # one report per page
        starts = [m["start_time"] for m in result.structured_content["meetings"]]
        assert starts and starts == sorted(starts, reverse=True)  # newest first, across months too


@pytest.mark.anyio
async def test_recordings_walk_at_most_twelve_months_per_call_then_a_cursor(server):
    start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 500 * 86400))
    server.sim.clear_requests()
    first = await server.call("zoom_list_recordings", {"from": start, "page_size": 300})
    assert not first.is_error, text_of(first)
    assert len(server.api_requests()) == 12
    cursor = first.structured_content["next_page_token"]
    oldest_walked = min(r["query"]["from"] for r in server.api_requests())
    assert cursor.endswith(":") and cursor[:-1] < oldest_walked  # the next (older) month
    server.sim.clear_requests()
    rest = await server.call(
        "zoom_list_recordings", {"from": start, "page_size": 300, "next_page_token": cursor}
    )
    assert not rest.is_error, text_of(rest)
    assert rest.structured_content["next_page_token"] == ""
    froms = sorted(r["query"]["from"] for r in server.api_requests())
    assert froms[-1] == cursor[:-1] and froms[0] == start and 0 < len(froms) <= 12


@pytest.mark.anyio
async def test_recordings_cursor_walks_the_months_and_misses_nothing(server):
    start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 100 * 86400))
    everything = await server.call("zoom_list_recordings", {"from": start, "max_items": 1000})
    want = [m["uuid"] for m in everything.structured_content["meetings"]]
    assert len(want) >= 3
    seen, cursor = [], None
    for _ in range(20):
        args = {"from": start, "page_size": 2, **({"next_page_token": cursor} if cursor else {})}
        page = await server.call("zoom_list_recordings", args)
        assert not page.is_error, text_of(page)
        seen += [m["uuid"] for m in page.structured_content["meetings"]]
        cursor = page.structured_content["next_page_token"]
        if not cursor:
            break
    assert seen == want


# -- errors and recovery -------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "args", "says"),
    [
        ("zoom_get_meeting", {"meeting_id": "../users/me"}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": -5}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": "abc"}, "Invalid meeting_id"),
        ("zoom_delete_meeting", {"meeting_id": "../users/me"}, "Invalid meeting_id"),
        ("zoom_list_meetings", {"page_size": 0}, "page_size"),
        ("zoom_list_meetings", {"page_size": 301}, "page_size"),
        ("zoom_list_recordings", {"from": "2026-13-45"}, "Invalid from"),
        ("zoom_report_meetings", {"from": "2026-02-30", "to": "2026-03-01"}, "Invalid from"),
        ("zoom_get_user", {"user_id": "../../me"}, "Invalid user_id"),
        ("zoom_get_user", {"jq": ".[broken"}, "Invalid jq filter"),
        ("zoom_list_meetings", {"jq": "{unclosed"}, "Invalid jq filter"),
        ("zoom_get_user", {"jq": 'include "leakmod" {search: "/tmp"}; .'}, "directives are not allowed"),
        ("zoom_get_meeting", {"meeting_id": True}, "Invalid meeting_id true"),
        ("zoom_get_meeting", {"meeting_id": "kY2t7QHvRfm0c0m3W1pZ9g=="}, "zoom_get_meeting_recordings"),
        ("zoom_create_meeting", {"topic": "x", "start_time": "2030-01-02"}, "Invalid start_time"),
    ],
)
async def test_bad_input_is_a_tool_error_and_makes_no_request(server, tool, args, says):
    server.sim.clear_requests()
    before = server.sim.stats()
    result = await server.call(tool, args)
    assert result.is_error
    assert says in text_of(result)
    after = server.sim.stats()
    assert server.api_requests() == []  # a broken jq filter too: it is compiled before the call
    assert after["api_requests"] == before["api_requests"]
    assert after["token_requests"] == before["token_requests"]


@pytest.mark.anyio
@pytest.mark.parametrize("expr", ["def f: f; f", "repeat(1)", "last(range(1e12))", "[range(1e9)]"])
async def test_a_filter_that_never_ends_is_a_tool_error_and_the_server_carries_on(server, expr):
    # That other calls are answered *while* a filter spins is proven by ordering in
    # busy_and_idle_workers below (and in process in test_validation.py), on a server whose time
    # limit no load can reach: here the limit is 2 s, which a busy machine could use up.
    spun = await server.call("zoom_get_user", {"jq": expr})
    assert spun.is_error
    assert re.search(r"jq filter (took longer than 2 s|produced more than \d+ results)", text_of(spun))
    after = await server.call("zoom_get_user", {"jq": ".id"})
    assert not after.is_error, text_of(after)


@pytest.mark.anyio
async def test_missing_scope_names_the_scope(server):
    server.sim.add_fault("GET /v2/meetings/*", "missing_scope", scopes=["meeting:read:admin"], count=1)
    try:
        result = await server.call("zoom_get_meeting", {"meeting_id": 85746065432})
    finally:
        server.sim.clear_faults()
    assert result.is_error
    text = text_of(result)
    assert "4711" in text and "lacks the scope meeting:read:admin" in text, text
    assert "GET /v2/meetings/85746065432" in text and "get_zoom_token.sh -f" in text


@pytest.mark.anyio
async def test_steady_state_makes_no_token_requests(server):
    before = server.sim.stats()
    for _ in range(20):
        assert not (await server.call("zoom_get_user", {"jq": ".id"})).is_error
    after = server.sim.stats()
    assert after["token_requests"] == before["token_requests"]
    assert after["api_requests"] - before["api_requests"] == 20


@pytest.mark.anyio
async def test_rate_limit_is_retried_after_both_retry_after_forms(server):
    for form in ("1", "iso"):
        server.sim.clear_requests()
        server.sim.add_fault(
            "GET /v2/users/me", "rate_limit", retry_after=form, retry_after_seconds=1, count=1
        )
        started = time.monotonic()
        result = await server.call("zoom_get_user", {"jq": ".email"})
        assert not result.is_error, text_of(result)
        statuses = [r["status"] for r in server.api_requests()]
        assert statuses == [429, 200], form
        # A lower bound, which load cannot break; test_zoom_client.py checks the exact wait.
        assert time.monotonic() - started >= 0.5  # hygiene: lower bound


@pytest.mark.anyio
async def test_rate_limit_that_outlasts_the_budget_names_the_wait(server):
    server.sim.clear_requests()
    server.sim.add_fault("GET /v2/users/me", "rate_limit", retry_after="120", count=1)
    result = await server.call("zoom_get_user")
    assert result.is_error
    assert "120 s" in text_of(result)
    assert len(server.api_requests()) == 1  # no point waiting past the 30 s budget
    server.sim.clear_faults()


@pytest.mark.anyio
async def test_server_error_then_success_is_retried(server):
    server.sim.clear_requests()
    server.sim.add_fault("GET /v2/users/me", "error", status=500, count=1)
    result = await server.call("zoom_get_user", {"jq": ".email"})
    assert not result.is_error, text_of(result)
    assert [r["status"] for r in server.api_requests()] == [500, 200]


@pytest.mark.anyio
async def test_persistent_server_error_is_a_clear_tool_error(server):
    server.sim.add_fault("GET /v2/users/me", "error", status=503)
    try:
        server.sim.clear_requests()
        result = await server.call("zoom_get_user")
    finally:
        server.sim.clear_faults()
    assert result.is_error and "503" in text_of(result) and "try again later" in text_of(result)
    assert len(server.api_requests()) == 3  # bounded: one try and two retries


@pytest.mark.anyio
async def test_revoked_token_recovers_through_exactly_one_token_request(server):
    server.sim.revoke_all()
    server.sim.clear_requests()
    before = server.sim.stats()
    result = await server.call("zoom_get_user", {"jq": ".email"})
    assert not result.is_error, text_of(result)
    assert server.sim.stats()["token_requests"] - before["token_requests"] == 1
    assert [r["token"] for r in server.api_requests()] == ["unknown", "valid"]
    # And the next call uses the new token straight away.
    server.sim.clear_requests()
    assert not (await server.call("zoom_get_user", {"jq": ".id"})).is_error
    assert [r["token"] for r in server.api_requests()] == ["valid"]
    status = await server.call("zoom_token_status")
    assert status.structured_content["state"] == "fresh"
    assert set(status.structured_content) == {
        "state", "expires_at", "seconds_left", "auto_refresh_enabled", "consecutive_failures",
        "last_refresh", "failures_24h"}


@pytest.mark.anyio
async def test_eight_concurrent_calls_after_a_revoke_share_one_refresh(server):
    server.sim.revoke_all()
    before = server.sim.stats()
    results = []

    async def one():
        results.append(await server.call("zoom_get_user", {"jq": ".id"}))

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(one)
    assert len(results) == 8 and not any(r.is_error for r in results), [text_of(r) for r in results]
    assert server.sim.stats()["token_requests"] - before["token_requests"] == 1


@pytest.mark.anyio
async def test_zz_stdout_is_pure_json_rpc_and_no_secret_leaks(server):
    # Runs last in the module: the logs then cover the whole shared session.
    await server.call("zoom_get_meeting", {"meeting_id": 1})  # a 404
    await server.call("zoom_token_status")
    lines = server.stdout_log.read_text().splitlines()
    assert len(lines) >= 4
    for line in lines:
        message = json.loads(line)
        assert message.get("jsonrpc") == "2.0", line[:200]
    secrets = {server.sim.client_secret, server.first_token}
    secrets.add(env_token(server.env_file))  # the refreshed one, if any
    assert all(len(s) > 10 for s in secrets)
    stderr = server.stderr_log.read_text()
    everything = stderr + "\n".join(lines)
    for secret in secrets:
        assert secret not in everything


# -- streamable HTTP -----------------------------------------------------------------------------


# The HTTP transport wants a bearer token (tests/test_http_transport.py tests that part).
HTTP_TOKEN = "test-server-http-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {HTTP_TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.anyio
async def test_one_session_over_streamable_http(tmp_path):
    import requests

    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp_path / ".env", sim)
        port = free_port()
        env = {k: os.environ[k] for k in ("HOME", "PATH") if k in os.environ}
        env.update(server_env(sim, env_file, tmp_path, ZOOM_MCP_TRANSPORT="http", ZOOM_MCP_PORT=str(port),
                              ZOOM_LOG_LEVEL="INFO", ZOOM_MCP_HTTP_TOKEN=HTTP_TOKEN))
        proc = subprocess.Popen([str(RUN_SH)], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None, proc.stderr.read().decode()
                    assert time.monotonic() < deadline, "server did not listen"
                    await anyio.sleep(0.05)
            url = f"http://127.0.0.1:{port}/mcp"
            async with httpx2.AsyncClient(headers=AUTH) as http, \
                    Client(streamable_http_client(url, http_client=http)) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert names == TOOLS
                me = await client.call_tool("zoom_get_user", {"jq": ".email"})
                assert not me.is_error and "@" in me.structured_content["result"]
            # DNS-rebinding guard: a foreign Host header is refused before any tool runs.
            init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"}}}
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
                       **AUTH}
            bad = requests.post(url, json=init, headers={**headers, "Host": "evil.example"}, timeout=5)
            assert bad.status_code == 421
            good = requests.post(url, json=init, headers={**headers, "Host": f"127.0.0.1:{port}"}, timeout=5)
            assert good.status_code == 200
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert proc.returncode is not None
        # Nothing on stdout in HTTP mode either (uvicorn's access log went there); logs are on stderr.
        assert proc.stdout.read() == b""
        assert b"127.0.0.1:" in proc.stderr.read()


# -- no jq worker outlives the server -------------------------------------------------------------


def children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out.update(int(c) for c in (task / "children").read_text().split())
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user + system), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RawStdio:
    """JSON-RPC over the server's pipes by hand: the SDK client kills the whole process tree when it
    leaves, which would hide whether the server cleans up after itself. Answers are kept by id, so
    a test can tell which arrived before which."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.next_id = proc, 1
        self.answers: dict[int, dict] = {}

    def send(self, method: str, params: dict | None = None, notify: bool = False) -> int:
        message = {"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})}
        if not notify:
            message["id"] = self.next_id
            self.next_id += 1
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        return message.get("id", 0)

    def receive(self, want_id: int, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout  # bounds a hang only
        while want_id not in self.answers:
            assert time.monotonic() < deadline, f"no answer to {want_id}"
            if select.select([self.proc.stdout], [], [], 0.2)[0]:
                line = self.proc.stdout.readline()
                assert line, "the server closed stdout"
                message = json.loads(line)
                if "id" in message:
                    self.answers[message["id"]] = message
        return self.answers[want_id]

    def call(self, name: str, args: dict) -> int:
        return self.send("tools/call", {"name": name, "arguments": args})


def start_stdio(sim, tmp_path, jq_timeout: str) -> tuple[subprocess.Popen, RawStdio]:
    env_file = write_env(tmp_path / ".env", sim)
    env = {k: os.environ[k] for k in ("HOME", "PATH") if k in os.environ}
    env.update(server_env(sim, env_file, tmp_path, ZOOM_JQ_TIMEOUT=jq_timeout, ZOOM_LOG_LEVEL="INFO"))
    stderr = open(tmp_path / "stderr.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([str(RUN_SH)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=stderr, start_new_session=True)
    rpc = RawStdio(proc)
    rpc.receive(rpc.send("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                        "clientInfo": {"name": "t", "version": "0"}}))
    rpc.send("notifications/initialized", notify=True)
    return proc, rpc


# CPU time a worker spends starting and compiling is a few hundredths of a second (more under
# coverage); one that has used this much is evaluating the filter that never ends.
SPINNING_CPU_SECONDS = 0.5


def busy_and_idle_workers(proc: subprocess.Popen, rpc: RawStdio) -> set[int]:
    """Leave one worker busy (a filter that never ends) and one idle (a filter that ran meanwhile).

    Also the proof that a spinning filter does not block the server: the second call is answered
    while the first is still unanswered and its worker still spinning (ordering, not timing)."""
    spin = rpc.call("zoom_get_user", {"jq": "last(range(1e12))"})
    deadline = time.monotonic() + 60  # bounds a hang only
    while not any(cpu_seconds(pid) >= SPINNING_CPU_SECONDS for pid in children(proc.pid)):
        assert time.monotonic() < deadline, "the filter never spun"
        time.sleep(0.05)  # polling the worker's CPU time
    (busy,) = [pid for pid in children(proc.pid) if cpu_seconds(pid) >= SPINNING_CPU_SECONDS]
    answer = rpc.receive(rpc.call("zoom_get_user", {"jq": ".id"}))
    assert not answer["result"].get("isError"), answer
    assert spin not in rpc.answers and alive(busy), "the quick call waited for the spinning filter"
    workers = children(proc.pid)
    assert len(workers) == 2 and busy in workers, workers
    for pid in workers:
        assert b"jq_sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return workers


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("how", ["stdin closed", "SIGTERM", "SIGKILL"])
def test_no_jq_worker_outlives_the_stdio_server(tmp_path, how):
    # A long time limit unless the server is SIGKILLed: then the workers end because the server ended
    # them, not by their own alarm. Under SIGKILL nothing runs in the server: the idle worker ends at
    # the EOF of its stdin, the busy one at its alarm (time limit + 1 s). Its 8 s must outlast what
    # busy_and_idle_workers does while the filter spins, however loaded the machine.
    jq_timeout = "8" if how == "SIGKILL" else "60"
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        proc, rpc = start_stdio(sim, tmp_path, jq_timeout)
        try:
            workers = busy_and_idle_workers(proc, rpc)
            if how == "stdin closed":  # the client left
                proc.stdin.close()
            else:
                proc.send_signal(getattr(signal, how))
            proc.wait(timeout=10)
            # SIGKILL: the alarm ends the busy worker within 9 s of its start; otherwise the server
            # ends both at once, long before the 60 s time limit. The deadline bounds a hang only.
            deadline = time.monotonic() + (30 if how == "SIGKILL" else 20)
            while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.05)  # polling the workers' state
            assert not [pid for pid in workers if alive(pid)], "a jq worker outlived the server"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (none, we hope)
            proc.wait()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_no_jq_worker_outlives_the_http_server(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp_path / ".env", sim)
        port = free_port()
        env = {k: os.environ[k] for k in ("HOME", "PATH") if k in os.environ}
        env.update(server_env(sim, env_file, tmp_path, ZOOM_MCP_TRANSPORT="http", ZOOM_MCP_PORT=str(port),
                              ZOOM_JQ_TIMEOUT="60", ZOOM_LOG_LEVEL="DEBUG", ZOOM_MCP_HTTP_TOKEN=HTTP_TOKEN))
        proc = subprocess.Popen([str(RUN_SH)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            import requests

            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.05)
            url = f"http://127.0.0.1:{port}/mcp"
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
                       **AUTH}
            init = requests.post(url, headers=headers, timeout=10, json={
                "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"}}})
            headers["Mcp-Session-Id"] = init.headers["mcp-session-id"]
            headers["Mcp-Protocol-Version"] = "2025-06-18"
            requests.post(url, headers=headers, timeout=10,
                          json={"jsonrpc": "2.0", "method": "notifications/initialized"})

            def call(jq, timeout):
                return requests.post(url, headers=headers, timeout=timeout, json={
                    "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                    "params": {"name": "zoom_get_user", "arguments": {"jq": jq}}})

            assert call(".id", 10).status_code == 200
            with contextlib.suppress(requests.RequestException):
                call("last(range(1e12))", 0.5)  # leave it spinning (the read times out)
            deadline = time.monotonic() + 30  # bounds a hang only
            while not any(cpu_seconds(pid) >= SPINNING_CPU_SECONDS for pid in children(proc.pid)):
                assert time.monotonic() < deadline, "the filter never spun"
                time.sleep(0.05)  # polling the worker's CPU time
            workers = children(proc.pid)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
            # The server ends them, long before their 60 s time limit; the deadline bounds a hang.
            deadline = time.monotonic() + 20
            while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.05)  # polling the workers' state
            assert not [pid for pid in workers if alive(pid)], "a jq worker outlived the server"
            # stdout stayed empty all along, even with the access log on (DEBUG): it went to stderr.
            assert proc.stdout.read() == b""
            assert b'"POST /mcp HTTP/1.1" 200' in proc.stderr.read()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ZOOM_MCP_TRANSPORT", "carrier-pigeon", "expected stdio or http"),
    ("ZOOM_MAX_CONCURRENCY", "0", "ZOOM_MAX_CONCURRENCY"),
    ("ZOOM_RATE_PLAN", "platinum", "ZOOM_RATE_PLAN"),
    ("ZOOM_TRANSCRIPT_CACHE_MB", "-1", "ZOOM_TRANSCRIPT_CACHE_MB='-1': expected a number from 0 to 1024"),
    ("ZOOM_JQ_TIMEOUT", "soon", "ZOOM_JQ_TIMEOUT='soon'"),
    ("ZOOM_MCP_PORT", "70000", "ZOOM_MCP_PORT='70000'"),
])
def test_a_bad_server_setting_stops_it_with_a_clear_error(tmp_path, name, value, says):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp_path / ".env", sim)
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
               **server_env(sim, env_file, tmp_path), name: value}
        cp = subprocess.run([str(RUN_SH)], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60)
    assert cp.returncode == 2, cp.stderr[-2000:]
    assert says in cp.stderr and cp.stdout == ""
