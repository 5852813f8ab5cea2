"""Input validation, month splitting, jq and VTT cleaning: in process, no network.

The server is driven in memory by the MCP client (`Client(server)`) over a client that records
every request, so "invalid input makes no Zoom request" is checked at the source.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import date
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

import arguments
import jq_sandbox
import zoom_mcp
import zoom_scopes
from vtt import vtt_to_text, vtt_turns
from zoom_client import ZoomError
from zoom_tools import base


@pytest.fixture
def anyio_backend():
    return "asyncio"


class RecordingClient:
    """Stands in for ZoomClient: records calls, answers with canned data."""

    def __init__(self, answer=None, error: ZoomError | None = None, files: dict | None = None):
        self.calls: list[tuple] = []
        self.answer = answer if answer is not None else {"id": 1, "topic": "T", "meetings": []}
        self.error = error
        self.files = files or {}

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

    def download_text(self, url, **kw):
        self.calls.append(("DOWNLOAD", url, kw))
        return self.files[url]


class Status:
    def status(self):
        return {"state": "fresh", "expires_at": 1, "seconds_left": 3000,
                "auto_refresh_enabled": True, "consecutive_failures": 0}


@pytest.fixture(scope="module")
def pool():
    p = jq_sandbox.JqPool(timeout=1.0)
    yield p
    p.close()


async def call(client, name, args, jq_pool=None):
    async with Client(zoom_mcp.create_server(client, Status(), jq_pool=jq_pool)) as c:
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
    assert arguments.meeting_segment(value) == segment


@pytest.mark.parametrize(
    "value",
    [
        "../users/me", -5, 0, "abc", "", "12 34", 2**63, True, False, 1.0, None, "١٢٣", "9" * 5000,
        "kY2t7QHvRfm0c0m3W1pZ9g=", "kY2t7QHvRfm0c0m3W1pZ9g==x", "kY2t7QHvRfm0c0m3W1p.9g==",
        "/Ab3dE7fGhIjKlMnOpQrStw==",  # 23 characters before "=="
    ],
)
def test_meeting_ids_rejected(value):
    with pytest.raises(ToolError, match="Invalid meeting_id"):
        arguments.meeting_segment(value)


def test_meeting_id_whitespace_is_trimmed_and_errors_show_the_trimmed_value():
    assert arguments.meeting_segment(" 123 ") == 123
    assert arguments.meeting_segment("\tkY2t7QHvRfm0c0m3W1pZ9g==\n") == "kY2t7QHvRfm0c0m3W1pZ9g=="
    with pytest.raises(ToolError) as err:
        arguments.meeting_segment(" 12a\t\n")
    assert str(err.value).startswith("Invalid meeting_id '12a':")
    with pytest.raises(ToolError, match="Invalid meeting_id true:"):
        arguments.meeting_segment(True)


def test_get_update_delete_take_the_numeric_id_and_say_what_to_do_with_a_uuid():
    assert arguments.meeting_number("85746065432") == 85746065432
    with pytest.raises(ToolError) as err:
        arguments.meeting_number("kY2t7QHvRfm0c0m3W1pZ9g==")
    text = str(err.value)
    assert "numeric meeting id" in text
    for tool in ("zoom_list_past_meeting_participants", "zoom_get_meeting_recordings",
                 "zoom_get_meeting_summary", "zoom_get_meeting_transcript"):
        assert tool in text


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("2026-05-01T14:00:00Z", "2026-05-01T14:00:00Z"),
        ("2026-05-01T14:00:00", "2026-05-01T14:00:00"),  # local, read in the meeting's timezone
        ("2026-05-01T14:00:00+02:00", "2026-05-01T12:00:00Z"),  # an offset becomes UTC
        ("2026-05-01T00:30:00-01:00", "2026-05-01T01:30:00Z"),
        (" 2026-05-01T14:00:00Z ", "2026-05-01T14:00:00Z"),
    ],
)
def test_start_time_in_zooms_forms(value, sent):
    assert arguments.start_time(value) == sent


@pytest.mark.parametrize(
    "value",
    ["2026-05-01", "tomorrow", "2026-05-01T14:00", "2026-05-01T14:00:00.000Z", "2026-05-01 14:00:00",
     "2026-02-30T10:00:00Z", "2026-05-01T25:00:00Z", "2026-05-01T14:00:00+0200", "2026-05-01T14:00:00z"],
)
def test_start_time_refuses_other_forms(value):
    with pytest.raises(ToolError, match="Invalid start_time"):
        arguments.start_time(value)


def test_recurrence_end_must_be_utc():
    end = arguments.start_time("2026-12-31T00:00:00+01:00", "end_date_time", utc=True)
    assert end == "2026-12-30T23:00:00Z"
    with pytest.raises(ToolError, match="Invalid end_date_time"):
        arguments.start_time("2026-12-31T00:00:00", "end_date_time", utc=True)


@pytest.mark.parametrize("value", ["me", "alice.chen@example.com", "KDcuGIm1QgePTO8WbOqwIQ", "a_b-c1"])
def test_user_ids_accepted(value):
    assert arguments.user_segment(value) == value


@pytest.mark.parametrize("value", ["../me", "me/../x", "a", "x@y", "a b", "ab/cd/ef", "%2e%2e", "me?x=1"])
def test_user_ids_rejected(value):
    with pytest.raises(ToolError, match="Invalid user_id"):
        arguments.user_segment(value)


@pytest.mark.parametrize(
    "value", ["2026-13-45", "2026-02-30", "2026-1-5", "20260105", "yesterday", "2026-01-05T00"]
)
def test_dates_must_be_real_iso_dates(value):
    with pytest.raises(ToolError, match="yyyy-mm-dd"):
        arguments.iso_date(value, "from")


@pytest.mark.anyio
@pytest.mark.parametrize(("since", "until", "allowed"), [
    ("2026-03-15", "2026-04-15", True),  # exactly one month: Zoom's limit, allowed
    ("2026-03-15", "2026-04-16", False),
    ("2026-01-31", "2026-02-28", True),  # a month from the 31st ends on February's last day
    ("2026-01-31", "2026-03-01", False),
])
async def test_reports_take_at_most_exactly_one_month(since, until, allowed):
    client = RecordingClient()
    result = await call(client, "zoom_report_meetings", {"from": since, "to": until})
    if allowed:
        assert not result.is_error, result.content[0].text
        assert client.calls[0][2]["params"]["from"] == since and client.calls[0][2]["params"]["to"] == until
    else:
        assert result.is_error and "longer than Zoom's one month" in result.content[0].text
        assert client.calls == []


def test_range_must_not_run_backwards():
    with pytest.raises(ToolError, match="after"):
        arguments.date_range("2026-03-02", "2026-03-01")


def test_month_windows_split_and_cover_the_range():
    windows = arguments.month_windows(date(2026, 1, 31), date(2026, 4, 2))
    assert windows == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 27)),
        (date(2026, 3, 28), date(2026, 4, 2)),
    ]
    may = (date(2026, 5, 1), date(2026, 5, 31))
    assert arguments.month_windows(*may) == [may]
    new_year = (date(2026, 12, 15), date(2027, 1, 14))
    assert arguments.month_windows(*new_year) == [new_year]


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
        ("zoom_get_meeting", {"meeting_id": 1, "jq": ".[broken"}, "Invalid jq filter"),
        ("zoom_list_recordings", {"jq": 'include "x"; .'}, "Invalid jq filter"),
        ("zoom_get_meeting", {"meeting_id": True}, "Invalid meeting_id true"),
        ("zoom_get_meeting", {"meeting_id": 2**63}, "Invalid meeting_id"),
        ("zoom_get_meeting", {"meeting_id": "kY2t7QHvRfm0c0m3W1pZ9g=="}, "numeric meeting id"),
        ("zoom_update_meeting", {"meeting_id": "kY2t7QHvRfm0c0m3W1pZ9g==", "topic": "x"}, "numeric"),
        ("zoom_delete_meeting", {"meeting_id": "kY2t7QHvRfm0c0m3W1pZ9g=="}, "numeric meeting id"),
        ("zoom_get_meeting_recordings", {"meeting_id": False}, "Invalid meeting_id"),
        ("zoom_list_recordings", {"from": "yesterday"}, "Invalid from"),
        ("zoom_get_user", {"user_id": "x" * 60 + "@" + "a" * 70 + ".com"}, "Invalid user_id"),
        ("zoom_create_meeting", {"topic": ""}, "topic"),
        ("zoom_create_meeting", {"topic": "x", "start_time": "tomorrow"}, "Invalid start_time"),
        ("zoom_create_meeting", {"topic": "x", "start_time": "2030-01-01"}, "Invalid start_time"),
        ("zoom_create_meeting", {"topic": "x", "type": 8, "start_time": "2030-01-01T10:00:00Z",
                                 "recurrence": {"type": 1, "end_date_time": "2030-02-01"}}, "end_date_time"),
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
    assert client.calls == []  # a broken jq filter too: it is compiled before the tool runs


ARABIC_INDIC_123 = "\u0661\u0662\u0663"  # Python's \d and str.isdigit() accept these digits


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "args", "says"),
    [
        ("zoom_get_meeting", {"meeting_id": 1, "occurrence_id": ARABIC_INDIC_123}, "Invalid occurrence_id"),
        ("zoom_get_meeting", {"meeting_id": ARABIC_INDIC_123}, "Invalid meeting_id"),
        ("zoom_list_recordings", {"from": "\u0662\u0660\u0662\u0666-01-01"}, "Invalid from"),
        ("zoom_create_meeting", {"topic": "x", "start_time": "2030-01-01T1\u0660:00:00Z"},
         "Invalid start_time"),
    ],
)
async def test_only_ascii_digits_reach_zoom(tool, args, says):
    """Issue 10.8: `\\d` let occurrence_id=\u0661\u0662\u0663 through to Zoom."""
    client = RecordingClient()
    result = await call(client, tool, args)
    assert result.is_error and says in result.content[0].text
    assert client.calls == []


@pytest.mark.anyio
async def test_zoom_errors_become_tool_errors_with_their_text():
    error = ZoomError("Not found: meeting 5 (Zoom code 3001: Meeting does not exist: 5.)")
    client = RecordingClient(error=error)
    result = await call(client, "zoom_get_meeting", {"meeting_id": 5})
    # The whole of Zoom's text reaches the model, after the SDK's one-line prefix, nothing else; and
    # "meeting 5" in it is the tool's own naming, which the client puts into its messages.
    assert result.is_error
    assert result.content[0].text == f"Error executing tool zoom_get_meeting: {error}"
    ((method, api_path, kw),) = client.calls
    assert (method, api_path, kw["what"]) == ("GET", "/meetings/5", "meeting 5")


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


def jq(pool, data, expr, text=None):
    return base.apply_jq(pool, base.result(data, text, expr))


def test_jq_shapes_the_result_and_non_objects_are_wrapped(pool):
    data = {"meetings": [{"id": 1, "topic": "a"}, {"id": 2, "topic": "b"}]}
    assert jq(pool, data, ".meetings[0]").structured_content == {"id": 1, "topic": "a"}
    assert jq(pool, data, ".meetings[].id").structured_content == {"result": [1, 2]}
    assert jq(pool, data, ".meetings | length").structured_content == {"result": 2}
    assert jq(pool, data, "empty").structured_content == {"result": []}
    shaped = jq(pool, data, '{"t": "ü"}', text=json.dumps(data))
    assert shaped.content[0].text == '{"t":"ü"}' and shaped.structured_content == {"t": "ü"}
    plain = base.result(data, '{"raw":1}')
    assert plain.content[0].text == '{"raw":1}'  # Zoom's own body is passed through untouched


def test_jq_errors_are_clear_tool_errors(pool):
    with pytest.raises(jq_sandbox.JqError, match="Invalid jq filter"):
        pool.check(".[")
    with pytest.raises(jq_sandbox.JqError, match="Invalid jq filter"):
        pool.check(".\0 | env")  # jq's C API would stop reading at the NUL
    with pytest.raises(ToolError, match="failed on this result"):
        jq(pool, {"a": "text"}, ".a.b")


def test_jq_cannot_read_the_environment_or_other_inputs(monkeypatch):
    # Under Claude Desktop the server's environment holds ZOOM_ACCESS_TOKEN: a filter must not reach it.
    monkeypatch.setenv("ZOOM_ACCESS_TOKEN", "eyJzSECRETSECRETNTMz")
    p = jq_sandbox.JqPool()  # workers started after the variable was set
    try:
        for expr in ("env", "$ENV", "env.ZOOM_ACCESS_TOKEN", "$ENV.ZOOM_ACCESS_TOKEN", ".a | env",
                     "[inputs]", "input_filename", "def f: env; f"):
            p.check(expr)
            result = jq(p, {"a": 1}, expr)
            assert "SECRET" not in result.content[0].text, expr
        with pytest.raises(jq_sandbox.JqError, match="Invalid jq filter"):
            p.check('include "x"; .')
        # A filter with its own definitions and a trailing comment still works.
        assert jq(p, {"a": 2}, "def f: .a * 2; f # double").structured_content == {"result": 4}
    finally:
        p.close()


def test_jq_filters_are_compiled_once_for_checking():
    p = jq_sandbox.JqPool(timeout=60, size=1)
    try:
        p.check(".a")
        (worker,) = p.pids()
        os.kill(worker, signal.SIGSTOP)  # the only worker can compile nothing now
        try:
            for _ in range(5):
                p.check(".a")  # answered from what the server remembers; a compile would hang here
            assert p.known(".a") and not p.known(".b")
        finally:
            os.kill(worker, signal.SIGCONT)
    finally:
        p.close()


@pytest.mark.parametrize("expr", ["def f: f; f", "repeat(1) | empty", "last(range(1e12))", "[range(1e9)]"])
def test_a_filter_that_never_ends_is_stopped_at_the_time_limit(pool, expr):
    # The error names the limit it hit; how soon after the limit it comes is bench/'s business
    # (a pool that ignored the limit would hang here until pytest's own time limit).
    with pytest.raises(ToolError, match=r"jq filter took longer than 1 s"):
        jq(pool, {"a": 1}, expr)
    assert jq(pool, {"a": 1}, ".a").structured_content == {"result": 1}  # a fresh worker took over


def test_too_many_results_or_too_much_output_is_a_clear_error():
    p = jq_sandbox.JqPool(timeout=5, max_results=100, max_bytes=10_000)
    try:
        with pytest.raises(ToolError, match="more than 100 results"):
            jq(p, {}, "repeat(1)")
        with pytest.raises(ToolError, match="more than 100 results"):
            jq(p, {}, "range(101)")
        assert jq(p, {}, "[range(100)] | length").structured_content == {"result": 100}
        with pytest.raises(ToolError, match="more than 10000 bytes of JSON"):
            jq(p, {}, '[range(5000) | "xxxx"]')
    finally:
        p.close()


@pytest.mark.anyio
async def test_a_spinning_filter_does_not_stop_other_tools():
    """jq's C code holds the GIL: in the server process it would freeze every tool."""
    p = jq_sandbox.JqPool(timeout=60)  # the spin outlasts the test: it is cancelled at the end
    server = zoom_mcp.create_server(RecordingClient(), Status(), jq_pool=p)
    spun = anyio.Event()
    try:
        async with Client(server) as c:
            async def spin():
                await c.call_tool("zoom_get_user", {"jq": "last(range(1e12))"})
                spun.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(spin)
                with anyio.fail_after(30):
                    while not p.pids():  # its worker is started: the filter is compiling or running
                        await anyio.sleep(0.01)
                for _ in range(5):
                    r = await c.call_tool("zoom_get_user", {})
                    assert not r.is_error
                # Ordering, not timing: all five answered while the spinning filter had not.
                assert not spun.is_set()
                tg.cancel_scope.cancel()  # which kills its worker
    finally:
        p.close()


