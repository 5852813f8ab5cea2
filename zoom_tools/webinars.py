"""Webinars."""

from typing import Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from arguments import Jq, MaxItems, OccurrenceId, PageSize, PageToken, UserId, WebinarRef, meeting_segment
from zoom_client import path
from zoom_tools.base import READ, get, listing, zoom_tool


@zoom_tool(READ, "List Zoom webinars")
def zoom_list_webinars(
    ctx: Context,
    user_id: UserId = "me",
    type: Literal["scheduled", "upcoming"] = "scheduled",
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.webinars[] | {id, topic}]") = None,
) -> CallToolResult:
    """A user's webinars: id, topic, start_time, duration, join_url."""
    return listing(ctx, path("users", user_id, "webinars"), {"type": type}, "webinars",
                   "GET /users/{userId}/webinars", f"user {user_id}",
                   page_size=page_size, next_page_token=next_page_token, max_items=max_items, jq=jq)


@zoom_tool(READ, "Get a Zoom webinar")
def zoom_get_webinar(
    ctx: Context,
    webinar_id: WebinarRef,
    occurrence_id: OccurrenceId = None,
    jq: Jq("{topic, join_url}") = None,
) -> CallToolResult:
    """One webinar's details: topic, start_time, duration, agenda, join_url, settings."""
    params = {"occurrence_id": occurrence_id} if occurrence_id else None
    return get(ctx, path("webinars", meeting_segment(webinar_id, "webinar_id")), "GET /webinars/{webinarId}",
               f"webinar {webinar_id}", jq, params)
