"""Protocol answers the mcp SDK (2.3) gets wrong, put right at the project's boundary (issue 12).

Each guard sits in front of the SDK and leaves everything it does not correct to it; drop a guard
once the SDK answers correctly (tests/test_protocol.py shows which).

- ``serve_stdio`` / ``StdioGuard``: the SDK's stdio reader drops a line that is not JSON, or JSON
  that is not one JSON-RPC message (a batch, ``{"hello": 1}``), without a reply, so the client waits
  forever (python-sdk #2751, #2848). JSON-RPC 2.0 wants -32700 (parse error) or -32600 (invalid
  request), with the request's id when it can be read, else ``null``.
- ``HttpGuard`` (ASGI): a POST body that is JSON but not a JSON-RPC message gets 400 with -32602 and
  a pydantic dump (python-sdk #3557); it gets 400 with -32600 and one sentence. An
  ``MCP-Protocol-Version`` header naming no version the server speaks, on a request without the
  2026-07-28 envelope, is routed by the SDK to its 2026-07-28 entry, which answers "params._meta
  must be an object ..."; it gets 400 with -32022 and the supported versions.
- ``PromptGuard`` (MCPServer middleware): ``prompts/get`` with an unknown name or without a required
  argument raises ValueError inside the SDK: code 0 on the handshake era, -32603 and a logged
  traceback on 2026-07-28. Both are the caller's mistake: -32602.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import anyio
from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from mcp.shared.message import SessionMessage
from mcp.types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    ErrorData,
    JSONRPCError,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

log = logging.getLogger("zoom_mcp.protocol")

SUPPORTED_VERSIONS = (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS)
_ENVELOPE_KEY = "io.modelcontextprotocol/protocolVersion"  # params._meta key of a 2026-07-28 request


def _request_id(data: Any) -> str | int | None:
    """The id of a broken request when it can be read (JSON-RPC: null when it cannot)."""
    if isinstance(data, dict):
        rid = data.get("id")
        if isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool)):
            return rid
    return None


def invalid_message_error(data: Any) -> JSONRPCError | None:
    """The -32600 reply for parsed JSON that is not one JSON-RPC message; None if it is one."""
    try:
        jsonrpc_message_adapter.validate_python(data, by_name=False)
    except ValidationError:
        return JSONRPCError(jsonrpc="2.0", id=_request_id(data), error=_invalid_request(data))
    return None


def _invalid_request(data: Any) -> ErrorData:
    if isinstance(data, list):
        why = "a batch; MCP takes one JSON-RPC message at a time"
    else:
        why = 'not a JSON-RPC 2.0 message ("jsonrpc": "2.0", "method", optional "id" and object "params")'
    return ErrorData(code=INVALID_REQUEST, message=f"Invalid Request: {why}")


def _parse_error() -> ErrorData:
    return ErrorData(code=PARSE_ERROR, message="Parse error: the message is not valid JSON")


# -- stdio ----------------------------------------------------------------------------------------


def _parsed_input(exc: ValidationError) -> tuple[bool, Any]:
    """(parsed, value) for the SDK reader's failed ``validate_json(line)``.

    The reader hands over only the exception; pydantic keeps the parsed input on its errors: the
    whole document on a top-level type error, the enclosing object on a missing field."""
    for err in exc.errors():
        if err["type"] == "json_invalid":
            return False, err.get("input")
        if (len(err["loc"]) == 1 and err["type"].endswith("_type")) or (
            err["type"] == "missing" and len(err["loc"]) == 2
        ):
            return True, err.get("input")
    return True, None


class StdioGuard:
    """The SDK's stdio read stream, answering the lines it would drop; everything else passes."""

    def __init__(self, read_stream: Any, write_stream: Any):
        self._read, self._write = read_stream, write_stream

    @property
    def last_context(self):  # the dispatcher restores the sender's contextvars from here
        return getattr(self._read, "last_context", None)

    async def receive(self) -> Any:
        while True:
            item = await self._read.receive()
            if not isinstance(item, Exception):
                return item
            await self._answer(item)

    async def _answer(self, exc: Exception) -> None:
        if not isinstance(exc, ValidationError):
            log.warning("stdin: unreadable message dropped: %s", type(exc).__name__)
            return
        parsed, value = _parsed_input(exc)
        if not parsed and (not isinstance(value, str) or not value.strip()):
            return  # a blank line is no message
        error = _parse_error() if not parsed else _invalid_request(value)
        log.info("stdin: answered a line that is not a JSON-RPC message with %d", error.code)
        reply = JSONRPCError(jsonrpc="2.0", id=_request_id(value) if parsed else None, error=error)
        await self._write.send(SessionMessage(reply))

    def __aiter__(self) -> StdioGuard:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._read.aclose()

    async def __aenter__(self) -> StdioGuard:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def serve_stdio(server: MCPServer) -> None:
    """``server.run()`` over stdio, with StdioGuard in front of the SDK's reader.

    mcp 2.3 has no public hook here: this is MCPServer.run_stdio_async with the guard added, and it
    reaches the low-level server as that method does."""
    lowlevel = server._lowlevel_server  # private: see the docstring
    async with stdio_server() as (read_stream, write_stream):
        await lowlevel.run(
            StdioGuard(read_stream, write_stream), write_stream, lowlevel.create_initialization_options()
        )


