"""Prompts: what a Zoom user picks from Claude Desktop's menu, filled in with the account's own data.

Each prompt fetches what the question needs with the same code as the tools (no model round trip to
find the meeting first) and hands the model the material and the task. A Zoom failure becomes a
protocol error whose message says what went wrong, as a tool error would.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, EmbeddedResource, TextResourceContents

from arguments import meeting_ref, meeting_segment
from zoom_client import ZoomError, path
from zoom_resources import transcript_uri
from zoom_tools.base import app
from zoom_tools.recordings import fetch_transcript


def _zoom_errors(fn):
    """A ZoomError (or a bad argument) as a JSON-RPC error the user can read in the client."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ZoomError as exc:
            raise MCPError(INTERNAL_ERROR, str(exc)) from None
        except ToolError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None

    return wrapper


def _transcript(uuid: str, text: str) -> EmbeddedResource:
    """The transcript as the resource it is (zoom_resources), so a client can show it as an attachment."""
    return EmbeddedResource(type="resource", resource=TextResourceContents(
        uri=transcript_uri(uuid), text=text, mime_type="text/plain"))


@_zoom_errors
def summarise_last_meeting(ctx: Context, meeting_id: str | None = None) -> list[UserMessage]:
    """Summarise my last recorded meeting (or the one given): decisions, action items, open questions."""
    zoom = app(ctx)
    if meeting_id:
        recording = {"uuid": meeting_ref(meeting_id)}
    else:
        today = zoom.today()
        since = (today - timedelta(days=30)).isoformat()
        latest = zoom.client.get(path("users", "me", "recordings"),
                                 {"from": since, "to": today.isoformat(), "page_size": 1},
                                 what="user me", op="GET /users/{userId}/recordings") or {}
        meetings = latest.get("meetings") or []
        if not meetings:
            return [UserMessage(
                f"I have no recorded Zoom meeting between {since} and {today}. Tell me so, and offer to "
                "look further back with zoom_list_recordings.")]
        recording = meetings[0]
    uuid = recording["uuid"]
    summary = _summary(zoom.client, uuid)
    if summary is None:  # no AI Companion summary: the model reads the transcript itself
        words = fetch_transcript(zoom.client, uuid)
        what = f'"{words["topic"]}" ({words["start_time"]})'
        material = _transcript(uuid, words["transcript"])
    else:
        topic, start, material = summary
        what = f'"{topic}" ({start})'
    return [
        UserMessage(f"Summarise my Zoom meeting {what} for me: what was decided, the action items with "
                    "their owners, and the open questions. Be brief; quote only where it matters."),
        UserMessage(material),
    ]


def _summary(client, uuid: str) -> tuple[str, str, str] | None:
    """(topic, start, the AI Companion summary as JSON) of one instance, or None when it has none."""
    try:
        data = client.get(path("meetings", meeting_segment(uuid), "meeting_summary"),
                          what=f"summary of meeting {uuid}",
                          op="GET /meetings/{meetingId}/meeting_summary")
    except ZoomError as exc:
        if exc.status == 404:
            return None
        raise
    keep = ("summary_overview", "summary_details", "next_steps")
    text = "AI Companion summary: " + json.dumps({k: data.get(k) for k in keep}, ensure_ascii=False)
    return data.get("meeting_topic") or "", data.get("meeting_start_time") or "", text


@_zoom_errors
def prepare_for_next_meeting(ctx: Context) -> list[UserMessage]:
    """Prepare for my next meeting: its agenda, and who came to its last occurrence."""
    client = app(ctx).client
    upcoming = client.get(path("users", "me", "meetings"), {"type": "upcoming", "page_size": 300},
                          what="user me", op="GET /users/{userId}/meetings") or {}
    now = datetime.fromtimestamp(app(ctx).clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ahead = sorted((m for m in upcoming.get("meetings") or () if (m.get("start_time") or "") >= now),
                   key=lambda m: m["start_time"])
    if not ahead:
        return [UserMessage("I have no upcoming Zoom meeting scheduled. Tell me so, and offer to schedule "
                            "one with zoom_create_meeting.")]
    mid = ahead[0]["id"]
    meeting = client.get(path("meetings", mid), what=f"meeting {mid}",
                         op="GET /meetings/{meetingId}") or {}
    try:
        people = client.get(path("past_meetings", mid, "participants"), {"page_size": 300},
                            what=f"past meeting {mid}",
                            op="GET /past_meetings/{meetingId}/participants") or {}
        names = sorted({p.get("name") or p.get("user_email") or "?"
                        for p in people.get("participants") or ()})
    except ZoomError as exc:
        if exc.status not in (400, 404):  # never held before: no past instance
            raise
        names = []
    facts = {k: meeting.get(k) for k in ("topic", "start_time", "timezone", "duration", "agenda", "join_url")}
    facts["attended_last_time"] = names
    return [
        UserMessage("Help me prepare for my next Zoom meeting: what it is for, what I should prepare, and "
                    "who I will probably meet (from its last occurrence, if any). Keep it short."),
        UserMessage(json.dumps(facts, ensure_ascii=False)),
    ]


def add_prompts(mcp: MCPServer) -> None:
    mcp.prompt(name="summarise_last_meeting", title="Summarise my last meeting")(summarise_last_meeting)
    mcp.prompt(name="prepare_for_next_meeting", title="Prepare for my next meeting")(prepare_for_next_meeting)
