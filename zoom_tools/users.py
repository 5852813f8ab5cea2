"""Users of the account."""

from typing import Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from arguments import Jq, MaxItems, PageSize, PageToken, UserId
from zoom_client import path
from zoom_tools.base import READ, get, listing, zoom_tool


@zoom_tool(READ, "Get a Zoom user")
def zoom_get_user(
    ctx: Context, user_id: UserId = "me", jq: Jq("{email, timezone, pmi}") = None
) -> CallToolResult:
    """A user's profile: name, email, type, timezone, pmi, status."""
    return get(ctx, path("users", user_id), "GET /users/{userId}", f"user {user_id}", jq)


@zoom_tool(READ, "List Zoom users")
def zoom_list_users(
    ctx: Context,
    status: Literal["active", "inactive", "pending"] = "active",
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.users[] | {id, email}]") = None,
) -> CallToolResult:
    """The account's users (id, email, name, type, status): find a user_id for the other tools."""
    return listing(ctx, "/users", {"status": status}, "users", "GET /users", "users",
                   page_size=page_size, next_page_token=next_page_token, max_items=max_items, jq=jq)
