"""What every Zoom tool shares: the server's lifespan state, registration, results and jq filters.

A tool is a plain function `def zoom_x(ctx: Context, ...) -> CallToolResult` with a docstring for
the model, registered with `@zoom_tool(annotations, title)`. Its body is synchronous (the Zoom
client is `requests`), so `add_tools` runs it in a worker thread; a ZoomError becomes a ToolError,
the only kind of error whose text reaches the model. A tool's optional jq filter is checked before
the body runs (a broken filter makes no Zoom request) and applied after it, in the jq sandbox.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, NamedTuple, Protocol

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations

import jq_sandbox
from arguments import lean_schema
from transcript_search import TranscriptCache
from zoom_client import Cancelled, ZoomClient, ZoomError

log = logging.getLogger("zoom_mcp.tools")


class TokenStatus(Protocol):
    def status(self) -> dict: ...


@dataclass
class ZoomApp:
    """The server's shared objects, reached by tools through the lifespan context."""

    client: ZoomClient
    tokens: TokenStatus  # the token monitor
    jq: jq_sandbox.JqPool
    clock: Callable[[], float] = time.time  # "now" for default date ranges and "next meeting" (tests pin it)
    transcripts: TranscriptCache = field(default_factory=TranscriptCache)  # for follow-up searches

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), timezone.utc).date()


def app(ctx: Context) -> ZoomApp:
    return ctx.request_context.lifespan_context


# -- annotations ------------------------------------------------------------------------------


# Only what differs from the spec's defaults (read-only false, destructive true, idempotent false,
# open-world true) is sent: clients apply the defaults, and every hint costs context in every chat.
# destructive and idempotent mean something only for a tool that is not read-only.
READ = ToolAnnotations(read_only_hint=True)
LOCAL_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)  # no Zoom call
CREATE = ToolAnnotations(destructive_hint=False)  # additive; repeating it adds more
CHANGE = ToolAnnotations(idempotent_hint=True)  # overwrites or removes data (destructive by default)


# -- registration -----------------------------------------------------------------------------


class _Registered(NamedTuple):
    fn: Callable[..., Any]
    annotations: ToolAnnotations
    title: str


TOOLS: list[_Registered] = []  # in the order the modules define them: tools/list keeps it


def zoom_tool(annotations: ToolAnnotations, title: str):
    """Register a tool function (see the module docstring); the function itself is unchanged."""

    def register(fn):
        TOOLS.append(_Registered(fn, annotations, title))
        return fn

    return register


def add_tools(mcp: MCPServer) -> None:
    """Add every registered tool to `mcp`, each shown to the model with its lean input schema."""
    for fn, hints, title in TOOLS:
        mcp.add_tool(_run_in_thread(fn), name=fn.__name__, title=title,
                     description=" ".join((fn.__doc__ or "").split()), annotations=hints,
                     structured_output=False)
        tool = mcp._tool_manager.get_tool(fn.__name__)  # the SDK offers no public setter
        tool.parameters = lean_schema(tool.parameters)


# Per call, seen by the tool's thread and by the threads of client.parallel (both copy the context):
_LOOP = contextvars.ContextVar[Any]("zoom_tool_loop")  # the event loop, for progress from any thread
_CANCEL = contextvars.ContextVar[threading.Event]("zoom_tool_cancel")  # set when the client cancels


def cancel_event() -> threading.Event | None:
    """Set once the client has cancelled this call: pass it to client.parallel, so no new request starts."""
    return _CANCEL.get(None)


