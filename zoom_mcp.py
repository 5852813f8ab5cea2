"""zoom-mcp: an MCP server for Zoom (meetings, users, recordings, transcripts, reports).

Run it with ./run.sh (stdio; ZOOM_MCP_TRANSPORT=http for streamable HTTP on 127.0.0.1). The token
comes from the token monitor (token_monitor.py), which keeps it alive in the background. stdout is
JSON-RPC only: logs go to stderr.
"""

import functools
import inspect
import json
import logging
import os
import re
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

import anyio.from_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from zoom_client import ZoomClient, ZoomError, path, uuid_segment

log = logging.getLogger("zoom_mcp")

INSTRUCTIONS = (
    "Tools for one Zoom account: users, meetings (create/read/update/delete), past-meeting "
    "participants, cloud recordings, transcripts, AI meeting summaries, webinars and usage reports. "
    "List tools page with page_size/next_page_token, or follow pages themselves up to max_items. "
    "Every read tool takes an optional jq filter: use it to fetch only the fields you need."
)

# -- results ------------------------------------------------------------------------------------

# Structured output: any JSON object (a jq filter may reshape it); the text block carries the same JSON.
Result = Annotated[CallToolResult, dict[str, Any]]


# The filter comes from the model. jq's `env`/`$ENV` would hand it the server's environment (under
# Claude Desktop that holds ZOOM_ACCESS_TOKEN), and input/inputs/import reach beyond the result, so
# the filter runs inside definitions that shadow them; `import`/`include` cannot follow a pipe.
_JQ_SANDBOX = (
    "def env: {}; def input: empty; def inputs: empty; def input_filename: null; "
    "def get_search_list: []; {} as $ENV | ("
)


@functools.lru_cache(maxsize=64)
def _jq_program(expr: str) -> Any:
    import jq  # only calls with a filter pay for it

    jq.compile(expr)  # the model's own filter first, so a syntax error reads as its own
    return jq.compile(f"{_JQ_SANDBOX}{expr}\n)")


def _result(data: Any, text: str | None = None, jq_filter: str | None = None) -> CallToolResult:
    """Wrap a result; `text` is Zoom's own JSON body, reused so the hot path never re-serialises."""
    if jq_filter:
        try:
            program = _jq_program(jq_filter)
        except ValueError as exc:
            raise ToolError(f"Invalid jq filter {jq_filter!r}: {exc}") from None
        try:
            out = program.input_value(data).all()
        except ValueError as exc:
            raise ToolError(f"The jq filter {jq_filter!r} failed on this result: {exc}") from None
        data = out[0] if len(out) == 1 else out
        text = None
    if not isinstance(data, dict):
        data, text = {"result": data}, None
    if text is None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


# -- input validation (before any request) -------------------------------------------------------

