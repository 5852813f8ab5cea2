"""The lowlevel baseline: the SDK's ``Server`` (no MCPServer layer) with one tool that does nothing.

Context for the tool-call overhead and cold-start figures: how much of the floor is MCPServer's own.

    python bench/bare_lowlevel.py               # stdio only
"""

from __future__ import annotations

import anyio
import mcp.types as types
from mcp.server import Server
from mcp.server.stdio import stdio_server

_TOOLS = [
    types.Tool(
        name="noop",
        description="Do nothing (the lowlevel floor).",
        input_schema={"type": "object", "properties": {}},
    )
]


async def _list_tools(ctx, params) -> types.ListToolsResult:
    return types.ListToolsResult(tools=_TOOLS)


async def _call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text="ok")])


server = Server("bench-bare-lowlevel", on_list_tools=_list_tools, on_call_tool=_call_tool)


async def _main() -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(_main)
