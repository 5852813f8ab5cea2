"""Input validation, month splitting, jq and VTT cleaning: in process, no network.

The server is driven in memory by the MCP client (`Client(server)`) over a client that records
every request, so "invalid input makes no Zoom request" is checked at the source.
"""

from __future__ import annotations

from datetime import date

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

import zoom_mcp
from vtt import vtt_to_text
from zoom_client import ZoomError


@pytest.fixture
def anyio_backend():
    return "asyncio"


class RecordingClient:
    """Stands in for ZoomClient: records calls, answers with canned data."""

    def __init__(self, answer=None, error: ZoomError | None = None):
        self.calls: list[tuple] = []
        self.answer = answer if answer is not None else {"id": 1, "topic": "T", "meetings": []}
        self.error = error

    def request(self, method, api_path, **kw):
        self.calls.append((method, api_path, kw))
        if self.error:
            raise self.error
        return self.answer, None

    def get(self, api_path, params=None, **kw):
        return self.request("GET", api_path, params=params, **kw)[0]

    def pages(self, api_path, params, key, **kw):
        self.calls.append(("GET", api_path, {"params": params, **kw}))
        yield self.answer, None


class Status:
    def status(self):
        return {"state": "fresh", "expires_at": 1, "seconds_left": 3000,
                "auto_refresh_enabled": True, "consecutive_failures": 0}


async def call(client, name, args):
    async with Client(zoom_mcp.create_server(client, Status())) as c:
        return await c.call_tool(name, args)


# -- validators ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        (85746065432, 85746065432),
        ("85746065432", 85746065432),
        ("kY2t7QHvRfm0c0m3W1pZ9g==", "kY2t7QHvRfm0c0m3W1pZ9g=="),
        ("/b3d7QHvRfm0c0m3W1pZ9g==", "%2Fb3d7QHvRfm0c0m3W1pZ9g%3D%3D"),  # path() encodes it again
        ("kY2t7QHvRfm0c//W1pZ9gA==", "kY2t7QHvRfm0c%2F%2FW1pZ9gA%3D%3D"),
    ],
)
def test_meeting_ids_accepted(value, segment):
    assert zoom_mcp.meeting_segment(value) == segment


@pytest.mark.parametrize(
    "value",
    [
        "../users/me", -5, 0, "abc", "", "12 34", 2**63, True, "١٢٣",
        "kY2t7QHvRfm0c0m3W1pZ9g=", "kY2t7QHvRfm0c0m3W1pZ9g==x", "kY2t7QHvRfm0c0m3W1p.9g==",
        "/Ab3dE7fGhIjKlMnOpQrStw==",  # 23 characters before "=="
    ],
)
def test_meeting_ids_rejected(value):
    with pytest.raises(ToolError, match="Invalid meeting_id"):
        zoom_mcp.meeting_segment(value)


@pytest.mark.parametrize("value", ["me", "alice.chen@example.com", "KDcuGIm1QgePTO8WbOqwIQ", "a_b-c1"])
def test_user_ids_accepted(value):
    assert zoom_mcp.user_segment(value) == value


@pytest.mark.parametrize("value", ["../me", "me/../x", "a", "x@y", "a b", "ab/cd/ef", "%2e%2e", "me?x=1"])
def test_user_ids_rejected(value):
    with pytest.raises(ToolError, match="Invalid user_id"):
        zoom_mcp.user_segment(value)


@pytest.mark.parametrize(
    "value", ["2026-13-45", "2026-02-30", "2026-1-5", "20260105", "yesterday", "2026-01-05T00"]
)
def test_dates_must_be_real_iso_dates(value):
    with pytest.raises(ToolError, match="yyyy-mm-dd"):
        zoom_mcp.iso_date(value, "from")


def test_range_must_not_run_backwards():
    with pytest.raises(ToolError, match="after"):
        zoom_mcp.date_range("2026-03-02", "2026-03-01")