@pytest.mark.anyio
async def test_a_cancelled_call_stops_its_filter():
    p = jq_sandbox.JqPool(timeout=30)
    try:
        pending = base.result({"a": 1}, None, "last(range(1e12))")
        with anyio.move_on_after(0.5):
            await base.run_filter(p, pending)
        pids = p.pids()
        deadline = time.monotonic() + 3
        while p.pids() and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert p.pids() == []
        for pid in pids:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    finally:
        p.close()


def test_workers_get_an_empty_environment_and_import_only_jq(pool):
    jq(pool, {}, ".")
    (pid,) = pool.pids()[:1]
    if Path(f"/proc/{pid}/environ").exists():
        assert Path(f"/proc/{pid}/environ").read_bytes() == b""
        assert b"zoom_mcp" not in Path(f"/proc/{pid}/cmdline").read_bytes()


# -- scopes ----------------------------------------------------------------------------------------------


def test_scope_names_are_the_ones_zooms_spec_lists():
    spec_dir = os.environ.get("ZOOM_OPENAPI_DIR", "")
    if not (spec_dir and Path(spec_dir, "Meetings.json").exists() and Path(spec_dir, "Users.json").exists()):
        pytest.skip("Zoom's OpenAPI files not found: set ZOOM_OPENAPI_DIR to a folder holding Meetings.json "
                    "and Users.json (e.g. ../shared/zoom-openapi) to check the scope names")
    ops = {}
    for name in ("Meetings.json", "Users.json"):
        spec = json.loads(Path(spec_dir, name).read_text())
        for route, methods in spec["paths"].items():
            for method, op in methods.items():
                if isinstance(op, dict) and "security" in op:
                    listed = {s for entry in op["security"] for s in entry.get("openapi_oauth", ())}
                    ops[f"{method.upper()} {route}"] = listed
    for op, (granular, classic) in zoom_scopes._S2S_SCOPES.items():
        assert granular in ops[op] and granular.endswith(":admin"), op
        assert classic is None or (classic in ops[op] and classic.endswith(":admin")), op


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