def _run_in_thread(fn):
    @functools.wraps(fn)  # the SDK reads fn's signature (arguments, ctx) through __wrapped__
    async def wrapper(ctx: Context, **kwargs):
        zoom = app(ctx)
        expr = kwargs.get("jq")
        if expr:
            await check_filter(zoom.jq, expr)
        cancel = threading.Event()
        _LOOP.set(anyio.lowlevel.current_token())
        _CANCEL.set(cancel)
        try:
            # A cancelled call answers at once; its thread stops at the next request it would start.
            out = await anyio.to_thread.run_sync(functools.partial(_body, fn, ctx, kwargs),
                                                 abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            cancel.set()
            raise
        except ZoomError as exc:
            raise ToolError(str(exc)) from None
        return await run_filter(zoom.jq, out) if type(out) is Filtered else out

    return wrapper


def _body(fn, ctx: Context, kwargs: dict):
    try:
        return fn(ctx, **kwargs)
    except Cancelled:  # nobody waits for this answer any more: say when the work stopped
        log.info("%s stopped: the client cancelled it", fn.__name__)
        raise


# -- results ----------------------------------------------------------------------------------


class Filtered(NamedTuple):
    """A result still to go through the caller's jq filter (in the sandbox, off the event loop)."""

    data: Any
    text: str | None
    expr: str


def result(data: Any, text: str | None = None, jq: str | None = None) -> Any:
    """Wrap a result; `text` is Zoom's own JSON body, reused so the hot path never re-serialises."""
    if jq:
        return Filtered(data, text, jq)
    if not isinstance(data, dict):
        data, text = {"result": data}, None
    if text is None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def apply_jq(pool: jq_sandbox.JqPool, pending: Filtered, job: jq_sandbox.Job | None = None) -> CallToolResult:
    """Run the filter in the sandbox pool (blocking); its errors are ToolErrors."""
    text = pending.text or json.dumps(pending.data, ensure_ascii=False, separators=(",", ":"))
    try:
        out = pool.run(pending.expr, text, job)
    except jq_sandbox.JqError as exc:
        raise ToolError(str(exc)) from None
    return CallToolResult(content=[TextContent(type="text", text=out)], structured_content=json.loads(out))


async def check_filter(pool: jq_sandbox.JqPool, expr: str) -> None:
    """Refuse a broken or unsafe filter before any Zoom request: compiled in a worker process, off
    the event loop (never in this process: jq builds constants while compiling); a JqError becomes a
    ToolError. Cancelling the call stops the compile."""
    if pool.known(expr):  # compiled before: no thread hop
        return
    job = jq_sandbox.Job()
    try:
        await anyio.to_thread.run_sync(pool.check, expr, job, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        job.cancel()
        raise
    except jq_sandbox.JqError as exc:
        raise ToolError(str(exc)) from None


async def run_filter(pool: jq_sandbox.JqPool, pending: Filtered) -> CallToolResult:
    """apply_jq off the event loop; cancelling the call (or stopping the server) stops the filter."""
    job = jq_sandbox.Job()
    try:
        return await anyio.to_thread.run_sync(apply_jq, pool, pending, job, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        job.cancel()
        raise


# -- Zoom calls shared by the tools ----------------------------------------------------------


def progress(ctx: Context | None, done: float, total: float | None, message: str) -> None:
    """MCP progress from a tool's threads (a no-op unless the client asked for progress)."""
    if ctx is not None:
        anyio.from_thread.run(functools.partial(ctx.report_progress, done, total, message),
                              token=_LOOP.get(None))


def get(ctx: Context, api_path: str, op: str, what: str, jq: str | None, params: dict | None = None):
    """One GET of operation `op` ("GET /users/{userId}", as Zoom's spec names it)."""
    data, text = app(ctx).client.request("GET", api_path, params=params, what=what, op=op)
    return result(data, text, jq)


def listing(ctx: Context, api_path: str, params: dict, key: str, op: str, what: str, *,
            page_size: int, next_page_token: str | None, max_items: int | None, jq: str | None):
    """One page of a Zoom list, or (with max_items) its pages gathered into one answer."""
    pages = app(ctx).client.pages(
        api_path, params, key, page_size=page_size, next_page_token=next_page_token,
        max_items=max_items, what=what, op=op,
    )
    return result(*follow(ctx, pages, key, max_items), jq)


def follow(ctx: Context | None, pages, key: str, max_items: int | None):
    """Gather pages into one answer, reporting MCP progress per page when following several."""
    first = last = None
    items: list = []
    for data, text in pages:
        if max_items is None:
            return data, text
        first = data if first is None else first
        last = data
        items.extend(data.get(key) or ())
        progress(ctx, min(len(items), max_items), max_items, f"{len(items)} {key}")
    merged = {k: v for k, v in (first or {}).items() if k not in ("page_size", "page_number")}
    merged[key] = items[:max_items]
    merged["next_page_token"] = (last or {}).get("next_page_token") or ""
    return merged, None