# -- streamable HTTP ------------------------------------------------------------------------------


class HttpGuard:
    """ASGI app in front of the SDK's streamable-HTTP app: inspects POST bodies, passes the rest.

    A body is read (up to the SDK's own size limit) and handed on unchanged; only the two cases in
    the module docstring are answered here. It belongs inside the transport's own checks (bearer
    token, Host): a request those refuse must not get as far as having its body parsed."""

    def __init__(self, app: Any, max_body: int = DEFAULT_MAX_REQUEST_BODY_SIZE):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages: list[dict] = []
        body = b""
        more = True
        while more and len(body) <= self.max_body:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: let the SDK see it
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if not more:
            answer = self._check(body, _header(scope, b"mcp-protocol-version"))
            if answer is not None:
                await _send_json(send, 400, answer)
                return

        async def replay() -> dict:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _check(body: bytes, version: str | None) -> JSONRPCError | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the SDK answers -32700 itself
        error = invalid_message_error(data)
        if error is not None:
            return error
        if version is None or version in SUPPORTED_VERSIONS or "method" not in data or "id" not in data:
            return None
        params = data.get("params")
        meta = params.get("_meta") if isinstance(params, Mapping) else None
        if isinstance(meta, Mapping) and _ENVELOPE_KEY in meta:
            return None  # a 2026-07-28 request: the SDK's own ladder answers, with -32020 or -32022
        supported = ", ".join(SUPPORTED_VERSIONS)
        return JSONRPCError(
            jsonrpc="2.0",
            id=_request_id(data),
            error=ErrorData(
                code=UNSUPPORTED_PROTOCOL_VERSION,
                message=f"Unsupported protocol version {version!r} in the MCP-Protocol-Version header; "
                f"this server supports {supported}",
                data={"supported": list(SUPPORTED_VERSIONS), "requested": version},
            ),
        )


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _send_json(send: Any, status: int, reply: JSONRPCError) -> None:
    body = reply.model_dump_json(by_alias=True, exclude_unset=True).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- prompts/get ----------------------------------------------------------------------------------


class PromptGuard:
    """MCPServer middleware: prompts/get for a prompt that does not exist, or without a required
    argument, is -32602 before the SDK's handler turns it into code 0 / -32603."""

    def __init__(self, server: MCPServer):
        self.server = server

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        params = ctx.params
        if ctx.method == "prompts/get" and ctx.request_id is not None and isinstance(params, Mapping):
            name = params.get("name")
            if isinstance(name, str):
                await self._check(name, params.get("arguments"))
        return await call_next(ctx)

    async def _check(self, name: str, arguments: Any) -> None:
        prompt = next((p for p in await self.server.list_prompts() if p.name == name), None)
        if prompt is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {name}")
        given = arguments if isinstance(arguments, Mapping) else {}
        missing = [a.name for a in prompt.arguments or () if a.required and a.name not in given]
        if missing:
            raise MCPError(
                code=INVALID_PARAMS, message=f"Prompt {name} needs the argument(s): {', '.join(missing)}"
            )


def install(server: MCPServer) -> MCPServer:
    """Add the middleware guard to `server` (the transports wrap themselves: serve_stdio, HttpGuard)."""
    server.middleware.append(PromptGuard(server))
    return server
