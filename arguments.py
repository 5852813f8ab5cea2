"""Tool arguments: the checks that run before any Zoom request, and the lean schemas the model sees.

Each argument type pairs a strict check (a pydantic validator with a clear message naming the
argument) with a short JSON schema for `tools/list`. The checks are the contract; the schema only
helps the model choose and fill a call, so it leaves out what the server enforces anyway (patterns,
int64 bounds) and what the server's instructions say once for every tool (ids, dates, paging, jq).
Every pattern is ASCII: Python's `\\d` would let Arabic-Indic digits through to Zoom.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema

from zoom_client import uuid_segment

_UUID = re.compile(r"[A-Za-z0-9+/]{22}==")
_USER_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
_EMAIL = re.compile(r"[^@\s/\\?#]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OCCURRENCE = re.compile(r"[0-9]{1,20}")
_TZ = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?")
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


# -- checks (each returns the normalised value or raises a ToolError for the model) -------------


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
        if DATE.fullmatch(s):
            return date.fromisoformat(s)
    except ValueError:
        pass
    raise ToolError(f"Invalid {name} {_shown(value)}: expected a real date as yyyy-mm-dd")


def date_range(start: str | None, end: str | None, default_days: int = 30, *,
               today: date | None = None) -> tuple[date, date]:
    """[from, to] from optional dates: `to` defaults to today (UTC), `from` to default_days before it."""
    to = iso_date(end, "to") if end else (today or datetime.now(timezone.utc).date())
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


# -- argument types: a check for the server, a lean schema for the model -----------------------

_FIELD_NAMES = {"from_": "from"}  # Python names that differ from the argument's


def _arg(tp: Any, check, schema: dict) -> Any:
    """A parameter type checked by `check` (with its clear message) and shown to the model as `schema`.

    The check runs as a pydantic validator, so a bad value never reaches the tool body (and makes no
    Zoom request); its ToolError becomes the ValueError pydantic reports, naming the argument."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        try:
            return check(value, _FIELD_NAMES.get(info.field_name, info.field_name))
        except ToolError as exc:
            raise ValueError(str(exc)) from None

    return Annotated[tp, BeforeValidator(validate), WithJsonSchema(schema)]


def lean(tp: Any, schema: dict) -> Any:
    """A plain pydantic type (its own constraints stay the check) shown to the model as `schema`."""
    return Annotated[tp, WithJsonSchema(schema)]


_STR = {"type": "string"}
_INT = {"type": "integer"}


def _date_check(value: Any, name: str) -> str | None:
    return None if value is None else iso_date(value, name).isoformat()


MeetingNumber = _arg(int | str, meeting_number, _INT)
MeetingRef = _arg(int | str, meeting_ref, {"type": ["integer", "string"]})  # id or instance UUID
WebinarRef = MeetingRef
UserId = _arg(str, lambda v, _name: user_segment(v), _STR)
DateArg = _arg(str, _date_check, _STR)
OptionalDate = _arg(str | None, _date_check, _STR)
OccurrenceId = _arg(str | None, lambda v, _name: occurrence(v), _STR)
PageSize = lean(Annotated[int, Field(ge=1, le=300)], _INT)
PageToken = lean(Annotated[str | None, Field(max_length=512)], _STR)
MaxItems = lean(Annotated[int | None, Field(ge=1, le=10000)], _INT)


def Jq(example: str) -> Any:  # noqa: N802 - reads as a type in signatures
    """The optional jq filter, shown by an example that fits the tool's own result (the server's
    instructions explain jq once for all tools)."""
    return lean(Annotated[str | None, Field(max_length=2000)],
                 {"type": "string", "description": f"e.g. {example}"})


class Recurrence(BaseModel):
    """Recurrence of a type 8 (fixed time) meeting."""

    model_config = ConfigDict(extra="forbid")
    type: Literal[1, 2, 3]
    repeat_interval: int | None = Field(None, ge=1, le=90)
    weekly_days: str | None = Field(None, pattern=r"^[1-7](,[1-7])*$")
    monthly_day: int | None = Field(None, ge=1, le=31)
    monthly_week: Literal[-1, 1, 2, 3, 4] | None = None
    monthly_week_day: int | None = Field(None, ge=1, le=7)
    end_times: int | None = Field(None, ge=1, le=60)
    end_date_time: _arg(str | None, lambda v, name: start_time(v, name, utc=True), _STR) = None


class MeetingSettings(BaseModel):
    """Common meeting settings (Zoom keeps its defaults for whatever is left out)."""

    model_config = ConfigDict(extra="forbid")
    host_video: bool | None = None
    participant_video: bool | None = None
    join_before_host: bool | None = None
    mute_upon_entry: bool | None = None
    waiting_room: bool | None = None
    meeting_authentication: bool | None = None
    approval_type: Literal[0, 1, 2] | None = None
    audio: Literal["both", "telephony", "voip", "thirdParty"] | None = None
    auto_recording: Literal["local", "cloud", "none"] | None = None
    alternative_hosts: str | None = Field(None, max_length=1024)


# The nested models are checked field by field (extra="forbid"); the model sees one line each.
# The nested models are checked field by field (extra="forbid"); their fields are listed once, in
# the server's instructions (zoom_mcp.INSTRUCTIONS), not in both tools that take them.
RecurrenceArg = lean(Recurrence | None, {"type": "object"})
SettingsArg = lean(MeetingSettings | None, {"type": "object"})
Topic = lean(Annotated[str, Field(min_length=1, max_length=200)], _STR)
NewTopic = lean(Annotated[str | None, Field(min_length=1, max_length=200)], _STR)
StartTime = _arg(str | None, start_time, _STR)
Duration = lean(Annotated[int | None, Field(ge=1, le=1440)], {"type": "integer", "description": "minutes"})
Timezone = _arg(str | None, lambda v, _name: tz_name(v), {"type": "string", "description": "IANA name"})
Agenda = lean(Annotated[str | None, Field(max_length=2000)], _STR)
Passcode = lean(
    Annotated[str | None, Field(max_length=10, pattern=r"^[A-Za-z0-9@_*-]+$")],
    {"type": "string", "description": "passcode: up to 10 of A-Z a-z 0-9 @ _ * -"},
)
MeetingListType = Literal["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"]
_MEETING_TYPE = {"type": "integer", "enum": [1, 2, 3, 8],
                 "description": "1 instant, 2 scheduled, 3 recurring no fixed time, 8 recurring fixed time"}
MeetingType = lean(Literal[1, 2, 3, 8], _MEETING_TYPE)
OptionalMeetingType = lean(Literal[1, 2, 3, 8] | None, _MEETING_TYPE)
Notify = lean(bool | None, {"type": "boolean", "description": "email the host about the cancellation"})


# -- the schema the model sees --------------------------------------------------------------------


def lean_schema(schema: dict) -> dict:
    """A tool's input schema as the model needs it: pydantic's generated titles and the `null` branch
    of optional arguments dropped (an optional argument is simply not required), and defaults shown
    only for a choice among named values (the instructions give the others: user_id 'me', 30 a page)."""
    props = {}
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")
                or (k == "default" and v is not None and "enum" in prop)}
        branches = prop.get("anyOf")
        if branches and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            del prop["anyOf"]
            prop = {**rest[0], **prop} if len(rest) == 1 else {"anyOf": rest, **prop}
        props[name] = prop
    out: dict = {"type": "object", "properties": props}
    if schema.get("required"):
        out["required"] = schema["required"]
    return out