def test_month_windows_split_and_cover_the_range():
    windows = zoom_mcp.month_windows(date(2026, 1, 31), date(2026, 4, 2))
    assert windows == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 27)),
        (date(2026, 3, 28), date(2026, 4, 2)),
    ]
    may = (date(2026, 5, 1), date(2026, 5, 31))
    assert zoom_mcp.month_windows(*may) == [may]
    new_year = (date(2026, 12, 15), date(2027, 1, 14))
    assert zoom_mcp.month_windows(*new_year) == [new_year]


# -- through the MCP layer: tool errors, no requests -------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "args", "says"),
    [
        ("zoom_get_meeting", {"meeting_id": "../users/me"}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": -5}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": "abc"}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": 1, "occurrence_id": "../x"}, "Invalid occurrence_id"),
        ("zoom_list_meetings", {"page_size": 0}, "page_size"),
        ("zoom_list_meetings", {"page_size": 301}, "page_size"),
        ("zoom_list_meetings", {"max_items": 0}, "max_items"),
        ("zoom_list_meetings", {"type": "all"}, "type"),
        ("zoom_list_recordings", {"from": "2026-13-45"}, "Invalid from"),
        ("zoom_list_recordings", {"to": "2026-02-29"}, "Invalid to"),
        ("zoom_report_meetings", {"from": "2026-01-01", "to": "2026-03-01"}, "one month"),
        ("zoom_get_user", {"user_id": "../../me"}, "Invalid user_id"),
        ("zoom_get_user", {"jq": ".[broken"}, "Invalid jq filter"),
        ("zoom_create_meeting", {"topic": ""}, "topic"),
        ("zoom_create_meeting", {"topic": "x", "start_time": "tomorrow"}, "Invalid start_time"),
        ("zoom_create_meeting", {"topic": "x", "timezone": "../etc"}, "Invalid timezone"),
        ("zoom_create_meeting", {"topic": "x", "password": "way-too-long-pass"}, "password"),
        ("zoom_create_meeting", {"topic": "x", "settings": {"bogus": 1}}, "bogus"),
        ("zoom_update_meeting", {"meeting_id": 5}, "Nothing to update"),
        ("zoom_delete_meeting", {"meeting_id": "1; DROP"}, "Invalid meeting_id"),
        ("zoom_get_webinar", {"webinar_id": "x"}, "Invalid webinar_id"),
    ],
)
async def test_invalid_input_is_a_tool_error_before_any_request(tool, args, says):
    client = RecordingClient()
    result = await call(client, tool, args)
    assert result.is_error
    assert says in result.content[0].text
    if "jq" not in args:
        assert client.calls == []


@pytest.mark.anyio
async def test_zoom_errors_become_tool_errors_with_their_text():
    error = ZoomError("Not found: meeting 5 (Zoom code 3001: Meeting does not exist: 5.)")
    client = RecordingClient(error=error)
    result = await call(client, "zoom_get_meeting", {"meeting_id": 5})
    assert result.is_error and "3001" in result.content[0].text and "meeting 5" in result.content[0].text


@pytest.mark.anyio
async def test_create_sends_only_the_fields_given():
    client = RecordingClient()
    result = await call(client, "zoom_create_meeting", {
        "topic": "Plan", "type": 8, "start_time": "2030-01-01T10:00:00Z",
        "recurrence": {"type": 2, "weekly_days": "2,4", "end_times": 5},
        "settings": {"waiting_room": True},
    })
    assert not result.is_error, result.content[0].text
    ((method, api_path, kw),) = client.calls
    assert (method, api_path) == ("POST", "/users/me/meetings")
    assert kw["json_body"] == {
        "topic": "Plan", "type": 8, "start_time": "2030-01-01T10:00:00Z",
        "recurrence": {"type": 2, "weekly_days": "2,4", "end_times": 5},
        "settings": {"waiting_room": True},
    }