def test_vtt_entities_are_unescaped():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAlice &amp; Bob: Q&amp;A: 3 &lt; 4 &gt; 2&nbsp;ok\n\n"
           "00:00:03.000 --> 00:00:04.000\n<v Dana &amp; Co>&lt;b&gt; is literal</v>\n")
    assert vtt_to_text(vtt).splitlines() == [
        "[00:00:01] Alice & Bob: Q&A: 3 < 4 > 2 ok",
        "[00:00:03] Dana & Co: <b> is literal",
    ]


def test_vtt_prefixes_are_speakers_from_exactly_half_the_cues_on():
    def cues(*texts):
        return "WEBVTT\n" + "".join(f"\n00:00:0{i}.000 --> 00:00:0{i}.500\n{t}\n"
                                     for i, t in enumerate(texts))

    half = vtt_turns(cues("Alice Chen: hello", "plain words"))
    assert half == [("00:00:00", "Alice Chen", "hello"), ("00:00:01", None, "plain words")]
    under_half = vtt_turns(cues("Alice Chen: hello", "plain words", "more words"))
    assert [speaker for _, speaker, _ in under_half] == [None, None, None]
    assert under_half[0][2] == "Alice Chen: hello"


def test_vtt_colon_text_is_not_a_speaker_unless_zoom_labelled_the_file():
    # Closed captions: no speakers; "Agenda:" and "We decided the following:" are words, not names.
    captions = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAgenda: budget and hiring\n\n"
                "00:00:03.000 --> 00:00:04.000\nwelcome everyone\n\n"
                "00:00:05.000 --> 00:00:06.000\nthanks for joining today\n")
    assert vtt_to_text(captions).splitlines() == [
        "[00:00:01] Agenda: budget and hiring", "[00:00:03] welcome everyone",
        "[00:00:05] thanks for joining today",
    ]
    # Zoom's transcript: every cue has "Name: "; a sentence before a colon is still no name.
    labelled = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAlice Chen: Agenda: budget\n\n"
                "00:00:03.000 --> 00:00:04.000\nBob: ok\n\n"
                "00:00:05.000 --> 00:00:06.000\nSo. We decided the following: ship it\n")
    assert vtt_to_text(labelled).splitlines() == [
        "[00:00:01] Alice Chen: Agenda: budget", "[00:00:03] Bob: ok",
        "[00:00:05] So. We decided the following: ship it",
    ]


