"""Meetings that have ended: who attended, and the AI Companion summary."""

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from arguments import Jq, MaxItems, MeetingRef, PageSize, PageToken, meeting_segment
from zoom_client import path
from zoom_tools.base import READ, get, listing, zoom_tool


@zoom_tool(READ, "List past meeting participants")
def zoom_list_past_meeting_participants(
    ctx: Context,
    meeting_id: MeetingRef,
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.participants[] | {name, duration}]") = None,
) -> CallToolResult:
    """Who attended an ended meeting: name, email, join/leave time, duration (an id: its latest
    instance)."""
    api_path = path("past_meetings", meeting_segment(meeting_id), "participants")
    return listing(ctx, api_path, {}, "participants", "GET /past_meetings/{meetingId}/participants",
                   f"past meeting {meeting_id}",
                   page_size=page_size, next_page_token=next_page_token, max_items=max_items, jq=jq)


@zoom_tool(READ, "Get a meeting summary")
def zoom_get_meeting_summary(
    ctx: Context, meeting_id: MeetingRef, jq: Jq("{summary_overview, next_steps}") = None
) -> CallToolResult:
    """AI Companion summary of an ended meeting: overview, details, next steps. Quicker than the
    transcript."""
    return get(ctx, path("meetings", meeting_segment(meeting_id), "meeting_summary"),
               "GET /meetings/{meetingId}/meeting_summary", f"summary of meeting {meeting_id}", jq)
