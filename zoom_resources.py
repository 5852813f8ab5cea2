"""Resources: a recorded meeting's transcript, readable by URI (e.g. attached in Claude Desktop).

`zoom://meetings/{meeting_id}/transcript`: the meeting's numeric id (its latest recorded instance)
or the UUID of one instance, percent-encoded where it holds `/` (as any URI would have it).
"""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.resources.templates import ResourceSecurity

from arguments import meeting_ref
from zoom_client import ZoomError
from zoom_tools.base import app
from zoom_tools.recordings import fetch_transcript

TRANSCRIPT_URI = "zoom://meetings/{meeting_id}/transcript"


def transcript_uri(meeting_id: int | str) -> str:
    from urllib.parse import quote

    return TRANSCRIPT_URI.format(meeting_id=quote(str(meeting_id), safe=""))


def meeting_transcript(meeting_id: str, ctx: Context) -> str:
    """What was said in a recorded meeting, a line a turn: '[hh:mm:ss] Speaker: words'."""
    try:
        return fetch_transcript(app(ctx).client, meeting_ref(meeting_id))["transcript"]
    except (ToolError, ZoomError) as exc:
        raise ResourceError(str(exc)) from None


def add_resources(mcp: MCPServer) -> None:
    # The SDK's path checks (no leading "/", no "..") suit file paths; a Zoom UUID may begin with
    # "/", and meeting_ref() checks the id strictly before it reaches a URL.
    mcp.resource(TRANSCRIPT_URI, name="meeting_transcript", title="Zoom meeting transcript",
                 mime_type="text/plain",
                 security=ResourceSecurity(exempt_params={"meeting_id"}))(meeting_transcript)
