"""The token's health, from the monitor (no Zoom call)."""

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from arguments import Jq
from zoom_tools.base import LOCAL_READ, app, result, zoom_tool


@zoom_tool(LOCAL_READ, "Zoom token status")
def zoom_token_status(ctx: Context, jq: Jq(".seconds_left") = None) -> CallToolResult:
    """Health of this server's Zoom token: state, seconds_left, auto-refresh, last_refresh,
    failures_24h. Use it when calls fail with token errors."""
    return result(app(ctx).tokens.status(), None, jq)
