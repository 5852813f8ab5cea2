"""Usage reports (paid plans)."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from arguments import DateArg, Jq, MaxItems, PageSize, PageToken, UserId, add_month, date_range
from zoom_client import path
from zoom_tools.base import READ, app, listing, zoom_tool


@zoom_tool(READ, "Report: meetings held")
def zoom_report_meetings(
    ctx: Context,
    from_: Annotated[DateArg, Field(validation_alias="from")],
    to: DateArg,
    user_id: UserId = "me",
    type: Literal["past", "pastOne", "pastJoined"] = "past",
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.meetings[] | {uuid, participants_count}]") = None,
) -> CallToolResult:
    """Meetings a user held between two dates at most a month apart, with participants_count
    (paid plans)."""
    since, until = date_range(from_, to, today=app(ctx).today())
    if until > add_month(since):
        raise ToolError(
            f"Range {since}..{until} is longer than Zoom's one month for reports: split it into months"
        )
    params = {"from": since.isoformat(), "to": until.isoformat(), "type": type}
    return listing(ctx, path("report", "users", user_id, "meetings"), params, "meetings",
                   "GET /report/users/{userId}/meetings", f"user {user_id}",
                   page_size=page_size, next_page_token=next_page_token, max_items=max_items, jq=jq)
