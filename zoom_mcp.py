"""zoom-mcp: an MCP server for Zoom (meetings, users, recordings, transcripts, reports).

Run it with ./run.sh (stdio; ZOOM_MCP_TRANSPORT=http for streamable HTTP on 127.0.0.1). The tools
live in zoom_tools/ and reach the Zoom client, the token monitor and the jq sandbox through the
server's lifespan context; the token comes from the token monitor (token_monitor.py), which keeps it
alive in the background. stdout is JSON-RPC only: logs go to stderr.
"""

import logging
import os
import re
import signal
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp.server import MCPServer

import jq_sandbox
import protocol_guard
from transcript_search import TranscriptCache
from zoom_client import ZoomClient, options_from_env
from zoom_prompts import add_prompts
from zoom_resources import add_resources
from zoom_tools import ZoomApp, add_tools

log = logging.getLogger("zoom_mcp")

ROOT = Path(__file__).resolve().parent

# Sent once per session (initialize): what every tool shares is explained here, not in each schema.
INSTRUCTIONS = """\
Tools for one Zoom account: users, meetings, recordings, transcripts, summaries, webinars, reports.
- user_id: 'me' (default: the account's own user), an email, or an id from zoom_list_users.
- meeting_id: the numeric id (85746065432). Tools for past meetings also take the UUID of one \
instance ('aDYlohsHRtCd4ii1uC2+hA==', from zoom_list_recordings or zoom_report_meetings).
- Dates: yyyy-mm-dd. Times: 2026-05-01T14:00:00Z (UTC), or without Z in the meeting's timezone.
- Lists answer one page (page_size 1-300, default 30); pass next_page_token for the next, or \
max_items (up to 10000) to follow pages in one call.
- jq (optional, read tools): a jq filter applied to the tool's JSON result, e.g. \
'[.meetings[] | {id, topic}]', to return only the fields needed. It sees only that result (no \
files, environment or modules) and is stopped after a few seconds.
- recurrence (type 8 meetings): {type: 1 daily|2 weekly|3 monthly, repeat_interval, weekly_days \
'2,4' (1=Sunday), monthly_day, monthly_week -1..4, monthly_week_day 1-7, end_times or \
end_date_time (UTC, Z)}.
- settings: host_video, participant_video, join_before_host, mute_upon_entry, waiting_room, \
meeting_authentication (true/false); approval_type 0|1|2; audio both|telephony|voip|thirdParty; \
auto_recording local|cloud|none; alternative_hosts 'a@x.com;b@y.com'."""


def project_version() -> str:
    """The version in pyproject.toml (its one place), for serverInfo; "" when it cannot be read."""
    try:
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return ""
    m = re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    return m.group(1) if m else ""


def create_server(client: ZoomClient, tokens: Any, *, log_level: str = "INFO",
                  jq_pool: jq_sandbox.JqPool | None = None, **app_options: Any) -> MCPServer:
    """Build the MCPServer: every Zoom tool, bound through the lifespan context to `client`, the
    token source `tokens` (the monitor) and `jq_pool` (a new one if none is given: its owner closes
    it, see main()). The lifespan only lends them: main() owns and closes them, because the HTTP
    transport may enter the lifespan more than once."""
    state = ZoomApp(client=client, tokens=tokens, jq=jq_pool or jq_sandbox.JqPool(), **app_options)

    @asynccontextmanager
    async def lifespan(_server):
        yield state

    # subscriptions=False: the lists never change, so 2026-07-28 discover must not promise
    # listChanged/subscribe that initialize denies (issue 12, deviation 7).
    mcp = protocol_guard.install(MCPServer(
        "zoom", version=project_version(), instructions=INSTRUCTIONS, log_level=log_level,
        lifespan=lifespan, subscriptions=False,
    ))
    add_tools(mcp)
    add_prompts(mcp)
    add_resources(mcp)
    return mcp