@pytest.mark.anyio
async def test_transcript_prefers_the_transcript_file_over_captions(pool):
    files = [
        {"file_type": "CC", "file_extension": "VTT", "download_url": "https://zoom.us/rec/cc"},
        {"file_type": "TRANSCRIPT", "file_extension": "VTT", "download_url": "https://zoom.us/rec/tr"},
    ]
    client = RecordingClient(
        answer={"id": 5, "uuid": "u", "recording_files": files},
        files={"https://zoom.us/rec/tr": ZOOM_VTT, "https://zoom.us/rec/cc": "WEBVTT\n\n00:00:01.000 --> "
               "00:00:02.000\ncaptions\n"},
    )
    result = await call(client, "zoom_get_meeting_transcript", {"meeting_id": 5}, pool)
    assert not result.is_error, result.content[0].text
    assert result.structured_content["source"] == "TRANSCRIPT"
    assert result.structured_content["transcript"].startswith("[00:00:01] Alice Chen:")
    assert [c[1] for c in client.calls if c[0] == "DOWNLOAD"] == ["https://zoom.us/rec/tr"]
    # Only captions: they are used, and say so.
    captions = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ncaptions\n"
    client = RecordingClient(answer={"id": 5, "recording_files": files[:1]},
                             files={"https://zoom.us/rec/cc": captions})
    result = await call(client, "zoom_get_meeting_transcript", {"meeting_id": 5}, pool)
    assert result.structured_content["source"] == "CC"
    assert result.structured_content["transcript"] == "[00:00:01] captions"
