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
import signal
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal, NamedTuple

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema

import jq_sandbox
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


class _Filter(NamedTuple):
    """A result still to go through the caller's jq filter (in the sandbox, off the event loop)."""

    data: Any
    text: str | None
    expr: str


def _result(data: Any, text: str | None = None, jq_filter: str | None = None) -> Any:
    """Wrap a result; `text` is Zoom's own JSON body, reused so the hot path never re-serialises."""
    if jq_filter:
        return _Filter(data, text, jq_filter)
    if not isinstance(data, dict):
        data, text = {"result": data}, None
    if text is None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def apply_jq(pool: jq_sandbox.JqPool, pending: _Filter, job: jq_sandbox.Job | None = None) -> CallToolResult:
    """Run the filter in the sandbox pool (blocking); its errors are ToolErrors."""
    text = pending.text or json.dumps(pending.data, ensure_ascii=False, separators=(",", ":"))
    try:
        out = pool.run(pending.expr, text, job)
    except jq_sandbox.JqError as exc:
        raise ToolError(str(exc)) from None
    return CallToolResult(content=[TextContent(type="text", text=out)], structured_content=json.loads(out))


async def check_filter(pool: jq_sandbox.JqPool, expr: str) -> None:
    """Refuse a broken or unsafe filter before any Zoom request: compiled in a worker process, off
    the event loop (never in this process: jq builds constants while compiling); a JqError becomes a
    ToolError. Cancelling the call stops the compile."""
    if pool.known(expr):  # compiled before: no thread hop
        return
    job = jq_sandbox.Job()
    try:
        await anyio.to_thread.run_sync(pool.check, expr, job, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        job.cancel()
        raise
    except jq_sandbox.JqError as exc:
        raise ToolError(str(exc)) from None


async def run_filter(pool: jq_sandbox.JqPool, pending: _Filter) -> CallToolResult:
    """apply_jq off the event loop; cancelling the call (or stopping the server) stops the filter."""
    job = jq_sandbox.Job()
    try:
        return await anyio.to_thread.run_sync(apply_jq, pool, pending, job, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        job.cancel()
        raise


# -- input validation (before any request) -------------------------------------------------------

_UUID = re.compile(r"[A-Za-z0-9+/]{22}==")
_USER_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
_EMAIL = re.compile(r"[^@\s/\\?#]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OCCURRENCE = re.compile(r"\d{1,20}")
_TZ = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?")
_INT64_MAX = 2**63 - 1


def _shown(value: Any) -> str:
    """A rejected value as the error shows it: trimmed, JSON for non-strings, long ones cut."""
    if isinstance(value, str):
        s = value.strip()
        return repr(s if len(s) <= 48 else s[:45] + "...")
    try:
        return json.dumps(value)[:48]
    except (TypeError, ValueError):
        return type(value).__name__


def meeting_ref(value: Any, name: str = "meeting_id") -> int | str:
    """A positive int64 id, or a Zoom UUID (as given, not yet encoded); else a ToolError.

    Surrounding whitespace is forgiven. JSON true/false is not an id (Python's bool is an int)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value <= _INT64_MAX:
            return value
    elif isinstance(value, str):
        s = value.strip()
        if len(s) <= 19 and s.isascii() and s.isdigit() and 0 < int(s) <= _INT64_MAX:
            return int(s)
        if _UUID.fullmatch(s):
            return s
    raise ToolError(
        f"Invalid {name} {_shown(value)}: expected a positive integer id or a Zoom UUID "
        "(22 base64 characters followed by '==')"
    )


def meeting_number(value: Any, name: str = "meeting_id") -> int:
    """The numeric id only: Zoom's spec types GET/PATCH/DELETE /meetings/{meetingId} as int64."""
    ref = meeting_ref(value, name)
    if isinstance(ref, str):
        raise ToolError(
            f"{name} {ref!r} is a meeting UUID: a UUID names one past instance of a meeting, and this tool "
            "takes the numeric meeting id (e.g. 85746065432; zoom_list_meetings lists them). For a past "
            "instance, use its UUID with zoom_list_past_meeting_participants, zoom_get_meeting_recordings, "
            "zoom_get_meeting_summary or zoom_get_meeting_transcript."
        )
    return ref


def meeting_segment(value: Any, name: str = "meeting_id") -> int | str:
    """A meeting id or UUID as a URL path segment (a UUID encoded as Zoom wants)."""
    ref = meeting_ref(value, name)
    return ref if isinstance(ref, int) else uuid_segment(ref)


def user_segment(value: str) -> str:
    s = value.strip() if isinstance(value, str) else ""
    if len(s) <= 128 and (s == "me" or _EMAIL.fullmatch(s) or _USER_ID.fullmatch(s)):
        return s
    raise ToolError(f"Invalid user_id {_shown(value)}: expected 'me', an email address or a Zoom user id")


def iso_date(value: str, name: str) -> date:
    s = value.strip() if isinstance(value, str) else ""
    try:
        if _DATE.fullmatch(s):
            return date.fromisoformat(s)
    except ValueError:
        pass
    raise ToolError(f"Invalid {name} {_shown(value)}: expected a real date as yyyy-mm-dd")


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
    if value is None:
        return None
    s = value.strip() if isinstance(value, str) else ""
    if _OCCURRENCE.fullmatch(s):
        return s
    raise ToolError(f"Invalid occurrence_id {_shown(value)}: expected the digits of a Zoom occurrence id")


def start_time(value: str | None, name: str = "start_time", *, utc: bool = False) -> str | None:
    """Zoom's two documented forms: yyyy-MM-ddTHH:mm:ssZ (UTC), or yyyy-MM-ddTHH:mm:ss read in the
    meeting's `timezone` (the account's when none is given). A UTC offset (+02:00) is converted to
    UTC 'Z' rather than refused: same instant, Zoom's form. Dates alone and fractions are refused.
    With utc=True (recurrence end), only 'Z' or an offset will do."""
    if value is None:
        return None
    s = value.strip() if isinstance(value, str) else ""
    m = _DATETIME.fullmatch(s)
    try:
        when = datetime.fromisoformat(s.replace("Z", "+00:00")) if m else None
    except ValueError:
        when = None
    if when is None or (utc and not m.group(1)):
        example = "2026-05-01T14:00:00Z" + ("" if utc else " (UTC) or 2026-05-01T14:00:00 with timezone")
        raise ToolError(f"Invalid {name} {_shown(value)}: expected {example}")
    if m.group(1) and m.group(1) != "Z":
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return s


def tz_name(value: str | None) -> str | None:
    if value is None:
        return None
    s = value.strip() if isinstance(value, str) else ""
    if len(s) <= 64 and _TZ.fullmatch(s):
        return s
    raise ToolError(f"Invalid timezone {_shown(value)}: expected an IANA name such as Europe/Berlin")


# -- parameter types ---------------------------------------------------------------------------

_FIELD_NAMES = {"from_": "from"}  # Python names that differ from the argument's


def _arg(tp: Any, check, schema: dict, description: str | None = None) -> Any:
    """A parameter type checked by `check` (with its clear message) and shown to the model as `schema`.

    The check runs as a pydantic validator, so a bad value never reaches the tool body (and makes no
    Zoom request); its ToolError becomes the ValueError pydantic reports, naming the argument."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        try:
            return check(value, _FIELD_NAMES.get(info.field_name, info.field_name))
        except ToolError as exc:
            raise ValueError(str(exc)) from None

    meta: tuple = (BeforeValidator(validate), WithJsonSchema(schema))
    if description:
        meta += (Field(description=description),)
    return Annotated[(tp, *meta)]


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def jq_arg(example: str):
    """The optional jq parameter, with an example that fits the tool's own result."""
    return Annotated[
        str | None,
        Field(
            max_length=2000,
            description=f"Optional jq filter applied to the result, e.g. '{example}'. "
            "Use it to return only the fields you need.",
        ),
    ]


_INT_ID = {"type": "integer", "minimum": 1, "maximum": _INT64_MAX}
_NUMERIC_STRING = r"^[0-9]{1,19}$"
_UUID_PATTERN = r"^(?:[0-9]{1,19}|[A-Za-z0-9+/]{22}==)$"
MeetingNumber = _arg(
    int | str, meeting_number, {"anyOf": [_INT_ID, {"type": "string", "pattern": _NUMERIC_STRING}]},
    "Numeric meeting id, e.g. 85746065432 (not a UUID)",
)
MeetingRef = _arg(
    int | str, meeting_ref, {"anyOf": [_INT_ID, {"type": "string", "pattern": _UUID_PATTERN}]},
    "Numeric meeting id (its most recent instance) or the UUID of one instance "
    "(e.g. 'aDYlohsHRtCd4ii1uC2+hA==')",
)
WebinarRef = _arg(
    int | str, meeting_ref, {"anyOf": [_INT_ID, {"type": "string", "pattern": _UUID_PATTERN}]},
    "Numeric webinar id, or the UUID of one past instance",
)
_USER_PATTERN = r"^(?:me|[A-Za-z0-9_-]{6,64}|[^@\s/\\?#]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$"
UserId = _arg(
    str, lambda v, _name: user_segment(v),
    {"type": "string", "minLength": 2, "maxLength": 128, "pattern": _USER_PATTERN},
    "'me', an email or a Zoom user id",
)
_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def _date_check(value: Any, name: str) -> str | None:
    return None if value is None else iso_date(value, name).isoformat()


DateArg = _arg(str, _date_check, _DATE_SCHEMA)
OptionalDate = _arg(str | None, _date_check, _nullable(_DATE_SCHEMA))
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
OccurrenceId = _arg(
    str | None, lambda v, _name: occurrence(v), _nullable({"type": "string", "pattern": r"^[0-9]{1,20}$"}),
    "Occurrence id of a recurring meeting (digits, from its occurrences)",
)
_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$"


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
    end_date_time: _arg(
        str | None, lambda v, name: start_time(v, name, utc=True),
        _nullable({"type": "string", "pattern": _DATETIME_PATTERN.replace(")?$", ")$")}),
    ) = Field(None, description="Or end at this time, UTC: e.g. 2026-12-31T00:00:00Z")


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
StartTime = _arg(
    str | None, start_time, _nullable({"type": "string", "pattern": _DATETIME_PATTERN}),
    "Start: '2026-05-01T14:00:00Z' (UTC), or '2026-05-01T14:00:00' in `timezone` (the account's if none); "
    "an offset such as +02:00 is converted to UTC",
)
Duration = Annotated[int | None, Field(ge=1, le=1440, description="Minutes")]
Timezone = _arg(
    str | None, lambda v, _name: tz_name(v),
    _nullable({"type": "string", "maxLength": 64, "pattern": r"^[A-Za-z][A-Za-z0-9_+/-]*$"}),
    "IANA timezone, e.g. 'Europe/Berlin'",
)
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
    # start and tz arrive checked and normalised by their argument types.
    body = {
        "topic": topic,
        "type": mtype,
        "start_time": start,
        "duration": duration,
        "timezone": tz,
        "agenda": agenda,
        "password": password,
    }
    if recurrence is not None:
        body["recurrence"] = recurrence.model_dump(exclude_none=True)
    if settings is not None:
        body["settings"] = settings.model_dump(exclude_none=True)
    return {k: v for k, v in body.items() if v is not None}


# The scopes each call needs, as Zoom's spec lists them (x-granular-scopes / x-macro-scopes) for a
# Server-to-Server OAuth app, i.e. the :admin ones: granular first, then the classic one where the
# spec lists it. Error texts name these when Zoom's own message names none.
_S2S_SCOPES = {  # operation: (granular, classic or None)
    "GET /users/{userId}": ("user:read:user:admin", "user:read:admin"),
    "GET /users": ("user:read:list_users:admin", "user:read:admin"),
    "GET /users/{userId}/meetings": ("meeting:read:list_meetings:admin", "meeting:read:admin"),
    "GET /meetings/{meetingId}": ("meeting:read:meeting:admin", "meeting:read:admin"),
    "POST /users/{userId}/meetings": ("meeting:write:meeting:admin", "meeting:write:admin"),
    "PATCH /meetings/{meetingId}": ("meeting:update:meeting:admin", "meeting:write:admin"),
    "DELETE /meetings/{meetingId}": ("meeting:delete:meeting:admin", "meeting:write:admin"),
    "GET /past_meetings/{meetingId}/participants": ("meeting:read:list_past_participants:admin",
                                                    "meeting:read:admin"),
    "GET /users/{userId}/recordings": ("cloud_recording:read:list_user_recordings:admin",
                                       "recording:read:admin"),
    "GET /meetings/{meetingId}/recordings": ("cloud_recording:read:list_recording_files:admin", None),
    "GET /meetings/{meetingId}/meeting_summary": ("meeting:read:summary:admin", "meeting_summary:read:admin"),
    "GET /users/{userId}/webinars": ("webinar:read:list_webinars:admin", "webinar:read:admin"),
    "GET /webinars/{webinarId}": ("webinar:read:webinar:admin", "webinar:read:admin"),
    "GET /report/users/{userId}/meetings": ("report:read:user:admin", "report:read:admin"),
}
S2S_SCOPES = {
    op: f"{granular} (granular)" + (f" or {classic} (classic)" if classic else "")
    for op, (granular, classic) in _S2S_SCOPES.items()
}

MAX_MONTHS = 12  # month windows one zoom_list_recordings call walks at most


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


def _report(ctx: Context | None, done: float, total: float | None, message: str) -> None:
    """MCP progress from a tool's worker thread (a no-op unless the client asked for progress)."""
    if ctx is not None:
        anyio.from_thread.run(functools.partial(ctx.report_progress, done, total, message))


def create_server(
    client: ZoomClient, tokens: Any, *, log_level: str = "INFO", jq_pool: jq_sandbox.JqPool | None = None
) -> MCPServer:
    """Build the MCPServer with every Zoom tool bound to `client` and the token source `tokens`.

    jq filters run in `jq_pool` (a new one if none is given: its owner closes it, see main())."""
    mcp = MCPServer("zoom", instructions=INSTRUCTIONS, log_level=log_level)
    pool = jq_pool or jq_sandbox.JqPool()

    def tool(annotations: ToolAnnotations, title: str):
        """Register fn (sync, run in a worker thread as the SDK would); a ZoomError becomes a ToolError,
        the only kind whose text reaches the model. A jq filter is compiled before fn runs (a broken one
        makes no Zoom request) and applied after it, in the sandbox."""

        def register(fn):
            @functools.wraps(fn)
            async def wrapper(**kwargs):
                expr = kwargs.get("jq")
                if expr:
                    await check_filter(pool, expr)
                try:
                    out = await anyio.to_thread.run_sync(functools.partial(fn, **kwargs))
                except ZoomError as exc:
                    raise ToolError(str(exc)) from None
                return await run_filter(pool, out) if type(out) is _Filter else out

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
            _report(ctx, min(len(items), max_items), max_items, f"{len(items)} {key}")
        merged = {k: v for k, v in (first or {}).items() if k not in ("page_size", "page_number")}
        merged[key] = items[:max_items]
        merged["next_page_token"] = (last or {}).get("next_page_token") or ""
        return merged, None

    def listing(ctx, api_path, params, key, page_size, next_page_token, max_items, jq, what, scope):
        pages = client.pages(
            api_path, params, key, page_size=page_size, next_page_token=next_page_token,
            max_items=max_items, what=what, scope=S2S_SCOPES[scope],
        )
        return _result(*follow(ctx, pages, key, max_items), jq)

    def get(api_path: str, what: str, scope: str, jq: str | None, params: dict | None = None):
        data, text = client.request("GET", api_path, params=params, what=what, scope=S2S_SCOPES[scope])
        return _result(data, text, jq)

    @tool(LOCAL_READ, "Zoom token status")
    def zoom_token_status(jq: jq_arg(".seconds_left") = None) -> Result:
        """Show the state of this server's Zoom access token: state (fresh, expiring, critical, expired,
        missing), expires_at (epoch seconds), seconds_left, auto_refresh_enabled and consecutive_failures.
        Use it when Zoom calls fail with token errors or to check that auto-refresh is healthy. Never
        returns the token itself."""
        return _result(tokens.status(), None, jq)

    @tool(READ, "Get a Zoom user")
    def zoom_get_user(user_id: UserId = "me", jq: jq_arg("{email, timezone, pmi}") = None) -> Result:
        """Get one Zoom user's profile (name, email, type, timezone, PMI, status). Use user_id 'me' for
        the account's own user, or an email or user id from zoom_list_users."""
        return get(path("users", user_id), f"user {user_id}", "GET /users/{userId}", jq)

    @tool(READ, "List Zoom users")
    def zoom_list_users(
        ctx: Context,
        status: Literal["active", "inactive", "pending"] = "active",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.users[] | {id, email}]") = None,
    ) -> Result:
        """List the users of the Zoom account (id, email, name, type, status). Use it to find a user's
        id or email for the other tools."""
        return listing(
            ctx, "/users", {"status": status}, "users", page_size, next_page_token, max_items, jq,
            "users", "GET /users",
        )

    @tool(READ, "List Zoom meetings")
    def zoom_list_meetings(
        ctx: Context,
        user_id: UserId = "me",
        type: MeetingListType = "scheduled",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.meetings[] | {id, topic, start_time}]") = None,
    ) -> Result:
        """List a user's meetings (id, topic, start_time, duration, join_url). type: scheduled (all
        scheduled), live, upcoming, upcoming_meetings or previous_meetings. Use zoom_get_meeting for
        one meeting's full details."""
        return listing(
            ctx, path("users", user_id, "meetings"), {"type": type}, "meetings", page_size, next_page_token,
            max_items, jq, f"user {user_id}", "GET /users/{userId}/meetings",
        )

    @tool(READ, "Get a Zoom meeting")
    def zoom_get_meeting(
        meeting_id: MeetingNumber,
        occurrence_id: OccurrenceId = None,
        jq: jq_arg("{topic, start_time, join_url}") = None,
    ) -> Result:
        """Get one meeting's details: topic, start_time, duration, timezone, agenda, join_url, settings,
        recurrence and occurrences. Takes the numeric meeting id (Zoom's API has no UUID form here).
        Use it before updating a meeting or to share its join link."""
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        return get(path("meetings", meeting_id), f"meeting {meeting_id}", "GET /meetings/{meetingId}", jq,
                   params)

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
        body = _meeting_body(
            topic, start_time, duration, timezone, agenda, password, type, recurrence, settings
        )
        return _result(
            *client.request("POST", path("users", user_id, "meetings"), json_body=body,
                            what=f"user {user_id}",
                            scope=S2S_SCOPES["POST /users/{userId}/meetings"])
        )

    @tool(CHANGE, "Update a Zoom meeting")
    def zoom_update_meeting(
        meeting_id: MeetingNumber,
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
        """Change fields of an existing meeting: reschedule it, rename it, change its agenda, passcode
        or settings (only the fields given; the rest stay as they are). Use it when the user wants to
        change a meeting rather than create a new one; take the numeric id from zoom_list_meetings.
        With occurrence_id, changes only that occurrence of a recurring meeting."""
        body = _meeting_body(
            topic, start_time, duration, timezone, agenda, password, type, recurrence, settings
        )
        if not body:
            raise ToolError("Nothing to update: give at least one field to change")
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        client.request("PATCH", path("meetings", meeting_id), params=params, json_body=body,
                       what=f"meeting {meeting_id}", scope=S2S_SCOPES["PATCH /meetings/{meetingId}"])
        return _result({"meeting_id": meeting_id, "updated": sorted(body)})

    @tool(CHANGE, "Delete a Zoom meeting")
    def zoom_delete_meeting(
        meeting_id: MeetingNumber,
        occurrence_id: OccurrenceId = None,
        schedule_for_reminder: Annotated[
            bool | None, Field(description="Email the host (and alternative hosts) about the cancellation")
        ] = None,
    ) -> Result:
        """Delete a meeting (by its numeric id), or with occurrence_id one occurrence of a recurring
        meeting. This cannot be undone: confirm with the user first."""
        params: dict[str, Any] = {}
        if occurrence_id:
            params["occurrence_id"] = occurrence_id
        if schedule_for_reminder is not None:
            params["schedule_for_reminder"] = "true" if schedule_for_reminder else "false"
        client.request("DELETE", path("meetings", meeting_id), params=params or None,
                       what=f"meeting {meeting_id}",
                       scope=S2S_SCOPES["DELETE /meetings/{meetingId}"])
        return _result({"meeting_id": meeting_id, "occurrence_id": occurrence_id, "deleted": True})

    @tool(READ, "List past meeting participants")
    def zoom_list_past_meeting_participants(
        ctx: Context,
        meeting_id: MeetingRef,
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.participants[] | {name, join_time, duration}]") = None,
    ) -> Result:
        """List who attended a meeting that has ended (name, email, join/leave time, duration). Give
        the UUID of one instance (from zoom_list_recordings or zoom_report_meetings); a numeric id
        means the meeting's most recent instance."""
        mid = meeting_segment(meeting_id)
        return listing(
            ctx, path("past_meetings", mid, "participants"), {}, "participants", page_size, next_page_token,
            max_items, jq, f"past meeting {meeting_id}", "GET /past_meetings/{meetingId}/participants",
        )

    @tool(READ, "List cloud recordings")
    def zoom_list_recordings(
        ctx: Context,
        user_id: UserId = "me",
        from_: Annotated[
            OptionalDate,
            Field(validation_alias="from", description="Start date yyyy-mm-dd (default: 30 days ago)"),
        ] = None,
        to: Annotated[OptionalDate, Field(description="End date yyyy-mm-dd (default: today)")] = None,
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.meetings[] | {uuid, topic, start_time}]") = None,
    ) -> Result:
        """List a user's cloud recordings between two dates, newest first: each meeting instance
        (uuid, id, topic, start_time) with its recording_files (MP4, M4A, TRANSCRIPT...). Zoom serves
        one month per request, so a longer range is fetched month by month, newest month first, and
        merged: the answer then has 'returned' (meetings in this answer) instead of Zoom's
        total_records. One call walks at most 12 months; when the range holds more, or more
        meetings than asked for, next_page_token ('yyyy-mm-dd:token') continues where it stopped.
        For one meeting's transcript use zoom_get_meeting_transcript."""
        since, until = date_range(from_, to)
        windows = month_windows(since, until)
        api_path = path("users", user_id, "recordings")
        what = f"user {user_id}"
        scope = "GET /users/{userId}/recordings"
        if len(windows) == 1:
            params = {"from": since.isoformat(), "to": until.isoformat()}
            return listing(ctx, api_path, params, "meetings", page_size, next_page_token, max_items, jq,
                           what, scope)
        # Several months, newest first (Zoom lists newest first within a month, so the merged list
        # keeps one order). Resume at the month named in the cursor, then walk on until enough.
        start, _, token = (next_page_token or "").partition(":")
        if start and not _DATE.fullmatch(start):
            start, token = "", next_page_token or ""
        todo = [w for w in reversed(windows) if not start or w[0].isoformat() <= start]
        want = max_items or page_size
        meetings: list = []
        cursor = ""
        pages_done = 0
        for i, (a, b) in enumerate(todo):
            if i == MAX_MONTHS:  # bounded work per call: the cursor picks up from this month
                cursor = f"{a.isoformat()}:"
                break
            params = {"from": a.isoformat(), "to": b.isoformat()}
            pages = client.pages(api_path, params, "meetings", page_size=page_size, next_page_token=token,
                                 max_items=want - len(meetings), what=what, scope=S2S_SCOPES[scope])
            token = ""
            for data, _text in pages:
                meetings.extend(data.get("meetings") or ())
                token = data.get("next_page_token") or ""
                pages_done += 1
                # Progress counts pages (it must grow with every report; an empty month adds no meetings).
                _report(ctx, pages_done, None, f"{len(meetings)} meetings; {a}..{b} fetched")
            if len(meetings) >= want:
                if token:
                    cursor = f"{a.isoformat()}:{token}"
                elif i + 1 < len(todo):
                    cursor = f"{todo[i + 1][0].isoformat()}:"
                break
        merged = {
            "from": since.isoformat(),
            "to": until.isoformat(),
            "returned": len(meetings),
            "meetings": meetings,
            "next_page_token": cursor,
        }
        return _result(merged, None, jq)

    @tool(READ, "Get a meeting's recordings")
    def zoom_get_meeting_recordings(
        meeting_id: MeetingRef, jq: jq_arg("[.recording_files[] | {file_type, file_size, play_url}]") = None
    ) -> Result:
        """Get the cloud recording files of one meeting (file_type, size, play_url, download_url).
        Takes the numeric id (the latest instance) or the UUID of an earlier instance."""
        return get(path("meetings", meeting_segment(meeting_id), "recordings"),
                   f"recordings of meeting {meeting_id}", "GET /meetings/{meetingId}/recordings", jq)

    @tool(READ, "Get a meeting transcript")
    def zoom_get_meeting_transcript(meeting_id: MeetingRef, jq: jq_arg(".transcript") = None) -> Result:
        """Get what was said in a recorded meeting as clean text, one speaker turn per line:
        '[hh:mm:ss] Speaker: words'. Needs a cloud recording with an audio transcript. Takes the
        numeric id (the latest instance) or the UUID of an earlier instance. Use it to summarise a
        meeting, find decisions or quote someone."""
        mid = meeting_segment(meeting_id)
        scope = S2S_SCOPES["GET /meetings/{meetingId}/recordings"]
        rec = client.get(path("meetings", mid, "recordings"), what=f"recordings of meeting {meeting_id}",
                         scope=scope) or {}
        vtts = [
            f for f in rec.get("recording_files") or ()
            if f.get("download_url")
            and (f.get("file_type") == "TRANSCRIPT" or str(f.get("file_extension", "")).upper() == "VTT")
        ]
        # The audio transcript (with speakers) first; closed captions (CC, also .vtt) only without one.
        chosen = next((f for f in vtts if f.get("file_type") == "TRANSCRIPT"), None) or next(iter(vtts), None)
        if chosen is None:
            raise ToolError(
                f"Meeting {meeting_id} has no transcript: its cloud recording has no TRANSCRIPT file "
                "(audio transcription may be off, or still processing)"
            )
        from vtt import vtt_to_text

        raw = client.download_text(chosen["download_url"], what=f"transcript of meeting {meeting_id}",
                                   scope=scope)
        text = vtt_to_text(raw)
        return _result(
            {
                "meeting_id": rec.get("id", meeting_id),
                "uuid": rec.get("uuid"),
                "topic": rec.get("topic"),
                "start_time": rec.get("start_time"),
                "source": chosen.get("file_type"),
                "turns": text.count("\n") + 1 if text else 0,
                "transcript": text,
            },
            None,
            jq,
        )

    @tool(READ, "Get a meeting summary")
    def zoom_get_meeting_summary(
        meeting_id: MeetingRef, jq: jq_arg("{summary_overview, next_steps}") = None
    ) -> Result:
        """Get the AI Companion summary of a meeting that has ended: overview, details and next steps.
        Zoom documents this call for the UUID of one instance (from zoom_list_recordings or
        zoom_report_meetings); a numeric id is passed on as given. Prefer it to the transcript for a
        quick recap."""
        return get(path("meetings", meeting_segment(meeting_id), "meeting_summary"),
                   f"summary of meeting {meeting_id}", "GET /meetings/{meetingId}/meeting_summary", jq)

    @tool(READ, "List Zoom webinars")
    def zoom_list_webinars(
        ctx: Context,
        user_id: UserId = "me",
        type: Literal["scheduled", "upcoming"] = "scheduled",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.webinars[] | {id, topic, start_time}]") = None,
    ) -> Result:
        """List a user's webinars (id, topic, start_time, duration, join_url). Use zoom_get_webinar for
        one webinar's details."""
        return listing(
            ctx, path("users", user_id, "webinars"), {"type": type}, "webinars", page_size, next_page_token,
            max_items, jq, f"user {user_id}", "GET /users/{userId}/webinars",
        )

    @tool(READ, "Get a Zoom webinar")
    def zoom_get_webinar(
        webinar_id: WebinarRef,
        occurrence_id: OccurrenceId = None,
        jq: jq_arg("{topic, start_time, join_url}") = None,
    ) -> Result:
        """Get one webinar's details: topic, start_time, duration, agenda, join_url, settings. Use it
        when the user asks about a specific webinar (its time, link or settings) after finding its id
        with zoom_list_webinars; takes the numeric id, or a UUID for one past instance."""
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        return get(path("webinars", meeting_segment(webinar_id, "webinar_id")), f"webinar {webinar_id}",
                   "GET /webinars/{webinarId}", jq, params)

    @tool(READ, "Report: meetings held")
    def zoom_report_meetings(
        ctx: Context,
        from_: Annotated[DateArg, Field(validation_alias="from", description="Start date yyyy-mm-dd")],
        to: Annotated[DateArg, Field(description="End date yyyy-mm-dd (at most one month after from)")],
        user_id: UserId = "me",
        type: Literal["past", "pastOne", "pastJoined"] = "past",
        page_size: PageSize = 30,
        next_page_token: PageToken = None,
        max_items: MaxItems = None,
        jq: jq_arg("[.meetings[] | {uuid, topic, start_time, participants_count}]") = None,
    ) -> Result:
        """Usage report of the meetings a user held between two dates (uuid, topic, start/end, duration,
        participants_count). Zoom reports cover one month per call. Needs a paid account's reports."""
        since, until = date_range(from_, to)
        if until > add_month(since):
            raise ToolError(
                f"Range {since}..{until} is longer than Zoom's one month for reports: split it into months"
            )
        params = {"from": since.isoformat(), "to": until.isoformat(), "type": type}
        return listing(
            ctx, path("report", "users", user_id, "meetings"), params, "meetings", page_size, next_page_token,
            max_items, jq, f"user {user_id}", "GET /report/users/{userId}/meetings",
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
        jq_timeout = float(_setting("ZOOM_JQ_TIMEOUT", file_values, str(jq_sandbox.TIMEOUT)))
    except ValueError as exc:
        log.error("bad setting: %s", exc)
        return 2
    if transport not in ("stdio", "http", "streamable-http"):
        log.error("ZOOM_MCP_TRANSPORT=%s: expected stdio or http", transport)
        return 2
    if not 0 < jq_timeout <= 300:
        log.error("ZOOM_JQ_TIMEOUT=%s: expected seconds, more than 0 and at most 300", jq_timeout)
        return 2
    client = ZoomClient(_setting("ZOOM_API_BASE_URL", file_values, ""), monitor, timeout=timeout)
    pool = jq_sandbox.JqPool(timeout=jq_timeout)
    server = create_server(client, monitor, log_level=level, jq_pool=pool)
    monitor.start()
    code = 0
    try:
        if transport == "stdio":
            # SIGTERM ends the process at once, as before, but first the jq workers (busy ones would
            # otherwise run on until their own alarm).
            def on_sigterm(signum, frame):
                pool.close()
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

            signal.signal(signal.SIGTERM, on_sigterm)
            server.run()
        else:
            import http_transport

            code = http_transport.serve(server, port=port, level=level, pool=pool, env_file=monitor.env_file,
                                        file_values=file_values)
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
        monitor.stop()
        client.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
