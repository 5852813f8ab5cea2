"""The baseline server: a bare ``MCPServer`` with one trivial tool.

It is the floor the real server is measured against (tool-call overhead, cold start, footprint,
concurrency). ``noop`` is an ``async def`` tool (runs on the event loop: the SDK's own floor); it is the
only tool unless ``--extra`` is given, which adds the context tools of the overhead group:
``noop_sync`` is a plain ``def`` tool (the SDK runs it in a worker thread, as it does the real
server's blocking tools). ``payload`` does no work either but answers with the JSON object stored in
the file named by BENCH_PAYLOAD_FILE (text block + structured content, the shape the real server's
tools answer with): it separates the cost of carrying a meeting-sized result from the server's work.
``get_sync`` / ``get_async`` GET the URL in BENCH_GET_URL (bearer token from BENCH_GET_TOKEN) and answer
its JSON the same way: with a keep-alive ``requests.Session`` in the SDK's worker thread (the real
server's design) and with the SDK's own async HTTP client (httpx2) on the event loop. They show what
any MCPServer tool making that HTTP call costs, whatever else it does. Their imports happen on first
use, so they do not weigh on the bare server's cold start.

    python bench/bare_server.py [--extra]              # stdio
    python bench/bare_server.py [--extra] --http PORT  # streamable HTTP on 127.0.0.1:PORT/mcp
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent

mcp = MCPServer("bench-bare")
_PAYLOAD_TEXT = '{"ok":true}'
if os.environ.get("BENCH_PAYLOAD_FILE"):
    with open(os.environ["BENCH_PAYLOAD_FILE"], encoding="utf-8") as f:
        _PAYLOAD_TEXT = f.read()
_PAYLOAD = json.loads(_PAYLOAD_TEXT)


@mcp.tool()
async def noop() -> str:
    """Do nothing (the SDK's floor)."""
    return "ok"


def noop_sync() -> str:
    """Do nothing, in a worker thread."""
    return "ok"


async def payload() -> Annotated[CallToolResult, dict[str, Any]]:
    """Answer with the stored JSON object, doing nothing else."""
    return CallToolResult(content=[TextContent(type="text", text=_PAYLOAD_TEXT)], structured_content=_PAYLOAD)


_HTTP: dict[str, Any] = {}


def _answer(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=json.loads(text))


def get_sync() -> Annotated[CallToolResult, dict[str, Any]]:
    """GET BENCH_GET_URL with requests (worker thread) and answer its JSON."""
    if "requests" not in _HTTP:
        import requests

        _HTTP["requests"] = requests.Session()
    r = _HTTP["requests"].get(os.environ["BENCH_GET_URL"], timeout=10,
                              headers={"Authorization": f"Bearer {os.environ['BENCH_GET_TOKEN']}"})
    r.raise_for_status()
    return _answer(r.content.decode())


async def get_async() -> Annotated[CallToolResult, dict[str, Any]]:
    """GET BENCH_GET_URL with httpx2 on the event loop and answer its JSON."""
    if "httpx" not in _HTTP:
        import httpx2

        _HTTP["httpx"] = httpx2.AsyncClient()
    r = await _HTTP["httpx"].get(os.environ["BENCH_GET_URL"], timeout=10,
                                 headers={"Authorization": f"Bearer {os.environ['BENCH_GET_TOKEN']}"})
    r.raise_for_status()
    return _answer(r.content.decode())


def main(argv: list[str]) -> None:
    if "--extra" in argv:
        argv.remove("--extra")
        for fn in (noop_sync, payload, get_sync, get_async):
            mcp.tool()(fn)
    if len(argv) == 2 and argv[0] == "--http":
        mcp.run("streamable-http", host="127.0.0.1", port=int(argv[1]), streamable_http_path="/mcp")
    elif not argv:
        mcp.run()
    else:
        sys.exit("usage: bare_server.py [--extra] [--http PORT]")


if __name__ == "__main__":
    main(sys.argv[1:])