# -- entry point -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSettings:
    """The server's own settings (the monitor reads its own): the environment first, then .env."""

    transport: str = "stdio"  # ZOOM_MCP_TRANSPORT: stdio, or http (streamable HTTP on 127.0.0.1)
    port: int = 8000  # ZOOM_MCP_PORT
    http_timeout: float = 15.0  # ZOOM_HTTP_TIMEOUT: seconds for one Zoom request
    jq_timeout: float = jq_sandbox.TIMEOUT  # ZOOM_JQ_TIMEOUT
    transcript_cache_mb: float = 16.0  # ZOOM_TRANSCRIPT_CACHE_MB: 0 keeps no transcript
    pacing: dict = field(default_factory=dict)  # ZOOM_RATE_PLAN, ZOOM_MAX_CONCURRENCY (the client's)

    @classmethod
    def read(cls, file_values: dict) -> "ServerSettings":
        """Raises ValueError naming the setting and what it takes."""

        def get(name: str, default: str = "") -> str:
            return os.environ.get(name) or file_values.get(name) or default

        def number(kind, name: str, default: float, lo: float, hi: float):
            raw = get(name, str(default))
            try:
                value = kind(raw)
            except ValueError:
                value = None
            if value is None or not lo <= value <= hi:
                raise ValueError(f"{name}={raw!r}: expected a number from {lo:g} to {hi:g}")
            return value

        transport = get("ZOOM_MCP_TRANSPORT", "stdio").lower()
        if transport not in ("stdio", "http", "streamable-http"):
            raise ValueError(f"ZOOM_MCP_TRANSPORT={transport}: expected stdio or http")
        return cls(
            transport=transport,
            port=number(int, "ZOOM_MCP_PORT", 8000, 1, 65535),
            http_timeout=number(float, "ZOOM_HTTP_TIMEOUT", 15, 0.1, 600),
            jq_timeout=number(float, "ZOOM_JQ_TIMEOUT", jq_sandbox.TIMEOUT, 0.01, 300),
            transcript_cache_mb=number(float, "ZOOM_TRANSCRIPT_CACHE_MB", 16, 0, 1024),
            pacing=options_from_env({k: get(k) for k in ("ZOOM_RATE_PLAN", "ZOOM_MAX_CONCURRENCY")}),
        )


def main() -> int:
    level = (os.environ.get("ZOOM_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        level = "INFO"
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    import bundle_mode
    from token_monitor import SettingsError, TokenMonitor

    extension = bundle_mode.active()
    if extension:  # Claude Desktop started us from the MCP Bundle: no run.sh ran before us
        state = bundle_mode.prepare(os.environ)
        log.info("running as a Claude Desktop extension; token state in %s", state.parent)
    try:
        monitor = TokenMonitor(explain=bundle_mode.explain if extension else None)
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    from dotenv import dotenv_values

    try:
        file_values = dotenv_values(monitor.env_file, interpolate=False) if monitor.env_file.exists() else {}
    except OSError:
        file_values = {}
    try:
        settings = ServerSettings.read(file_values)
    except ValueError as exc:
        log.error("bad setting: %s", exc)
        return 2
    recover = {"recover": bundle_mode.RECOVER} if extension else {}
    base_url = os.environ.get("ZOOM_API_BASE_URL") or file_values.get("ZOOM_API_BASE_URL")
    client = ZoomClient(base_url, monitor, timeout=settings.http_timeout, **settings.pacing, **recover)
    pool = jq_sandbox.JqPool(timeout=settings.jq_timeout)
    server = create_server(client, monitor, log_level=level, jq_pool=pool,
                           transcripts=TranscriptCache(max_chars=int(settings.transcript_cache_mb * 2**20)))
    if extension:
        monitor.fetch_at_start()  # run.sh's first token fetch (stdout captured: never on ours)
    monitor.start()
    code = 0
    try:
        if settings.transport == "stdio":
            # SIGTERM ends the process at once, as before, but first the jq workers (busy ones would
            # otherwise run on until their own alarm).
            def on_sigterm(signum, frame):
                pool.close()
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

            signal.signal(signal.SIGTERM, on_sigterm)
            anyio.run(protocol_guard.serve_stdio, server)
        else:
            import http_transport

            code = http_transport.serve(server, port=settings.port, level=level, pool=pool,
                                        env_file=monitor.env_file, file_values=file_values)
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
        monitor.stop()
        client.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