@pytest.mark.anyio
async def test_uuid_reaches_the_path_encoded_twice_when_it_must():
    client = RecordingClient(answer={"participants": []})
    await call(client, "zoom_list_past_meeting_participants", {"meeting_id": "/b3d7QHvRfm0c0m3W1pZ9g=="})
    assert client.calls[0][1] == "/past_meetings/%252Fb3d7QHvRfm0c0m3W1pZ9g%253D%253D/participants"


# -- jq ------------------------------------------------------------------------------------------------


def test_jq_shapes_the_result_and_non_objects_are_wrapped():
    data = {"meetings": [{"id": 1, "topic": "a"}, {"id": 2, "topic": "b"}]}
    assert zoom_mcp._result(data, None, ".meetings[0]").structured_content == {"id": 1, "topic": "a"}
    assert zoom_mcp._result(data, None, ".meetings[].id").structured_content == {"result": [1, 2]}
    assert zoom_mcp._result(data, None, ".meetings | length").structured_content == {"result": 2}
    plain = zoom_mcp._result(data, '{"raw":1}')
    assert plain.content[0].text == '{"raw":1}'  # Zoom's own body is passed through untouched


def test_jq_errors_are_clear_tool_errors():
    with pytest.raises(ToolError, match="Invalid jq filter"):
        zoom_mcp._result({}, None, ".[")
    with pytest.raises(ToolError, match="failed on this result"):
        zoom_mcp._result({"a": "text"}, None, ".a.b")


def test_jq_cannot_read_the_environment_or_other_inputs(monkeypatch):
    # Under Claude Desktop the server's environment holds ZOOM_ACCESS_TOKEN: a filter must not reach it.
    monkeypatch.setenv("ZOOM_ACCESS_TOKEN", "eyJzSECRETSECRETNTMz")
    zoom_mcp._jq_program.cache_clear()
    for expr in ("env", "$ENV", "env.ZOOM_ACCESS_TOKEN", "$ENV.ZOOM_ACCESS_TOKEN", ".a | env",
                 "[inputs]", "input_filename", "def f: env; f"):
        result = zoom_mcp._result({"a": 1}, None, expr)
        assert "SECRET" not in result.content[0].text, expr
    with pytest.raises(ToolError, match="Invalid jq filter"):
        zoom_mcp._result({}, None, 'include "x"; .')
    # A filter with its own definitions and a trailing comment still works.
    assert zoom_mcp._result({"a": 2}, None, "def f: .a * 2; f # double").structured_content == {"result": 4}


def test_jq_programs_are_compiled_once():
    zoom_mcp._jq_program.cache_clear()
    for _ in range(5):
        zoom_mcp._result({"a": 1}, None, ".a")
    info = zoom_mcp._jq_program.cache_info()
    assert (info.misses, info.hits) == (1, 4)


# -- VTT -----------------------------------------------------------------------------------------------

ZOOM_VTT = """WEBVTT

1
00:00:01.120 --> 00:00:04.560
Alice Chen: Good morning, everyone.

2
00:00:05.000 --> 00:00:07.000
Alice Chen: Let's start.

3
00:01:02.500 --> 00:01:05.000
Bob Martin: Thanks.
Two lines here.

4
01:00:00.000 --> 01:00:02.000
no speaker given
"""


def test_vtt_becomes_one_turn_per_line_with_time_and_speaker():
    assert vtt_to_text(ZOOM_VTT).splitlines() == [
        "[00:00:01] Alice Chen: Good morning, everyone. Let's start.",
        "[00:01:02] Bob Martin: Thanks. Two lines here.",
        "[01:00:00] no speaker given",
    ]


def test_vtt_voice_tags_notes_and_crlf():
    vtt = (
        "\ufeffWEBVTT\r\n\r\nNOTE a comment\r\n\r\n"
        "00:05.000 --> 00:06.000\r\n<v Dana>Hi <b>there</b></v>\r\n"
    )
    assert vtt_to_text(vtt) == "[00:00:05] Dana: Hi there"
    assert vtt_to_text("WEBVTT\n") == ""
