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


def _setting(name: str, file_values: dict, default: str) -> str:
    return os.environ.get(name) or file_values.get(name) or default


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
        timeout = float(_setting("ZOOM_HTTP_TIMEOUT", file_values, "15"))
        transport = _setting("ZOOM_MCP_TRANSPORT", file_values, "stdio").lower()
        port = int(_setting("ZOOM_MCP_PORT", file_values, "8000"))
        jq_timeout = float(_setting("ZOOM_JQ_TIMEOUT", file_values, str(jq_sandbox.TIMEOUT)))
        cache_mb = float(_setting("ZOOM_TRANSCRIPT_CACHE_MB", file_values, "16"))
        pacing = options_from_env(
            {k: _setting(k, file_values, "") for k in ("ZOOM_RATE_PLAN", "ZOOM_MAX_CONCURRENCY")})
    except ValueError as exc:
        log.error("bad setting: %s", exc)
        return 2
    if transport not in ("stdio", "http", "streamable-http"):
        log.error("ZOOM_MCP_TRANSPORT=%s: expected stdio or http", transport)
        return 2
    if not 0 <= cache_mb <= 1024:
        log.error("ZOOM_TRANSCRIPT_CACHE_MB=%s: expected MiB from 0 (no cache) to 1024", cache_mb)
        return 2
    if not 0 < jq_timeout <= 300:
        log.error("ZOOM_JQ_TIMEOUT=%s: expected seconds, more than 0 and at most 300", jq_timeout)
        return 2
    recover = {"recover": bundle_mode.RECOVER} if extension else {}
    client = ZoomClient(_setting("ZOOM_API_BASE_URL", file_values, ""), monitor, timeout=timeout,
                        **pacing, **recover)
    pool = jq_sandbox.JqPool(timeout=jq_timeout)
    server = create_server(client, monitor, log_level=level, jq_pool=pool,
                           transcripts=TranscriptCache(max_chars=int(cache_mb * 2**20)))
    if extension:
        monitor.fetch_at_start()  # run.sh's first token fetch (stdout captured: never on ours)
    monitor.start()
    code = 0
    try:
        if transport == "stdio":
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

            code = http_transport.serve(server, port=port, level=level, pool=pool, env_file=monitor.env_file,
                                        file_values=file_values)
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
        monitor.stop()
        client.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
