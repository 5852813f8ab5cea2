"""Prompts and resources (issue 12): the real server (./run.sh) through the official MCP client over
stdio, against the simulator. The simulator seeds its meetings relative to its own start, so "the
last recorded meeting" and "the next meeting" are the same whatever today's date is.
"""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from urllib.parse import quote

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from test_server import RUN_SH, server_env, write_env

from zoomsim import ZoomSimulator

LAST_RECORDED = "/Ab3dE7fGhIjKlMnOpQrSw=="  # the owner's newest recording (2 days ago, with a summary)
NO_SUMMARY = "kY2t7QHvRfm0c0m3W1pZ9g=="  # recorded, no AI Companion summary


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
async def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prompts")
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        env_file = write_env(tmp / ".env", sim)
        params = StdioServerParameters(command=str(RUN_SH), env=server_env(sim, env_file, tmp), cwd=str(tmp))
        async with AsyncExitStack() as stack:
            errlog = stack.enter_context(open(tmp / "stderr.log", "w"))  # noqa: SIM115 - closed by the stack
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
            yield sim, client


def texts(result) -> list[str]:
    return [m.content.text if m.content.type == "text" else m.content.resource.text for m in result.messages]


@pytest.mark.anyio
async def test_capabilities_declare_what_the_server_serves(served):
    _sim, client = served
    caps = client.server_capabilities
    assert caps.tools is not None and caps.prompts is not None and caps.resources is not None
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"summarise_last_meeting", "prepare_for_next_meeting"}
    assert prompts["summarise_last_meeting"].title == "Summarise my last meeting"
    assert [a.name for a in prompts["summarise_last_meeting"].arguments] == ["meeting_id"]
    assert not prompts["summarise_last_meeting"].arguments[0].required
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["zoom://meetings/{meeting_id}/transcript"]


@pytest.mark.anyio
async def test_summarise_last_meeting_hands_over_the_newest_meetings_summary(served):
    sim, client = served
    result = await client.get_prompt("summarise_last_meeting")
    ask, material = texts(result)
    assert '"Weekly Engineering Sync"' in ask and "action items" in ask
    assert material.startswith("AI Companion summary: ")
    summary = json.loads(material.removeprefix("AI Companion summary: "))
    assert summary["next_steps"]  # the simulator's summary of that instance
    asked = [r["path"] for r in sim.requests(route="api")]
    assert any(p.endswith("/meeting_summary") and quote(quote(LAST_RECORDED, safe=""), safe="") in p
               for p in asked)


@pytest.mark.anyio
async def test_summarise_a_meeting_without_summary_attaches_its_transcript(served):
    _sim, client = served
    result = await client.get_prompt("summarise_last_meeting", {"meeting_id": NO_SUMMARY})
    ask, _ = texts(result)
    assert '"Design Crit: Onboarding Flow"' in ask
    attached = result.messages[1].content
    assert attached.type == "resource"
    assert attached.resource.uri == f"zoom://meetings/{quote(NO_SUMMARY, safe='')}/transcript"
    tool = await client.call_tool("zoom_get_meeting_transcript", {"meeting_id": NO_SUMMARY})
    assert attached.resource.text == tool.structured_content["transcript"]


@pytest.mark.anyio
async def test_a_bad_prompt_argument_is_invalid_params(served):
    _sim, client = served
    with pytest.raises(MCPError) as err:
        await client.get_prompt("summarise_last_meeting", {"meeting_id": "../users/me"})
    assert err.value.error.code == -32602 and "Invalid meeting_id" in err.value.error.message


@pytest.mark.anyio
async def test_prepare_for_next_meeting_names_it_and_who_came_last_time(served):
    _sim, client = served
    result = await client.get_prompt("prepare_for_next_meeting")
    ask, facts = texts(result)
    assert "prepare" in ask
    facts = json.loads(facts)
    assert facts["topic"] == "Weekly Engineering Sync"  # tomorrow; the other meetings come later
    assert facts["agenda"] == "Status, blockers, release train"
    meetings = await client.call_tool("zoom_list_meetings", {"type": "upcoming", "max_items": 300})
    mid = next(m["id"] for m in meetings.structured_content["meetings"] if m["topic"] == facts["topic"])
    came = await client.call_tool("zoom_list_past_meeting_participants", {"meeting_id": mid})
    names = {p["name"] for p in came.structured_content["participants"]}
    assert len(names) >= 4 and facts["attended_last_time"] == sorted(names)  # its occurrence 2 days ago


@pytest.mark.anyio
async def test_transcript_resource_reads_what_the_tool_returns(served):
    _sim, client = served
    for ref in (NO_SUMMARY, LAST_RECORDED):  # the second begins with "/": percent-encoded in the URI
        read = await client.read_resource(f"zoom://meetings/{quote(ref, safe='')}/transcript")
        tool = await client.call_tool("zoom_get_meeting_transcript", {"meeting_id": ref})
        (content,) = read.contents
        assert content.mime_type == "text/plain"
        assert content.text == tool.structured_content["transcript"] and content.text.startswith("[")


@pytest.mark.anyio
async def test_transcript_resource_of_a_meeting_without_one_is_an_error(served):
    _sim, client = served
    with pytest.raises(MCPError) as err:
        await client.read_resource("zoom://meetings/QWxsSGFuZHNNZWV0aW5nMA%3D%3D/transcript".replace(
            "QWxsSGFuZHNNZWV0aW5nMA", "UGFpcmluZ1Nlc3Npb24wMA"))  # Pairing Session: not recorded
    assert "no recording" in err.value.error.message.lower() or "transcript" in err.value.error.message
    with pytest.raises(MCPError) as err:
        await client.read_resource("zoom://meetings/..%2F..%2Fusers/transcript")
    assert "Invalid meeting_id" in err.value.error.message
