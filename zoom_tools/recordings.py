"""Cloud recordings and transcripts."""

from __future__ import annotations

import functools
import threading
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from arguments import (
    DATE,
    Jq,
    MaxItems,
    MeetingRef,
    OptionalDate,
    PageSize,
    PageToken,
    UserId,
    date_range,
    meeting_segment,
    month_windows,
)
from zoom_client import path
from zoom_scopes import S2S_SCOPES
from zoom_tools.base import READ, app, cancel_event, get, listing, progress, result, zoom_tool

MAX_MONTHS = 12  # month windows one zoom_list_recordings call walks at most
_RECORDINGS = "GET /users/{userId}/recordings"


@zoom_tool(READ, "List cloud recordings")
def zoom_list_recordings(
    ctx: Context,
    user_id: UserId = "me",
    from_: Annotated[OptionalDate, Field(validation_alias="from")] = None,
    to: OptionalDate = None,
    page_size: PageSize = 30,
    next_page_token: PageToken = None,
    max_items: MaxItems = None,
    jq: Jq("[.meetings[] | {uuid, topic}]") = None,
) -> CallToolResult:
    """A user's cloud recordings (default: last 30 days), newest first: uuid, topic, start_time,
    files. Longer ranges merge months, 12 a call."""
    since, until = date_range(from_, to, today=app(ctx).today())
    windows = month_windows(since, until)
    api_path = path("users", user_id, "recordings")
    what = f"user {user_id}"
    if len(windows) == 1:
        params = {"from": since.isoformat(), "to": until.isoformat()}
        return listing(ctx, api_path, params, "meetings", _RECORDINGS, what, page_size=page_size,
                       next_page_token=next_page_token, max_items=max_items, jq=jq)
    meetings, cursor = walk_months(ctx, api_path, windows, what, page_size, next_page_token,
                                    max_items or page_size)
    merged = {
        "from": since.isoformat(),
        "to": until.isoformat(),
        "returned": len(meetings),
        "meetings": meetings,
        "next_page_token": cursor,
    }
    return result(merged, None, jq)


def walk_months(ctx, api_path, windows, what, page_size, next_page_token, want, resumable=True):
    """Several month windows, newest first (Zoom lists newest first within a month, so the merged
    list keeps one order): resume at the month named in the cursor ('yyyy-mm-dd:token'), then walk
    on until `want` meetings. Returns (meetings, the cursor for the next call or '').

    The windows do not depend on each other, so the first page of each (12 at most) is fetched at
    once; only further pages of one month wait for its next_page_token. The answer is the one a walk
    month by month would give: a month whose first page came back larger than what was still needed
    (it was asked for before the newer months were in) is asked again for exactly that many, so the
    cursor lands where that walk's would. A caller that never resumes (resumable=False) saves that
    round trip: the page is cut here, and the cursor then only says that more meetings exist."""
    start, _, token = (next_page_token or "").partition(":")
    if start and not DATE.fullmatch(start):
        start, token = "", next_page_token or ""
    todo = [w for w in reversed(windows) if not start or w[0].isoformat() <= start]
    walked, rest = todo[:MAX_MONTHS], todo[MAX_MONTHS:]
    client = app(ctx).client
    pages_done = 0
    lock = threading.Lock()

    def page(a, b, size, page_token):
        nonlocal pages_done
        params = {"from": a.isoformat(), "to": b.isoformat(), "page_size": size}
        if page_token:
            params["next_page_token"] = page_token
        data = client.get(api_path, params, what=what, op=_RECORDINGS)
        data = data if isinstance(data, dict) else {}
        with lock:  # progress counts pages, in one rising order whichever thread brings them
            pages_done += 1
            progress(ctx, pages_done, None, f"{pages_done} pages; {a}..{b} fetched")
        return data

    firsts = client.parallel(
        [functools.partial(page, a, b, min(page_size, want), token if i == 0 else "")
         for i, (a, b) in enumerate(walked)],
        cancel=cancel_event(),
    )
    meetings: list = []
    for i, ((a, b), data) in enumerate(zip(walked, firsts, strict=True)):
        page_token = token if i == 0 else ""
        while True:
            needed = want - len(meetings)
            if len(data.get("meetings") or ()) > needed:
                if not resumable:
                    meetings.extend(data["meetings"][:needed])
                    return meetings, "more"
                data = page(a, b, min(page_size, needed), page_token)
            meetings.extend(data.get("meetings") or ())
            page_token = data.get("next_page_token") or ""
            if not page_token or len(meetings) >= want:
                break
            data = page(a, b, min(page_size, want - len(meetings)), page_token)
        if len(meetings) >= want:
            if page_token:
                return meetings, f"{a.isoformat()}:{page_token}"
            if i + 1 < len(todo):
                return meetings, f"{todo[i + 1][0].isoformat()}:"
            return meetings, ""
    return meetings, f"{rest[0][0].isoformat()}:" if rest else ""


@zoom_tool(READ, "Get a meeting's recordings")
def zoom_get_meeting_recordings(
    ctx: Context, meeting_id: MeetingRef, jq: Jq("[.recording_files[] | {file_type, play_url}]") = None
) -> CallToolResult:
    """One meeting's recording files: file_type, file_size, play_url, download_url."""
    return get(ctx, path("meetings", meeting_segment(meeting_id), "recordings"),
               "GET /meetings/{meetingId}/recordings", f"recordings of meeting {meeting_id}", jq)


@zoom_tool(READ, "Get a meeting transcript")
def zoom_get_meeting_transcript(
    ctx: Context, meeting_id: MeetingRef, jq: Jq(".transcript") = None
) -> CallToolResult:
    """What was said in a recorded meeting, a line a turn ('[hh:mm:ss] Speaker: words'): to
    summarise, find decisions, quote."""
    return result(fetch_transcript(app(ctx).client, meeting_id), None, jq)


def fetch_transcript(client, meeting_id: int | str) -> dict:
    """A recorded meeting's words as clean text, with its id, uuid, topic and start time: its
    recordings, then the transcript file (2 dependent round trips). Raises ToolError when it has none."""
    op = "GET /meetings/{meetingId}/recordings"
    rec = client.get(path("meetings", meeting_segment(meeting_id), "recordings"),
                     what=f"recordings of meeting {meeting_id}", op=op) or {}
    chosen = transcript_file(rec)
    if chosen is None:
        raise ToolError(
            f"Meeting {meeting_id} has no transcript: its cloud recording has no TRANSCRIPT file "
            "(audio transcription may be off, or still processing)"
        )
    from vtt import vtt_to_text

    raw = client.download_text(chosen["download_url"], what=f"transcript of meeting {meeting_id}",
                               scope=S2S_SCOPES[op])
    text = vtt_to_text(raw)
    return {
        "meeting_id": rec.get("id", meeting_id),
        "uuid": rec.get("uuid"),
        "topic": rec.get("topic"),
        "start_time": rec.get("start_time"),
        "source": chosen.get("file_type"),
        "turns": text.count("\n") + 1 if text else 0,
        "transcript": text,
    }


def transcript_file(recording: dict) -> dict | None:
    """The file to read a meeting's words from: the audio transcript (with speakers) first, closed
    captions (CC, also .vtt) only without one; None when there is neither."""
    vtts = [
        f for f in recording.get("recording_files") or ()
        if f.get("download_url")
        and (f.get("file_type") == "TRANSCRIPT" or str(f.get("file_extension", "")).upper() == "VTT")
    ]
    return next((f for f in vtts if f.get("file_type") == "TRANSCRIPT"), None) or next(iter(vtts), None)
