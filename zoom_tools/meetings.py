"""Meetings: list, read, create, update, delete."""

from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from arguments import (
    Agenda,
    Duration,
    Jq,
    MaxItems,
    MeetingListType,
    MeetingNumber,
    MeetingSettings,
    MeetingType,
    NewTopic,
    Notify,
    OccurrenceId,
    OptionalMeetingType,
    PageSize,
    PageToken,
    Passcode,
    Recurrence,
    RecurrenceArg,
    SettingsArg,
    StartTime,
    Timezone,
    Topic,
    UserId,
)
from zoom_client import path
from zoom_tools.base import CHANGE, CREATE, READ, app, get, listing, result, zoom_tool


@zoom_tool(READ, "List Zoom meetings")
def zoom_list_meetings(
    ctx: Context,
    user_id: UserId = "me",
    type: MeetingListType = "scheduled",
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.meetings[] | {id, topic}]") = None,
) -> CallToolResult:
    """A user's meetings: id, topic, start_time, duration, join_url."""
    return listing(ctx, path("users", user_id, "meetings"), {"type": type}, "meetings",
                   "GET /users/{userId}/meetings", f"user {user_id}",
                   page_size=page_size, next_page_token=next_page_token, max_items=max_items, jq=jq)


@zoom_tool(READ, "Get a Zoom meeting")
def zoom_get_meeting(
    ctx: Context,
    meeting_id: MeetingNumber,
    occurrence_id: OccurrenceId = None,
    jq: Jq("{topic, join_url}") = None,
) -> CallToolResult:
    """A meeting's details (time, agenda, join_url, settings, recurrence, occurrences), e.g. before
    updating it."""
    params = {"occurrence_id": occurrence_id} if occurrence_id else None
    return get(ctx, path("meetings", meeting_id), "GET /meetings/{meetingId}", f"meeting {meeting_id}", jq,
               params)


def _meeting_body(topic, start, duration, tz, agenda, password, mtype, recurrence: Recurrence | None,
                  settings: MeetingSettings | None) -> dict:
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


@zoom_tool(CREATE, "Create a Zoom meeting")
def zoom_create_meeting(
    ctx: Context,
    topic: Topic,
    start_time: StartTime = None,
    duration: Duration = None,
    timezone: Timezone = None,
    agenda: Agenda = None,
    password: Passcode = None,
    type: MeetingType = 2,
    recurrence: RecurrenceArg = None,
    settings: SettingsArg = None,
    user_id: UserId = "me",
) -> CallToolResult:
    """Schedule a meeting; returns id, join_url, start_url, password. Each call adds one: after a
    failure, check zoom_list_meetings first."""
    body = _meeting_body(topic, start_time, duration, timezone, agenda, password, type, recurrence, settings)
    op = "POST /users/{userId}/meetings"
    return result(*app(ctx).client.request("POST", path("users", user_id, "meetings"), json_body=body,
                                           what=f"user {user_id}", op=op))


@zoom_tool(CHANGE, "Update a Zoom meeting")
def zoom_update_meeting(
    ctx: Context,
    meeting_id: MeetingNumber,
    topic: NewTopic = None,
    start_time: StartTime = None,
    duration: Duration = None,
    timezone: Timezone = None,
    agenda: Agenda = None,
    password: Passcode = None,
    type: OptionalMeetingType = None,
    recurrence: RecurrenceArg = None,
    settings: SettingsArg = None,
    occurrence_id: OccurrenceId = None,
) -> CallToolResult:
    """Change a meeting instead of creating one: only the fields given change (with occurrence_id,
    only that occurrence)."""
    body = _meeting_body(topic, start_time, duration, timezone, agenda, password, type, recurrence, settings)
    if not body:
        raise ToolError("Nothing to update: give at least one field to change")
    params = {"occurrence_id": occurrence_id} if occurrence_id else None
    op = "PATCH /meetings/{meetingId}"
    app(ctx).client.request("PATCH", path("meetings", meeting_id), params=params, json_body=body,
                            what=f"meeting {meeting_id}", op=op)
    return result({"meeting_id": meeting_id, "updated": sorted(body)})


@zoom_tool(CHANGE, "Delete a Zoom meeting")
def zoom_delete_meeting(
    ctx: Context,
    meeting_id: MeetingNumber,
    occurrence_id: OccurrenceId = None,
    schedule_for_reminder: Notify = None,
) -> CallToolResult:
    """Delete a meeting (or one occurrence). It cannot be undone: confirm with the user first."""
    params: dict[str, Any] = {}
    if occurrence_id:
        params["occurrence_id"] = occurrence_id
    if schedule_for_reminder is not None:
        params["schedule_for_reminder"] = "true" if schedule_for_reminder else "false"
    op = "DELETE /meetings/{meetingId}"
    app(ctx).client.request("DELETE", path("meetings", meeting_id), params=params or None,
                            what=f"meeting {meeting_id}", op=op)
    return result({"meeting_id": meeting_id, "occurrence_id": occurrence_id, "deleted": True})