_UUID = re.compile(r"[A-Za-z0-9+/]{22}==")
_USER_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
_EMAIL = re.compile(r"[^@\s/\\?#]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OCCURRENCE = re.compile(r"\d{1,20}")
_TZ = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
_INT64_MAX = 2**63 - 1


def meeting_segment(value: int | str, name: str = "meeting_id") -> int | str:
    """A positive integer id, or a Zoom UUID (encoded as Zoom wants); anything else is a ToolError."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value <= _INT64_MAX:
            return value
    elif isinstance(value, str):
        s = value.strip()
        if s.isascii() and s.isdigit() and 0 < int(s) <= _INT64_MAX:
            return int(s)
        if _UUID.fullmatch(s):
            return uuid_segment(s)
    raise ToolError(
        f"Invalid {name} {value!r}: expected a positive integer id or a Zoom UUID "
        "(22 base64 characters followed by '==')"
    )


def user_segment(value: str) -> str:
    if value == "me" or _EMAIL.fullmatch(value) or _USER_ID.fullmatch(value):
        return value
    raise ToolError(f"Invalid user_id {value!r}: expected 'me', an email address or a Zoom user id")


def iso_date(value: str, name: str) -> date:
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ToolError(f"Invalid {name} {value!r}: expected a real date as yyyy-mm-dd")


def date_range(start: str | None, end: str | None, default_days: int = 30) -> tuple[date, date]:
    to = iso_date(end, "to") if end else datetime.now(timezone.utc).date()
    since = iso_date(start, "from") if start else to - timedelta(days=default_days)
    if since > to:
        raise ToolError(f"Invalid range: from {since} is after to {to}")
    return since, to


def add_month(d: date) -> date:
    """The same day one month later (clamped to the month's end)."""
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=y, month=m, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_windows(since: date, to: date) -> list[tuple[date, date]]:
    """Split [since, to] into consecutive windows no longer than Zoom's one month."""
    out = []
    while since <= to:
        end = min(to, add_month(since) - timedelta(days=1))
        out.append((since, end))
        since = end + timedelta(days=1)
    return out


def occurrence(value: str | None) -> str | None:
    if value is None or _OCCURRENCE.fullmatch(value):
        return value
    raise ToolError(f"Invalid occurrence_id {value!r}: expected the digits of a Zoom occurrence id")


def start_time(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(
            f"Invalid start_time {value!r}: expected ISO 8601, e.g. 2026-05-01T14:00:00Z "
            "(UTC) or 2026-05-01T14:00:00 with timezone"
        ) from None
    return value


def tz_name(value: str | None) -> str | None:
    if value is None or _TZ.fullmatch(value):
        return value
    raise ToolError(f"Invalid timezone {value!r}: expected an IANA name such as Europe/Berlin")


# -- parameter types ---------------------------------------------------------------------------

Jq = Annotated[
    str | None,
    Field(
        max_length=2000,
        description="Optional jq filter applied to the result, e.g. '.meetings[] | {id, topic}'. "
        "Use it to return only the fields you need.",
    ),
]
UserId = Annotated[str, Field(min_length=1, max_length=128, description="'me', an email or a Zoom user id")]
MeetingId = Annotated[
    int | str, Field(description="Numeric meeting id (e.g. 85746065432) or meeting UUID (e.g. 'aBc...==')")
]
PageSize = Annotated[int, Field(ge=1, le=300, description="Items per page (1-300)")]
PageToken = Annotated[
    str | None, Field(max_length=512, description="next_page_token from a previous page, to continue")
]
MaxItems = Annotated[
    int | None,
    Field(
        ge=1,
        le=10000,
        description="Follow pages automatically and return up to this many items in one answer",
    ),
]
DateArg = Annotated[str, Field(description="Date as yyyy-mm-dd")]
OccurrenceId = Annotated[str | None, Field(max_length=20, description="Occurrence id of a recurring meeting")]


class Recurrence(BaseModel):
    """Recurrence of a type 8 (fixed time) meeting."""

    model_config = ConfigDict(extra="forbid")
    type: Literal[1, 2, 3] = Field(description="1 daily, 2 weekly, 3 monthly")
    repeat_interval: int | None = Field(None, ge=1, le=90, description="Every N days/weeks/months")
    weekly_days: str | None = Field(
        None, pattern=r"^[1-7](,[1-7])*$", description="Weekly: days, 1=Sunday..7=Saturday, e.g. '2,4'"
    )
    monthly_day: int | None = Field(None, ge=1, le=31, description="Monthly: day of the month")
    monthly_week: Literal[-1, 1, 2, 3, 4] | None = Field(None, description="Monthly: week (-1 = last)")
    monthly_week_day: int | None = Field(None, ge=1, le=7, description="Monthly: weekday, 1=Sunday")
    end_times: int | None = Field(None, ge=1, le=60, description="End after N occurrences")
    end_date_time: str | None = Field(None, description="Or end at this UTC time, e.g. 2026-12-31T00:00:00Z")


class MeetingSettings(BaseModel):
    """Common meeting settings (Zoom keeps its defaults for whatever is left out)."""

    model_config = ConfigDict(extra="forbid")
    host_video: bool | None = None
    participant_video: bool | None = None
    join_before_host: bool | None = None
    mute_upon_entry: bool | None = None
    waiting_room: bool | None = None
    meeting_authentication: bool | None = None
    approval_type: Literal[0, 1, 2] | None = Field(None, description="0 auto, 1 manual, 2 no registration")
    audio: Literal["both", "telephony", "voip", "thirdParty"] | None = None
    auto_recording: Literal["local", "cloud", "none"] | None = None
    alternative_hosts: str | None = Field(None, max_length=1024, description="Emails, ';'-separated")


Topic = Annotated[str, Field(min_length=1, max_length=200, description="Meeting topic")]
StartTime = Annotated[
    str | None,
    Field(description="Start, ISO 8601: '2026-05-01T14:00:00Z' (UTC) or local time with timezone"),
]
Duration = Annotated[int | None, Field(ge=1, le=1440, description="Minutes")]
Timezone = Annotated[str | None, Field(max_length=64, description="IANA timezone, e.g. 'Europe/Berlin'")]
Agenda = Annotated[str | None, Field(max_length=2000, description="Meeting description")]
Passcode = Annotated[
    str | None,
    Field(max_length=10, pattern=r"^[A-Za-z0-9@_*-]+$", description="Passcode, at most 10 characters"),
]
MeetingListType = Literal["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"]
MeetingType = Annotated[
    Literal[1, 2, 3, 8],
    Field(description="1 instant, 2 scheduled, 3 recurring with no fixed time, 8 recurring with fixed time"),
]


def _meeting_body(
    topic, start, duration, tz, agenda, password, mtype, recurrence: Recurrence | None, settings
) -> dict:
    body = {
        "topic": topic,
        "type": mtype,
        "start_time": start_time(start),
        "duration": duration,
        "timezone": tz_name(tz),
        "agenda": agenda,
        "password": password,
    }
    if recurrence is not None:
        if recurrence.end_date_time:
            start_time(recurrence.end_date_time)
        body["recurrence"] = recurrence.model_dump(exclude_none=True)
    if settings is not None:
        body["settings"] = settings.model_dump(exclude_none=True)
    return {k: v for k, v in body.items() if v is not None}


# -- the server --------------------------------------------------------------------------------

def _hints(read_only: bool, destructive: bool, idempotent: bool, open_world: bool = True) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


READ = _hints(read_only=True, destructive=False, idempotent=True)
LOCAL_READ = _hints(read_only=True, destructive=False, idempotent=True, open_world=False)  # no Zoom call
CREATE = _hints(read_only=False, destructive=False, idempotent=False)  # additive; repeating adds more
CHANGE = _hints(read_only=False, destructive=True, idempotent=True)  # overwrites / removes data


def create_server(client: ZoomClient, tokens: Any, *, log_level: str = "INFO") -> MCPServer:
    """Build the MCPServer with every Zoom tool bound to `client` and the token source `tokens`."""
    mcp = MCPServer("zoom", instructions=INSTRUCTIONS, log_level=log_level)

    def tool(annotations: ToolAnnotations, title: str):
        """Register fn; a ZoomError becomes a ToolError, the only kind whose text reaches the model."""

        def register(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except ZoomError as exc:
                    raise ToolError(str(exc)) from None

            mcp.add_tool(
                wrapper, name=fn.__name__, title=title, description=inspect.cleandoc(fn.__doc__ or ""),
                annotations=annotations,
            )
            return fn

        return register

    def follow(ctx: Context | None, pages, key: str, max_items: int | None):
        """Gather pages into one answer, reporting MCP progress per page when following several."""
        first = last = None
        items: list = []
        for data, text in pages:
            if max_items is None:
                return data, text
            first = data if first is None else first
            last = data
            items.extend(data.get(key) or ())
            if ctx is not None:
                anyio.from_thread.run(
                    functools.partial(ctx.report_progress, min(len(items), max_items), max_items,
                                      f"{len(items)} {key}")
                )
        merged = {k: v for k, v in (first or {}).items() if k not in ("page_size", "page_number")}
        merged[key] = items[:max_items]
        merged["next_page_token"] = (last or {}).get("next_page_token") or ""
        return merged, None

    def listing(ctx, api_path, params, key, page_size, next_page_token, max_items, jq, what, scope):
        pages = client.pages(
            api_path, params, key, page_size=page_size, next_page_token=next_page_token,
            max_items=max_items, what=what, scope=scope,
        )
        return _result(*follow(ctx, pages, key, max_items), jq)

    @tool(LOCAL_READ, "Zoom token status")
    def zoom_token_status(jq: Jq = None) -> Result:
        """Show the state of this server's Zoom access token: state (fresh, expiring, critical, expired,
        missing), expires_at (epoch seconds), seconds_left, auto_refresh_enabled and consecutive_failures.
        Use it when Zoom calls fail with token errors or to check that auto-refresh is healthy. Never
        returns the token itself."""
        return _result(tokens.status(), None, jq)

    @tool(READ, "Get a Zoom user")
    def zoom_get_user(user_id: UserId = "me", jq: Jq = None) -> Result:
        """Get one Zoom user's profile (name, email, type, timezone, PMI, status). Use user_id 'me' for
        the account's own user, or an email or user id from zoom_list_users."""
        uid = user_segment(user_id)
        return _result(*client.request("GET", path("users", uid), what=f"user {uid}", scope="user:read"), jq)

    @tool(READ, "List Zoom users")
    def zoom_list_users(
        ctx: Context,
        status: Literal["active", "inactive", "pending"] = "active",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """List the users of the Zoom account (id, email, name, type, status). Use it to find a user's
        id or email for the other tools."""
        return listing(
            ctx, "/users", {"status": status}, "users", page_size, next_page_token, max_items, jq,
            "users", "user:read:admin",
        )

    @tool(READ, "List Zoom meetings")
    def zoom_list_meetings(
        ctx: Context,
        user_id: UserId = "me",
        type: MeetingListType = "scheduled",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """List a user's meetings (id, topic, start_time, duration, join_url). type: scheduled (all
        scheduled), live, upcoming, upcoming_meetings or previous_meetings. Use zoom_get_meeting for
        one meeting's full details."""
        uid = user_segment(user_id)
        return listing(
            ctx, path("users", uid, "meetings"), {"type": type}, "meetings", page_size, next_page_token,
            max_items, jq, f"user {uid}", "meeting:read",
        )

    @tool(READ, "Get a Zoom meeting")
    def zoom_get_meeting(meeting_id: MeetingId, occurrence_id: OccurrenceId = None, jq: Jq = None) -> Result:
        """Get one meeting's details: topic, start_time, duration, timezone, agenda, join_url, settings,
        recurrence and occurrences. Use it before updating a meeting or to share its join link."""
        mid = meeting_segment(meeting_id)
        params = {"occurrence_id": occurrence(occurrence_id)} if occurrence_id else None
        return _result(
            *client.request("GET", path("meetings", mid), params=params, what=f"meeting {meeting_id}",
                            scope="meeting:read"),
            jq,
        )

    @tool(CREATE, "Create a Zoom meeting")
    def zoom_create_meeting(
        topic: Topic,
        start_time: StartTime = None,
        duration: Duration = None,
        timezone: Timezone = None,
        agenda: Agenda = None,
        password: Passcode = None,
        type: MeetingType = 2,
        recurrence: Recurrence | None = None,
        settings: MeetingSettings | None = None,
        user_id: UserId = "me",
    ) -> Result:
        """Schedule a new meeting for a user and return it (id, join_url, start_url, password). Each
        call creates another meeting: do not repeat it to retry a failure without checking
        zoom_list_meetings first."""
        uid = user_segment(user_id)
        body = _meeting_body(
            topic, start_time, duration, timezone, agenda, password, type, recurrence, settings
        )
        return _result(
            *client.request("POST", path("users", uid, "meetings"), json_body=body, what=f"user {uid}",
                            scope="meeting:write")
        )

    @tool(CHANGE, "Update a Zoom meeting")
    def zoom_update_meeting(
        meeting_id: MeetingId,
        topic: Annotated[str | None, Field(min_length=1, max_length=200, description="New topic")] = None,
        start_time: StartTime = None,
        duration: Duration = None,
        timezone: Timezone = None,
        agenda: Agenda = None,
        password: Passcode = None,
        type: MeetingType | None = None,
        recurrence: Recurrence | None = None,
        settings: MeetingSettings | None = None,
        occurrence_id: OccurrenceId = None,
    ) -> Result:
        """Change fields of an existing meeting (only the fields given; the rest stay as they are).
        With occurrence_id, changes only that occurrence of a recurring meeting."""
        mid = meeting_segment(meeting_id)
        body = _meeting_body(
            topic, start_time, duration, timezone, agenda, password, type, recurrence, settings
        )
        if not body:
            raise ToolError("Nothing to update: give at least one field to change")
        params = {"occurrence_id": occurrence(occurrence_id)} if occurrence_id else None
        client.request("PATCH", path("meetings", mid), params=params, json_body=body,
                       what=f"meeting {meeting_id}", scope="meeting:write")
        return _result({"meeting_id": meeting_id, "updated": sorted(body)})

    @tool(CHANGE, "Delete a Zoom meeting")
    def zoom_delete_meeting(
        meeting_id: MeetingId,
        occurrence_id: OccurrenceId = None,
        schedule_for_reminder: Annotated[
            bool | None, Field(description="Email the host (and alternative hosts) about the cancellation")
        ] = None,
    ) -> Result:
        """Delete a meeting, or with occurrence_id one occurrence of a recurring meeting. This cannot
        be undone: confirm with the user first."""
        mid = meeting_segment(meeting_id)
        params: dict[str, Any] = {}
        if occurrence_id:
            params["occurrence_id"] = occurrence(occurrence_id)
        if schedule_for_reminder is not None:
            params["schedule_for_reminder"] = "true" if schedule_for_reminder else "false"
        client.request("DELETE", path("meetings", mid), params=params or None, what=f"meeting {meeting_id}",
                       scope="meeting:write")
        return _result({"meeting_id": meeting_id, "occurrence_id": occurrence_id, "deleted": True})

    @tool(READ, "List past meeting participants")
    def zoom_list_past_meeting_participants(
        ctx: Context,
        meeting_id: MeetingId,
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """List who attended a meeting that has ended (name, email, join/leave time, duration). Give
        the meeting's UUID for one specific instance; a numeric id means its most recent instance."""
        mid = meeting_segment(meeting_id)
        return listing(
            ctx, path("past_meetings", mid, "participants"), {}, "participants", page_size, next_page_token,
            max_items, jq, f"past meeting {meeting_id}", "meeting:read",
        )

    @tool(READ, "List cloud recordings")
    def zoom_list_recordings(
        ctx: Context,
        user_id: UserId = "me",
        from_: Annotated[
            str | None,
            Field(validation_alias="from", description="Start date yyyy-mm-dd (default: 30 days ago)"),
        ] = None,
        to: Annotated[str | None, Field(description="End date yyyy-mm-dd (default: today)")] = None,
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """List a user's cloud recordings between two dates: each meeting with its recording_files
        (MP4, M4A, TRANSCRIPT...). Zoom serves one month per request: a longer range is fetched month by
        month and merged (next_page_token then marks the month, 'yyyy-mm-dd:token'). For one meeting's
        transcript use zoom_get_meeting_transcript."""
        uid = user_segment(user_id)
        since, until = date_range(from_, to)
        windows = month_windows(since, until)
        api_path = path("users", uid, "recordings")
        what = f"user {uid}"
        if len(windows) == 1:
            params = {"from": since.isoformat(), "to": until.isoformat()}
            return listing(ctx, api_path, params, "meetings", page_size, next_page_token, max_items, jq,
                           what, "recording:read")
        # Several months: resume at the month named in the cursor, then walk on until enough.
        start, _, token = (next_page_token or "").partition(":")
        if start and not _DATE.fullmatch(start):
            start, token = "", next_page_token or ""
        want = max_items or page_size
        meetings: list = []
        cursor = ""
        for i, (a, b) in enumerate(windows):
            if start and a.isoformat() < start:
                continue
            params = {"from": a.isoformat(), "to": b.isoformat()}
            pages = client.pages(api_path, params, "meetings", page_size=page_size, next_page_token=token,
                                 max_items=want - len(meetings), what=what, scope="recording:read")
            token = ""
            for data, _text in pages:
                meetings.extend(data.get("meetings") or ())
                token = data.get("next_page_token") or ""
            if max_items is not None:
                anyio.from_thread.run(
                    functools.partial(ctx.report_progress, i + 1, len(windows), f"{len(meetings)} meetings")
                )
            if len(meetings) >= want:
                if token:
                    cursor = f"{a.isoformat()}:{token}"
                elif i + 1 < len(windows):
                    cursor = f"{windows[i + 1][0].isoformat()}:"
                break
        merged = {
            "from": since.isoformat(),
            "to": until.isoformat(),
            "total_records": len(meetings),
            "meetings": meetings,
            "next_page_token": cursor,
        }
        return _result(merged, None, jq)

    @tool(READ, "Get a meeting's recordings")
    def zoom_get_meeting_recordings(meeting_id: MeetingId, jq: Jq = None) -> Result:
        """Get the cloud recording files of one meeting (file_type, size, play_url, download_url).
        A numeric id means the latest instance; give the UUID for an earlier one."""
        mid = meeting_segment(meeting_id)
        return _result(
            *client.request("GET", path("meetings", mid, "recordings"),
                            what=f"recordings of meeting {meeting_id}", scope="recording:read"),
            jq,
        )

    @tool(READ, "Get a meeting transcript")
    def zoom_get_meeting_transcript(meeting_id: MeetingId, jq: Jq = None) -> Result:
        """Get what was said in a recorded meeting as clean text, one speaker turn per line:
        '[hh:mm:ss] Speaker: words'. Needs a cloud recording with an audio transcript. Use it to
        summarise a meeting, find decisions or quote someone."""
        mid = meeting_segment(meeting_id)
        rec = client.get(path("meetings", mid, "recordings"), what=f"recordings of meeting {meeting_id}",
                         scope="recording:read") or {}
        files = [
            f for f in rec.get("recording_files") or ()
            if f.get("file_type") == "TRANSCRIPT" or str(f.get("file_extension", "")).upper() == "VTT"
        ]
        if not files or not files[0].get("download_url"):
            raise ToolError(
                f"Meeting {meeting_id} has no transcript: its cloud recording has no TRANSCRIPT file "
                "(audio transcription may be off, or still processing)"
            )
        from vtt import vtt_to_text

        raw = client.download_text(files[0]["download_url"], what=f"transcript of meeting {meeting_id}")
        text = vtt_to_text(raw)
        return _result(
            {
                "meeting_id": rec.get("id", meeting_id),
                "uuid": rec.get("uuid"),
                "topic": rec.get("topic"),
                "start_time": rec.get("start_time"),
                "turns": text.count("\n") + 1 if text else 0,
                "transcript": text,
            },
            None,
            jq,
        )

    @tool(READ, "Get a meeting summary")
    def zoom_get_meeting_summary(meeting_id: MeetingId, jq: Jq = None) -> Result:
        """Get the AI Companion summary of a meeting that has ended: overview, details and next steps.
        Give the meeting UUID for a specific instance. Prefer it to the transcript for a quick recap."""
        mid = meeting_segment(meeting_id)
        return _result(
            *client.request("GET", path("meetings", mid, "meeting_summary"),
                            what=f"summary of meeting {meeting_id}", scope="meeting_summary:read"),
            jq,
        )

    @tool(READ, "List Zoom webinars")
    def zoom_list_webinars(
        ctx: Context,
        user_id: UserId = "me",
        type: Literal["scheduled", "upcoming"] = "scheduled",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """List a user's webinars (id, topic, start_time, duration, join_url). Use zoom_get_webinar for
        one webinar's details."""
        uid = user_segment(user_id)
        return listing(
            ctx, path("users", uid, "webinars"), {"type": type}, "webinars", page_size, next_page_token,
            max_items, jq, f"user {uid}", "webinar:read",
        )

    @tool(READ, "Get a Zoom webinar")
    def zoom_get_webinar(
        webinar_id: Annotated[int | str, Field(description="Numeric webinar id or webinar UUID")],
        occurrence_id: OccurrenceId = None,
        jq: Jq = None,
    ) -> Result:
        """Get one webinar's details: topic, start_time, duration, agenda, join_url, settings."""
        wid = meeting_segment(webinar_id, "webinar_id")
        params = {"occurrence_id": occurrence(occurrence_id)} if occurrence_id else None
        return _result(
            *client.request("GET", path("webinars", wid), params=params, what=f"webinar {webinar_id}",
                            scope="webinar:read"),
            jq,
        )

    @tool(READ, "Report: meetings held")
    def zoom_report_meetings(
        ctx: Context,
        from_: Annotated[str, Field(validation_alias="from", description="Start date yyyy-mm-dd")],
        to: Annotated[str, Field(description="End date yyyy-mm-dd (at most one month after from)")],
        user_id: UserId = "me",
        type: Literal["past", "pastOne", "pastJoined"] = "past",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: Jq = None,
    ) -> Result:
        """Usage report of the meetings a user held between two dates (topic, start/end, duration,
        participants_count). Zoom reports cover one month per call. Needs a paid account's reports."""
        uid = user_segment(user_id)
        since, until = date_range(from_, to)
        if until > add_month(since):
            raise ToolError(
                f"Range {since}..{until} is longer than Zoom's one month for reports: split it into months"
            )
        params = {"from": since.isoformat(), "to": until.isoformat(), "type": type}
        return listing(
            ctx, path("report", "users", uid, "meetings"), params, "meetings", page_size, next_page_token,
            max_items, jq, f"user {uid}", "report:read:admin",
        )

    return mcp


# -- entry point -------------------------------------------------------------------------------


def _setting(name: str, file_values: dict, default: str) -> str:
    return os.environ.get(name) or file_values.get(name) or default


def main() -> int:
    level = (os.environ.get("ZOOM_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        level = "INFO"
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from token_monitor import SettingsError, TokenMonitor

    try:
        monitor = TokenMonitor()
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    from dotenv import dotenv_values

    try:
        file_values = dotenv_values(monitor.env_file, interpolate=False) if monitor.env_file.exists() else {}
    except OSError:
        file_values = {}
    try:
        timeout = float(_setting("ZOOM_HTTP_TIMEOUT", file_values, "15"))
        transport = _setting("ZOOM_MCP_TRANSPORT", file_values, "stdio").lower()
        port = int(_setting("ZOOM_MCP_PORT", file_values, "8000"))
    except ValueError as exc:
        log.error("bad setting: %s", exc)
        return 2
    if transport not in ("stdio", "http", "streamable-http"):
        log.error("ZOOM_MCP_TRANSPORT=%s: expected stdio or http", transport)
        return 2
    client = ZoomClient(_setting("ZOOM_API_BASE_URL", file_values, ""), monitor, timeout=timeout)
    server = create_server(client, monitor, log_level=level)
    monitor.start()
    try:
        if transport == "stdio":
            server.run()
        else:
            log.info("serving streamable HTTP on http://127.0.0.1:%d/mcp", port)
            server.run("streamable-http", host="127.0.0.1", port=port, streamable_http_path="/mcp")
    except KeyboardInterrupt:
        pass
    finally:
        monitor.stop()
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
