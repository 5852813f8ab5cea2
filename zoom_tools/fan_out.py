"""Questions that span many meetings, answered in as few round trips as Zoom allows: the meetings
first, then every meeting's data at once (paced by Zoom's rate limits, capped by
ZOOM_MAX_CONCURRENCY).

zoom_search_transcripts: recordings in the range (their month windows at once) -> every transcript
at once (from the cache when a recent call downloaded it) -> ranked speaker turns
(transcript_search.py says how words match and rank).
zoom_recent_attendance: the user's previous meetings -> every meeting's participants at once.
"""

from __future__ import annotations

import functools
import threading
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from arguments import Jq, OptionalDate, UserId, date_range, lean, meeting_segment, month_windows
from transcript_search import Query, Turn, rank
from zoom_client import ZoomError, path
from zoom_scopes import S2S_SCOPES
from zoom_tools.base import READ, app, cancel_event, progress, result, zoom_tool
from zoom_tools.recordings import MAX_MONTHS, transcript_file, walk_months

MAX_MATCHES = 25  # speaker turns in one answer: the best ones
SearchText = lean(Annotated[str, Field(min_length=1, max_length=200)], {"type": "string"})
MaxMeetings = lean(Annotated[int, Field(ge=1, le=100)],
                   {"type": "integer", "description": "1-100, default 40"})
LastN = lean(Annotated[int, Field(ge=1, le=30)], {"type": "integer", "description": "1-30, default 10"})


@zoom_tool(READ, "Search meeting transcripts")
def zoom_search_transcripts(
    ctx: Context,
    query: SearchText,
    from_: Annotated[OptionalDate, Field(validation_alias="from")] = None,
    to: OptionalDate = None,
    user_id: UserId = "me",
    max_meetings: MaxMeetings = 40,
    jq: Jq("[.matches[] | {topic, speaker, text}]") = None,
) -> CallToolResult:
    """Find what was said across a user's recorded meetings (default: last 30 days): best-matching
    speaker turns with topic, start_time, uuid, time, speaker. Words and "quoted phrases"."""
    try:
        wanted = Query.parse(query)
    except ValueError as exc:
        raise ToolError(f"Invalid query {query!r}: {exc}") from None
    zoom = app(ctx)
    since, until = date_range(from_, to, today=zoom.today())
    windows = month_windows(since, until)
    if len(windows) > MAX_MONTHS:
        raise ToolError(f"Range {since}..{until} is longer than {MAX_MONTHS} months: search a shorter one")
    recorded, more = walk_months(ctx, path("users", user_id, "recordings"), windows, f"user {user_id}",
                                  300, None, max_meetings, resumable=False)
    with_words = [(m, transcript_file(m)) for m in recorded]
    with_words = [(m, f) for m, f in with_words if f is not None]
    turns, skipped = _transcripts(ctx, with_words)
    matches = rank(turns, wanted, MAX_MATCHES)
    return result({
        "query": query,
        "from": since.isoformat(),
        "to": until.isoformat(),
        "meetings_searched": len(with_words) - len(skipped),
        "meetings_without_transcript": len(recorded) - len(with_words),
        "more_meetings_in_range": bool(more),  # raise max_meetings or narrow the range to see them
        "matches": [{"score": round(score, 2), "topic": t.meeting.get("topic"),
                     "start_time": t.meeting.get("start_time"), "uuid": t.meeting.get("uuid"),
                     "time": t.time, "speaker": t.speaker, "text": t.text} for score, t in matches],
        "skipped": skipped,
    }, None, jq)


def _transcripts(ctx, meetings: list[tuple[dict, dict]]) -> tuple[list[Turn], list[dict]]:
    """Every meeting's speaker turns, downloaded at once (or from the cache); a transcript that fails
    to download is skipped and named, not the whole search."""
    from vtt import vtt_turns

    zoom = app(ctx)
    done = 0
    lock = threading.Lock()
    scope = S2S_SCOPES["GET /meetings/{meetingId}/recordings"]

    def fetch(meeting: dict, file: dict) -> tuple[list, str | None]:
        nonlocal done
        uuid = meeting.get("uuid") or ""
        turns = zoom.transcripts.get(uuid)
        error = None
        if turns is None:
            try:
                raw = zoom.client.download_text(file["download_url"], what=f"transcript of {uuid}",
                                                scope=scope)
                turns = vtt_turns(raw)
                zoom.transcripts.put(uuid, turns)
            except ZoomError as exc:
                turns, error = [], str(exc)
        with lock:
            done += 1
            progress(ctx, done, len(meetings), f"{done} of {len(meetings)} transcripts")
        return turns, error

    fetched = zoom.client.parallel([functools.partial(fetch, m, f) for m, f in meetings],
                                   cancel=cancel_event())
    info = ("uuid", "topic", "start_time")
    all_turns, skipped = [], []
    for (meeting, _file), (turns, error) in zip(meetings, fetched, strict=True):
        about = {k: meeting.get(k) for k in info}
        if error:
            skipped.append({**about, "error": error})
        all_turns += [Turn(about, t, s, x) for t, s, x in turns]
    return all_turns, skipped


@zoom_tool(READ, "Recent meeting attendance")
def zoom_recent_attendance(
    ctx: Context, user_id: UserId = "me", last: LastN = 10, jq: Jq("[.meetings[] | {topic, people}]") = None
) -> CallToolResult:
    """Who attended a user's last meetings (newest first): each meeting's topic, start_time, uuid and
    people (name, email, minutes)."""
    client = app(ctx).client
    pages = client.pages(path("users", user_id, "meetings"), {"type": "previous_meetings"}, "meetings",
                         page_size=300, max_items=10_000, what=f"user {user_id}",
                         op="GET /users/{userId}/meetings")
    held = [m for data, _text in pages for m in data.get("meetings") or () if m.get("uuid")]
    newest = sorted(held, key=lambda m: m.get("start_time") or "", reverse=True)[:last]

    def attendance(meeting: dict) -> dict:
        about = {k: meeting.get(k) for k in ("uuid", "id", "topic", "start_time")}
        try:
            rows = [p for data, _text in client.pages(
                path("past_meetings", meeting_segment(meeting["uuid"]), "participants"), {}, "participants",
                page_size=300, max_items=10_000, what=f"past meeting {meeting['uuid']}",
                op="GET /past_meetings/{meetingId}/participants") for p in data.get("participants") or ()]
        except ZoomError as exc:
            if exc.status != 404:  # no participant data (never started, or too old): say so, go on
                raise
            return {**about, "people": [], "note": str(exc)}
        return {**about, "people": _people(rows)}

    meetings = client.parallel([functools.partial(attendance, m) for m in newest], cancel=cancel_event())
    return result({"user_id": user_id, "meetings": meetings}, None, jq)


def _people(rows: list[dict]) -> list[dict]:
    """One entry a person (Zoom lists each join and leave): name, email, minutes in all."""
    people: dict[str, dict] = {}
    for row in rows:
        key = (row.get("user_email") or row.get("name") or row.get("id") or "?").lower()
        who = people.setdefault(key, {"name": row.get("name"), "email": row.get("user_email") or None,
                                      "seconds": 0})
        who["seconds"] += int(row.get("duration") or 0)
    return [{"name": p["name"], "email": p["email"], "minutes": round(p["seconds"] / 60)}
            for p in sorted(people.values(), key=lambda p: -p["seconds"])]
