"""The simulated Zoom account: seed data and the /v2 operations on it.

``Account`` holds the in-memory state (users, meetings, past meeting instances with participants,
cloud recordings, a meeting summary, webinars) and one method per API route. Methods take the path
arguments positionally plus ``params`` (query dict) and ``body`` (parsed JSON or None), return
``(status, json_object_or_None)`` and raise ``ApiError`` for Zoom's error answers. The caller
(``zoomsim.server``) holds the simulator's lock around every call, so nothing here locks.

The seed is deterministic (fixed RNG) except for dates, which are placed relative to the simulator's
clock at start-up: upcoming meetings lie ahead, past meetings and their cloud recordings lie within the
last 30 days. Two past-meeting UUIDs are awkward on purpose — one begins with "/" and one contains
"//" — so clients must double URL-encode them, as on Zoom.

Meetings follow Zoom's rules for times and series:

* ``start_time`` ending in ``Z`` (or carrying an offset) is absolute; a naive ``yyyy-MM-ddTHH:mm:ss`` is
  local time in the request's ``timezone`` (else the meeting's, else the host's), converted with zoneinfo.
  Answers always carry UTC with a trailing ``Z`` and echo ``timezone``.
* A type 8 meeting keeps the ``recurrence`` it was given (defaults filled in: ``weekly_days`` /
  ``monthly_day`` from the local start date, ``end_times`` 1 when no end is given; no recurrence at all
  means weekly for 12 weeks) and its ``occurrences`` are built from it in the meeting's timezone, so a
  series keeps its wall-clock time across DST: daily/weekly/monthly (day of month, clamped to short
  months, or ``monthly_week`` + ``monthly_week_day``), every ``repeat_interval``, until ``end_times``
  or ``end_date_time``, at most MAX_OCCURRENCES. ``occurrence_id`` is the occurrence's original start in
  epoch milliseconds. PATCH of the series (type, recurrence, start_time, duration, timezone) rebuilds
  them, dropping per-occurrence edits.
* ``occurrence_id`` on GET answers the meeting with that occurrence's start_time and duration; on PATCH
  it changes only that occurrence's start_time/duration (other fields are ignored); on DELETE it marks
  that occurrence ``"status": "deleted"`` (Zoom keeps deleted occurrences in the list) and the series
  stays. An unknown occurrence (or, for PATCH/DELETE, an already deleted one) answers 400 code 300
  "Invalid parameter: occurrence_id." — the error Zoom documents for DELETE; GET and PATCH document 400
  without naming this code, so the simulator uses the same answer for all three.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import random
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zoomsim.transcripts import TOPICS, render_vtt

PAGE_SIZE_DEFAULT = 30
PAGE_SIZE_MAX = 300
USERS_PAGE_SIZE_MAX = 2000  # GET /users allows more than the other lists (Users.json: maximum 2000)
JOIN_HOST = "https://us06web.zoom.us"  # data only: nothing ever connects to it
# Meetings.json: "Recurring meetings can have a maximum of 50 occurrences"; end_times allows up to 60.
MAX_OCCURRENCES = 50
MAX_END_TIMES = 60
# Meetings.json, recurrence.repeat_interval: daily at most 99 days, weekly 50 weeks, monthly 10 months.
MAX_REPEAT_INTERVAL = {1: 99, 2: 50, 3: 10}
DEFAULT_RECURRENCE = {"type": 2, "repeat_interval": 1, "end_times": 12}  # type 8 created without one
RECURRENCE_KEYS = ("type", "repeat_interval", "weekly_days", "monthly_day", "monthly_week",
                   "monthly_week_day", "end_times", "end_date_time")
MEETING_TYPES = (1, 2, 3, 8, 10)
SERIES_KEYS = ("type", "start_time", "duration", "timezone", "recurrence")  # a PATCH rebuilds occurrences


class ApiError(Exception):
    """A Zoom error answer: HTTP status plus Zoom's {"code", "message"} body."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def iso(ts: float) -> str:
    """Zoom's timestamp form: UTC, whole seconds, trailing Z."""
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=65536)  # list filters parse the same start_time strings on every request
def parse_iso(value: str) -> float:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


@functools.lru_cache(maxsize=512)
def zone(name: str) -> dt.tzinfo:
    """The tzinfo for a Zoom timezone ID; 400 code 300 when it is unknown."""
    if name in ("UTC", "GMT", "Etc/UTC", "Etc/GMT"):  # no tz database needed
        return dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _validation("timezone", f"unknown timezone {name!r}") from None


def parse_start(value, tz_name: str) -> float:
    """Zoom's start_time: "...Z" or an offset is absolute; a naive time is local time in ``tz_name``."""
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _validation("start_time", "expected yyyy-MM-ddTHH:mm:ssZ, or yyyy-MM-ddTHH:mm:ss with a "
                                        "timezone") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz_name))
    return parsed.timestamp()


def _int_field(raw: dict, key: str, lo: int, hi: int) -> int:
    value = raw[key]
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise _validation(f"recurrence.{key}", f"must be an integer within {lo}..{hi}")
    return value


def normalise_recurrence(raw, start: float, tz_name: str) -> dict:
    """Validate a recurrence object; return it as Zoom echoes it (documented defaults filled in)."""
    if not isinstance(raw, dict):
        raise _validation("recurrence", "must be an object")
    rtype = raw.get("type")
    if rtype not in (1, 2, 3) or isinstance(rtype, bool):
        raise _validation("recurrence.type", "must be 1 (daily), 2 (weekly) or 3 (monthly)")
    out = {"type": rtype}
    for key in RECURRENCE_KEYS[1:]:
        if key not in raw or raw[key] is None:
            continue
        if key == "repeat_interval":
            out[key] = _int_field(raw, key, 1, MAX_REPEAT_INTERVAL[rtype])
        elif key == "weekly_days":
            days = str(raw[key]).split(",")
            if not all(d.strip() in ("1", "2", "3", "4", "5", "6", "7") for d in days):
                raise _validation("recurrence.weekly_days", "comma-separated days 1 (Sunday) .. 7 (Saturday)")
            out[key] = ",".join(d.strip() for d in days)
        elif key == "monthly_day":
            out[key] = _int_field(raw, key, 1, 31)
        elif key == "monthly_week":
            out[key] = _int_field(raw, key, -1, 4)
            if out[key] == 0:
                raise _validation("recurrence.monthly_week", "must be -1, 1, 2, 3 or 4")
        elif key == "monthly_week_day":
            out[key] = _int_field(raw, key, 1, 7)
        elif key == "end_times":
            out[key] = _int_field(raw, key, 0, MAX_END_TIMES)
        else:  # end_date_time
            try:
                out[key] = iso(parse_start(raw[key], tz_name))
            except ApiError:
                raise _validation("recurrence.end_date_time", "expected yyyy-MM-ddTHH:mm:ssZ") from None
    if "end_times" in out and "end_date_time" in out:
        raise _validation("recurrence", "end_times and end_date_time cannot be used together")
    if ("monthly_week" in out) != ("monthly_week_day" in out):
        raise _validation("recurrence", "monthly_week and monthly_week_day go together")
    first = dt.datetime.fromtimestamp(start, zone(tz_name))
    if rtype == 2 and "weekly_days" not in out:
        out["weekly_days"] = str(first.isoweekday() % 7 + 1)
    if rtype == 3 and "monthly_day" not in out and "monthly_week" not in out:
        out["monthly_day"] = first.day
    if "end_times" not in out and "end_date_time" not in out:
        out["end_times"] = 1  # the documented default
    return out


def _month_day(year: int, month: int, rec: dict) -> dt.date:
    if "monthly_week" in rec:
        weekday = (rec["monthly_week_day"] - 2) % 7  # Zoom 1 = Sunday; Python 0 = Monday
        if rec["monthly_week"] == -1:
            last = _last_day(year, month)
            return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (rec["monthly_week"] - 1))
    last = _last_day(year, month)
    return dt.date(year, month, min(rec["monthly_day"], last.day))  # the 31st: a short month's last day


def _last_day(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _series_dates(rec: dict, day0: dt.date):
    """Candidate local dates of a series, in order, from its first day on (endless)."""
    step = rec.get("repeat_interval", 1)
    n = 0
    if rec["type"] == 1:
        while True:
            yield day0 + dt.timedelta(days=n)
            n += step
    elif rec["type"] == 2:
        days = sorted({int(d) for d in rec["weekly_days"].split(",")})
        sunday = day0 - dt.timedelta(days=day0.isoweekday() % 7)
        while True:
            for zoom_day in days:
                day = sunday + dt.timedelta(days=7 * n + zoom_day - 1)
                if day >= day0:
                    yield day
            n += step
    else:
        while True:
            year, month = divmod(day0.month - 1 + n, 12)
            day = _month_day(day0.year + year, month + 1, rec)
            if day >= day0:
                yield day
            n += step


def build_occurrences(start: float, duration: int, rec: dict, tz_name: str) -> list[dict]:
    """Zoom's occurrence objects for a fixed-time series (see the module docstring)."""
    tz = zone(tz_name)
    first = dt.datetime.fromtimestamp(start, tz).replace(tzinfo=None)
    limit = min(rec.get("end_times") or MAX_OCCURRENCES, MAX_END_TIMES)
    until = parse_iso(rec["end_date_time"]) if "end_date_time" in rec else None
    out = []
    for day in _series_dates(rec, first.date()):
        ts = int(dt.datetime.combine(day, first.time(), tzinfo=tz).timestamp())
        if len(out) >= limit or (until is not None and (ts > until or len(out) >= MAX_OCCURRENCES)):
            break
        out.append({"occurrence_id": str(ts * 1000), "start_time": iso(ts), "duration": duration,
                    "status": "available"})
    return out


def decode_uuid(value: str) -> str:
    """Undo the second URL-encoding of a meeting UUID (the server already undid the first).

    Real UUIDs are base64 (A-Z a-z 0-9 + / =), never "%", so a "%" left here is the client's
    double encoding.
    """
    return unquote(value) if "%" in value else value


def _validation(field: str, message: str) -> ApiError:
    return ApiError(400, 300, f"Validation Failed. {field}: {message}")


# ---- seed material ---------------------------------------------------------------------------------
USERS = [
    # (first, last, email, type, role, dept, job title, status, timezone)
    ("Alice", "Chen", "alice.chen@example.com", 2, "Owner", "Engineering", "CTO", "active",
     "America/Los_Angeles"),
    ("Bob", "Martin", "bob.martin@example.com", 2, "Admin", "Sales", "Sales Director", "active",
     "America/New_York"),
    ("Carla", "Diaz", "carla.diaz@example.com", 2, "Member", "Engineering", "Staff Engineer", "active",
     "Europe/Madrid"),
    ("Dmitri", "Ivanov", "dmitri.ivanov@example.com", 1, "Member", "Support", "Support Lead", "active",
     "Europe/Berlin"),
    ("Emeka", "Okafor", "emeka.okafor@example.com", 2, "Member", "Product", "Product Manager", "active",
     "Africa/Lagos"),
    ("Fiona", "Walsh", "fiona.walsh@example.com", 1, "Member", "Marketing", "Designer", "pending",
     "Europe/Dublin"),
]

UPCOMING = [
    # (host index, topic, days ahead, hour UTC, duration, type, agenda)
    (0, "Weekly Engineering Sync", 1, 16, 45, 8, "Status, blockers, release train"),
    (0, "Quarterly Planning", 3, 17, 90, 2, "OKRs for next quarter"),
    (0, "1:1 Alice / Carla", 2, 15, 30, 8, "Career growth and project check-in"),
    (0, "Architecture Review: Billing v2", 5, 18, 60, 2, "Review the billing service design doc"),
    (0, "Office Hours (no fixed time)", 0, 0, 60, 3, "Drop-in questions"),
    (1, "Customer Demo — Acme Corp", 2, 14, 45, 2, "Product walkthrough for Acme"),
    (1, "Sales Pipeline Review", 4, 13, 60, 8, "Weekly forecast"),
    (2, "Incident Postmortem Prep", 1, 9, 30, 2, "Timeline and action items"),
    (4, "Roadmap Brainstorm", 6, 15, 60, 2, "Ideas for H2"),
]

PAST = [
    # (host index, topic, days ago, hour UTC, duration, meeting type, uuid, participants, recorded, summary)
    (0, "Weekly Engineering Sync", 2, 16, 44, 8, "/Ab3dE7fGhIjKlMnOpQrSw==", [0, 2, 3, 4], True, True),
    (0, "Incident Review: API latency", 5, 18, 52, 2, "4444AAAiAAAAAiAiAi//Aw==", [0, 1, 2, 3], True,
     False),
    (0, "Design Crit: Onboarding Flow", 9, 17, 38, 2, "kY2t7QHvRfm0c0m3W1pZ9g==", [0, 4, 5], True, False),
    (0, "Weekly Engineering Sync", 9, 16, 47, 8, "Qm9iTWFydGluU3luYzEyMw==", [0, 2, 3, 4], False, False),
    (1, "Customer Call — Globex", 3, 14, 33, 2, "R2xvYmV4Q2FsbDIwMjQwNQ==", [1, 0], True, False),
    (0, "All Hands", 20, 17, 58, 2, "QWxsSGFuZHNNZWV0aW5nMA==", [0, 1, 2, 3, 4, 5], True, False),
    (2, "Pairing Session", 12, 10, 75, 2, "UGFpcmluZ1Nlc3Npb24wMA==", [2, 3], False, False),
]

WEBINARS = [
    # (host index, topic, days ahead, hour UTC, duration, agenda)
    (0, "Product Launch: Zoom MCP Kit", 7, 17, 60, "What's new and a live demo"),
    (0, "Security Best Practices for S2S OAuth", 14, 16, 45, "Token hygiene and rotation"),
    (1, "Customer Success Stories", 10, 15, 60, "Three customers share their wins"),
]

SUMMARY = {
    "summary_title": "Weekly Engineering Sync — summary",
    "summary_overview": (
        "The team reviewed the release train, agreed to ship the token monitor this week and "
        "discussed rate-limit handling in the API client."),
    "summary_details": [
        {"label": "Release train", "summary": "Version 1.4 is on track; the last blocker is the flaky "
                                              "integration test, which Carla will quarantine."},
        {"label": "Token refresh", "summary": "Dmitri showed the monitor refreshing five minutes before "
                                              "expiry; the group agreed on a 30 second cooldown."},
        {"label": "Rate limits", "summary": "Emeka asked that 429 answers honour Retry-After in both "
                                            "seconds and ISO-timestamp form."},
    ],
    "next_steps": [
        "Carla to quarantine the flaky integration test by Wednesday.",
        "Dmitri to document the refresh cooldown in the README.",
        "Emeka to add Retry-After parsing to the client.",
    ],
}


class Account:
    """The in-memory Zoom account. ``base_url_getter`` gives the simulator's URL (for download_url)."""

    def __init__(self, account_id: str, base_url_getter, clock):
        self.account_id = account_id
        self._base_url = base_url_getter
        self._clock = clock
        self._rng = random.Random(20240501)  # noqa: S311 - deterministic seed data, not crypto
        self.users: dict[str, dict] = {}  # id -> user
        self.user_order: list[str] = []
        self.meetings: dict[int, dict] = {}  # id -> meeting (GET /meetings/{id} shape)
        self.past: dict[str, dict] = {}  # uuid -> past instance (meeting_id, times, participants, ...)
        self.recordings: dict[str, dict] = {}  # uuid -> recording meeting object
        self.files: dict[str, tuple[bytes, str, str]] = {}  # file id -> (content, content type, filename)
        self.webinars: dict[int, dict] = {}
        self._seeded = 0
        self.version = 0  # bumped on every meeting change; keys the list cache
        self._list_cache: dict = {}
        self._build()

    # ---- identifiers ---------------------------------------------------------------------------
    def _uid(self) -> str:
        return base64.urlsafe_b64encode(self._rng.randbytes(16)).decode().rstrip("=")[:22]

    def _meeting_uuid(self) -> str:
        # Plain base64 letters only, so generated UUIDs never need double encoding.
        while True:
            value = base64.b64encode(self._rng.randbytes(16)).decode()
            if "/" not in value and "+" not in value:
                return value

    def _meeting_id(self) -> int:
        while True:
            mid = self._rng.randint(81_000_000_000, 99_999_999_999)
            if mid not in self.meetings and mid not in self.webinars:
                return mid

    # ---- seed -------------------------------------------------------------------------------------
    def _build(self) -> None:
        now = self._clock()
        for i, (first, last, email, utype, role, dept, title, status, tz) in enumerate(USERS):
            uid = self._uid()
            created = now - (400 - 40 * i) * 86400
            self.users[uid] = {
                "id": uid, "first_name": first, "last_name": last, "display_name": f"{first} {last}",
                "email": email, "type": utype, "role_name": role, "role_id": "0" if role == "Owner" else
                ("1" if role == "Admin" else "2"), "pmi": 5550000000 + i * 1111111, "use_pmi": False,
                "personal_meeting_url": f"{JOIN_HOST}/j/{5550000000 + i * 1111111}",
                "timezone": tz, "verified": 1, "dept": dept, "job_title": title,
                "created_at": iso(created), "user_created_at": iso(created),
                "last_login_time": iso(now - (i + 1) * 3600), "last_client_version": "6.2.5.45127(mac)",
                "pic_url": f"{JOIN_HOST}/p/{uid}/avatar.jpg", "language": "en-US", "phone_number": "",
                "status": status, "account_id": self.account_id, "account_number": 10000001,
                "cluster": "us06", "group_ids": [], "im_group_ids": [], "login_types": [100],
                "jid": f"{uid.lower()}@xmpp.zoom.us", "location": tz.split("/")[-1].replace("_", " "),
                "company": "Example Corp", "plan_united_type": "1",
            }
            self.user_order.append(uid)
        self.owner_id = self.user_order[0]
        hosts = self.user_order
        day = 86400
        midnight = now - now % day
        for host, topic, ahead, hour, duration, mtype, agenda in UPCOMING:
            start = midnight + ahead * day + hour * 3600 if mtype != 3 else None
            self._add_meeting(hosts[host], topic, mtype, start, duration, agenda, created=now - 20 * day)
        for host, topic, ago, hour, duration, mtype, muuid, people, recorded, summary in PAST:
            start = midnight - ago * day + hour * 3600
            # A past occurrence of a recurring series belongs to that series (same id, own UUID).
            meeting = next((m for m in self.meetings.values() if mtype == 8 and m["type"] == 8
                            and m["host_id"] == hosts[host] and m["topic"] == topic), None)
            if meeting is None:
                meeting = self._add_meeting(hosts[host], topic, mtype, start, duration, "",
                                            created=start - 7 * day, uuid=muuid)
            self._add_past_instance(meeting, muuid, start, duration, [hosts[p] for p in people],
                                    recorded, summary)
        for host, topic, ahead, hour, duration, agenda in WEBINARS:
            self._add_webinar(hosts[host], topic, midnight + ahead * day + hour * 3600, duration, agenda,
                              created=now - 10 * day)

    def _settings(self, overrides: dict | None = None) -> dict:
        settings = {
            "host_video": True, "participant_video": False, "join_before_host": False, "jbh_time": 0,
            "mute_upon_entry": True, "watermark": False, "use_pmi": False, "approval_type": 2,
            "audio": "voip", "auto_recording": "cloud", "enforce_login": False, "enforce_login_domains": "",
            "alternative_hosts": "", "close_registration": False, "show_share_button": False,
            "allow_multiple_devices": False, "registrants_confirmation_email": True, "waiting_room": True,
            "registrants_email_notification": True, "meeting_authentication": False,
            "encryption_type": "enhanced_encryption", "approved_or_denied_countries_or_regions":
                {"enable": False}, "breakout_room": {"enable": False}, "email_notification": True,
            "device_testing": False, "focus_mode": False, "private_meeting": False,
            "continuous_meeting_chat": {"enable": True, "auto_add_invited_external_users": False},
            "participant_focused_meeting": False, "push_change_to_calendar": False,
            "auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
            "alternative_hosts_email_notification": True, "host_save_video_order": False,
            "internal_meeting": False, "disable_participant_video": False,
        }
        if overrides:
            settings.update(overrides)
        return settings

    def _add_meeting(self, host_id: str, topic: str, mtype: int, start: float | None, duration: int,
                     agenda: str, *, created: float, uuid: str | None = None, timezone: str | None = None,
                     recurrence: dict | None = None) -> dict:
        mid = self._meeting_id()
        host = self.users[host_id]
        password = "".join(self._rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))
        meeting = {
            "uuid": uuid or self._meeting_uuid(), "id": mid, "host_id": host_id, "host_email": host["email"],
            "assistant_id": "", "topic": topic, "type": mtype, "status": "waiting",
            "timezone": timezone or host["timezone"], "agenda": agenda, "created_at": iso(created),
            "start_url": f"{JOIN_HOST}/s/{mid}?zak=sim-start-token",
            "join_url": f"{JOIN_HOST}/j/{mid}?pwd=sim{password}", "password": password,
            "h323_password": str(self._rng.randint(100000, 999999)), "pstn_password": str(
                self._rng.randint(100000, 999999)), "encrypted_password": f"sim{password}",
            "pre_schedule": False, "settings": self._settings(), "creation_source": "open_api",
        }
        if mtype != 3:
            meeting["start_time"] = iso(start)
        meeting["duration"] = duration
        if mtype == 8 and recurrence is None:
            recurrence = normalise_recurrence(DEFAULT_RECURRENCE, start, meeting["timezone"])
        if mtype in (3, 8) and recurrence is not None:
            meeting["recurrence"] = recurrence
        self._refresh_occurrences(meeting)
        self.meetings[mid] = meeting
        self.version += 1
        return meeting

    @staticmethod
    def _refresh_occurrences(meeting: dict) -> None:
        if meeting["type"] == 8:
            meeting["occurrences"] = build_occurrences(parse_iso(meeting["start_time"]), meeting["duration"],
                                                       meeting["recurrence"], meeting["timezone"])
        else:
            meeting.pop("occurrences", None)

    def _add_past_instance(self, meeting: dict, muuid: str, start: float, duration: int,
                           people: list[str], recorded: bool, summary: bool,
                           extra_lines: tuple[str, ...] = ()) -> None:
        end = start + duration * 60
        participants = []
        for n, uid in enumerate(people):
            user = self.users[uid]
            join = start + n * 45
            leave = end - (n % 3) * 60
            participants.append({
                "id": uid, "name": user["display_name"], "user_id": str(16778240 + n * 1024),
                "registrant_id": "", "user_email": user["email"], "join_time": iso(join),
                "leave_time": iso(leave), "duration": int(leave - join), "failover": False,
                "status": "in_meeting", "internal_user": True})
        # One guest from outside the account, as most real meetings have.
        participants.append({
            "id": "", "name": "Guest (Phone)", "user_id": str(16778240 + len(people) * 1024),
            "registrant_id": "", "user_email": "", "join_time": iso(start + 120),
            "leave_time": iso(end - 300), "duration": int(duration * 60 - 420), "failover": False,
            "status": "in_meeting", "internal_user": False})
        instance = {"uuid": muuid, "meeting_id": meeting["id"], "host_id": meeting["host_id"],
                    "topic": meeting["topic"], "type": meeting["type"], "start": start, "end": end,
                    "duration": duration, "participants": participants, "summary": summary}
        self.past[muuid] = instance
        if recorded:
            self._add_recording(instance, extra_lines)

    def _add_recording(self, inst: dict, extra_lines: tuple[str, ...] = ()) -> None:
        speakers = [p["name"] for p in inst["participants"] if p["internal_user"]]
        vtt = render_vtt(inst["topic"], speakers, seed=inst["meeting_id"], extra=extra_lines).encode()
        start, end = iso(inst["start"] + 30), iso(inst["end"] - 15)
        files = []
        for ftype, ext, rtype, ctype, content in (
            ("MP4", "MP4", "shared_screen_with_speaker_view", "video/mp4", _fake_media(b"mp42", 4096)),
            ("M4A", "M4A", "audio_only", "audio/mp4", _fake_media(b"M4A ", 2048)),
            ("TRANSCRIPT", "VTT", "audio_transcript", "text/vtt", vtt),
        ):
            fid = f"{self._uid()[:8]}-{self._uid()[:4]}-{self._uid()[:4]}-{self._uid()[:12]}".lower()
            filename = f"{inst['topic']}.{ext.lower()}".replace("/", "-")
            self.files[fid] = (content, ctype, filename)
            files.append({"id": fid, "meeting_id": inst["uuid"], "recording_start": start,
                          "recording_end": end, "file_type": ftype, "file_extension": ext,
                          "file_size": len(content), "recording_type": rtype, "status": "completed",
                          "_path": f"/rec/download/{fid}"})
        self.recordings[inst["uuid"]] = {
            "uuid": inst["uuid"], "id": inst["meeting_id"], "account_id": self.account_id,
            "host_id": inst["host_id"], "topic": inst["topic"],
            "type": str(inst["type"]), "start_time": iso(inst["start"]), "duration": inst["duration"],
            "total_size": sum(f["file_size"] for f in files), "recording_count": len(files),
            "recording_play_passcode": self._uid(),
            "auto_delete": False, "_files": files, "_start": inst["start"]}

    def _add_webinar(self, host_id: str, topic: str, start: float, duration: int, agenda: str,
                     *, created: float) -> None:
        wid = self._meeting_id()
        host = self.users[host_id]
        self.webinars[wid] = {
            "uuid": self._meeting_uuid(), "id": wid, "host_id": host_id, "host_email": host["email"],
            "topic": topic, "type": 5, "start_time": iso(start), "duration": duration,
            "timezone": host["timezone"], "agenda": agenda, "created_at": iso(created),
            "start_url": f"{JOIN_HOST}/s/{wid}?zak=sim-start-token", "join_url": f"{JOIN_HOST}/j/{wid}",
            "registration_url": f"{JOIN_HOST}/webinar/register/WN_{self._uid()}", "password": "launch1",
            "is_simulive": False, "creation_source": "open_api",
            "settings": {"host_video": True, "panelists_video": True, "approval_type": 0, "audio": "both",
                         "auto_recording": "cloud", "enforce_login": False, "hd_video": False,
                         "on_demand": False, "practice_session": True, "registration_type": 1,
                         "registrants_restrict_number": 0, "question_and_answer": {"enable": True},
                         "close_registration": False, "show_share_button": True}}

    def seed_meetings(self, user_id: str, n: int) -> int:
        """Add n scheduled meetings (for load tests); returns the user's meeting count."""
        if n < 0 or n > 1_000_000:
            raise ValueError("meetings must be within 0..1000000")
        uid = self._user(user_id)["id"]
        now = self._clock()
        for _ in range(n):
            self._seeded += 1
            k = self._seeded
            self._add_meeting(uid, f"Seeded meeting #{k}", 2, now + 3600 * (24 + k % 2000), 30,
                              "Generated by the simulator's seed control", created=now)
        return sum(1 for m in self.meetings.values() if m["host_id"] == uid)

    def seed_recordings(self, user_id: str, n: int, days: int = 90) -> int:
        """Add n past, recorded meetings (MP4, M4A and a VTT transcript, participants) hosted by a user,
        spread evenly over the last `days` days, for fan-out tests and benchmarks. Transcripts differ by
        topic (zoomsim.transcripts.TOPICS). Returns how many recordings the user now has."""
        if n < 0 or n > 10_000:
            raise ValueError("recordings must be within 0..10000")
        if days < 1 or days > 3650:
            raise ValueError("days must be within 1..3650")
        uid = self._user(user_id)["id"]
        now = self._clock()
        others = [u for u in self.user_order if u != uid]
        for i in range(n):
            self._seeded += 1
            k = self._seeded
            name, *lines = TOPICS[i % len(TOPICS)]
            start = now - (i + 1) * days * 86400 / (n + 1)
            start -= start % 60  # whole minutes, as Zoom's start times are
            topic = f"{name} #{k}"
            meeting = self._add_meeting(uid, topic, 2, start, 30, "", created=start - 86400)
            people = [uid, *(others[(k + j) % len(others)] for j in range(2))]
            self._add_past_instance(meeting, meeting["uuid"], start, 30, people, True, False, tuple(lines))
        return sum(1 for r in self.recordings.values() if r["host_id"] == uid)

    # ---- helpers for the routes ----------------------------------------------------------------------
    def _user(self, user_id: str) -> dict:
        if user_id == "me":
            return self.users[self.owner_id]
        user = self.users.get(user_id)
        if user is None:
            lowered = user_id.lower()
            user = next((u for u in self.users.values() if u["email"] == lowered), None)
        if user is None:
            raise ApiError(404, 1001, f"User does not exist: {user_id}.")
        return user

    def _meeting(self, meeting_id: str) -> dict:
        meeting = self.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if meeting is None:
            raise ApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return meeting

    def _instance(self, raw: str) -> dict:
        """A past meeting instance by UUID (double-encoded or not) or by numeric id (latest one)."""
        if raw.isdigit():
            found = [p for p in self.past.values() if p["meeting_id"] == int(raw)]
            if found:
                return max(found, key=lambda p: p["start"])
        else:
            inst = self.past.get(decode_uuid(raw))
            if inst is not None:
                return inst
        raise ApiError(404, 3001, f"Meeting does not exist: {decode_uuid(raw)}.")

    def _download_url(self, path: str) -> str:
        return self._base_url() + path

    def _recording_view(self, rec: dict) -> dict:
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        files = []
        for f in rec["_files"]:
            view = {k: v for k, v in f.items() if not k.startswith("_")}
            view["download_url"] = self._download_url(f["_path"])
            view["play_url"] = self._download_url(f["_path"].replace("/download/", "/play/"))
            files.append(view)
        out["recording_files"] = files
        return out

    def unmatched_path(self, parts: list[str]) -> ApiError | None:
        """Zoom's error for a path no route matched, when it is a mis-encoded UUID route."""
        # A UUID with "/" sent single-encoded splits into extra segments; Zoom then cannot find it.
        if len(parts) > 3 and parts[0] in ("past_meetings", "meetings") and parts[-1] in (
                "participants", "meeting_summary", "recordings"):
            return ApiError(404, 3001, f"Meeting does not exist: {'/'.join(parts[1:-1])}.")
        return None

    # ---- routes ------------------------------------------------------------------------------------
    def list_users(self, *, params, body):
        status = params.get("status", "active")
        if status not in ("active", "inactive", "pending"):
            raise _validation("status", f"invalid value {status!r}")
        users = [self.users[u] for u in self.user_order if self.users[u]["status"] == status]
        keys = ("id", "first_name", "last_name", "display_name", "email", "type", "pmi", "timezone",
                "verified", "dept", "created_at", "user_created_at", "last_login_time",
                "last_client_version", "status", "role_id",
                "group_ids", "plan_united_type")
        rows = [{k: u[k] for k in keys if k in u} for u in users]
        page, meta = paginate(rows, params, "users", max_size=USERS_PAGE_SIZE_MAX)
        meta["page_number"] = 1
        return 200, {**meta, "users": page}

    def get_user(self, user_id, *, params, body):
        return 200, dict(self._user(user_id))

    def list_meetings(self, user_id, *, params, body):
        user = self._user(user_id)
        kind = params.get("type", "scheduled")
        if kind not in ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"):
            raise _validation("type", f"invalid value {kind!r}")
        now = self._clock()
        # Benchmarks list thousands of seeded meetings many times a second: reuse the filtered, sorted
        # list while nothing changed (same meetings version, same clock second).
        cache_key = (user["id"], kind)
        cached = self._list_cache.get(cache_key)
        if cached is not None and cached[0] == (self.version, int(now)):
            rows = cached[1]
        else:
            rows = self._filter_meetings(user["id"], kind, now)
            self._list_cache[cache_key] = ((self.version, int(now)), rows)
        keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda",
                "created_at", "join_url")
        page, meta = paginate(rows, params, f"meetings:{user['id']}:{kind}")
        view = []  # built for the page only: seeded accounts can hold many thousands of meetings
        for m in page:
            item = {k: m[k] for k in keys if k in m}
            if m["settings"].get("use_pmi"):
                item["pmi"] = str(self.users[m["host_id"]]["pmi"])
            view.append(item)
        meta["page_number"] = 1
        return 200, {**meta, "meetings": view}

    def _filter_meetings(self, host_id: str, kind: str, now: float) -> list[dict]:
        rows = []
        for m in self.meetings.values():
            if m["host_id"] != host_id:
                continue
            start = parse_iso(m["start_time"]) if "start_time" in m else None
            ended = start is not None and start + m["duration"] * 60 < now and m["type"] != 8
            if kind == "previous_meetings":
                keep = ended
            elif kind == "live":
                keep = m["status"] == "started"
            elif kind in ("upcoming", "upcoming_meetings"):
                keep = not ended and (start is None or start + m["duration"] * 60 >= now)
            else:
                keep = not ended
            if keep:
                rows.append(m)
        rows.sort(key=lambda m: (m.get("start_time", "~"), m["id"]))
        return rows

    def _timezone(self, body: dict, default: str) -> str:
        if "timezone" not in body or body["timezone"] in (None, ""):
            return default
        if not isinstance(body["timezone"], str):
            raise _validation("timezone", "must be a timezone ID such as America/Los_Angeles")
        zone(body["timezone"])  # 400 when unknown
        return body["timezone"]

    @staticmethod
    def _duration(body: dict) -> int:
        value = body["duration"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _validation("duration", "must be a non-negative integer")
        return value

    @staticmethod
    def _topic(body: dict) -> str:
        if not isinstance(body["topic"], str) or len(body["topic"]) > 200:
            raise _validation("topic", "must be a string of at most 200 characters")
        return body["topic"]

    def create_meeting(self, user_id, *, params, body):
        user = self._user(user_id)
        body = body or {}
        mtype = body.get("type", 2)
        if mtype not in MEETING_TYPES or isinstance(mtype, bool):
            raise _validation("type", "must be one of 1, 2, 3, 8, 10")
        topic = self._topic(body) if "topic" in body else "Zoom Meeting"
        duration = self._duration(body) if "duration" in body else 60
        tz = self._timezone(body, user["timezone"])
        now = self._clock()
        start = now
        if body.get("start_time") and mtype in (2, 8):
            start = parse_start(body["start_time"], tz)
        recurrence = None
        if body.get("recurrence") is not None and mtype in (3, 8):
            recurrence = normalise_recurrence(body["recurrence"], start, tz)
        settings = body.get("settings") if isinstance(body.get("settings"), dict) else None
        meeting = self._add_meeting(user["id"], topic, mtype, None if mtype == 3 else start, duration,
                                    str(body.get("agenda", "")), created=now, timezone=tz,
                                    recurrence=recurrence)
        if settings:
            meeting["settings"].update(settings)
        if isinstance(body.get("password"), str) and body["password"]:
            meeting["password"] = body["password"][:10]
        if mtype == 1:
            meeting["status"] = "started"
        return 201, dict(meeting)

    @staticmethod
    def _occurrence(meeting: dict, params: dict, *, available: bool) -> dict | None:
        """The occurrence named by ?occurrence_id=, None without one; 400 code 300 when unknown."""
        occ_id = params.get("occurrence_id")
        if not occ_id:
            return None
        for occ in meeting.get("occurrences", ()):
            if occ["occurrence_id"] == occ_id and (not available or occ["status"] == "available"):
                return occ
        # Zoom documents this answer for DELETE; GET and PATCH list 400 without naming a code, and
        # the simulator answers them alike (see the module docstring).
        raise ApiError(400, 300, "Invalid parameter: occurrence_id.")

    def get_meeting(self, meeting_id, *, params, body):
        meeting = self._meeting(meeting_id)
        out = dict(meeting)
        occ = self._occurrence(meeting, params, available=False)
        if occ is not None:
            out["start_time"], out["duration"] = occ["start_time"], occ["duration"]
        return 200, out

    def update_meeting(self, meeting_id, *, params, body):
        meeting = self._meeting(meeting_id)
        body = body or {}
        occ = self._occurrence(meeting, params, available=True)
        tz = self._timezone(body, meeting["timezone"])
        if occ is not None:  # one occurrence: start_time and duration only
            start = iso(parse_start(body["start_time"], tz)) if body.get("start_time") else occ["start_time"]
            occ["duration"] = self._duration(body) if "duration" in body else occ["duration"]
            occ["start_time"] = start
            self.version += 1
            return 204, None
        # Validate everything first, so a bad field changes nothing.
        mtype = body.get("type", meeting["type"])
        if mtype not in MEETING_TYPES or isinstance(mtype, bool):
            raise _validation("type", "must be one of 1, 2, 3, 8, 10")
        topic = self._topic(body) if "topic" in body else meeting["topic"]
        duration = self._duration(body) if "duration" in body else meeting["duration"]
        if body.get("start_time") and mtype != 3:
            start = parse_start(body["start_time"], tz)
        elif "start_time" in meeting:
            start = parse_iso(meeting["start_time"])
        else:
            start = self._clock()  # a type 3 meeting given a fixed time
        recurrence = meeting.get("recurrence")
        if body.get("recurrence") is not None:
            recurrence = normalise_recurrence(body["recurrence"], start, tz)
        elif mtype == 8 and recurrence is None:
            recurrence = normalise_recurrence(DEFAULT_RECURRENCE, start, tz)
        meeting.update(type=mtype, topic=topic, duration=duration, timezone=tz)
        if mtype == 3:
            meeting.pop("start_time", None)
        else:
            meeting["start_time"] = iso(start)
        if mtype in (3, 8) and recurrence is not None:
            meeting["recurrence"] = recurrence
        else:
            meeting.pop("recurrence", None)
        if mtype == 8 and any(k in body for k in SERIES_KEYS):
            self._refresh_occurrences(meeting)
        elif mtype != 8:
            meeting.pop("occurrences", None)
        for key in ("agenda", "password"):
            if isinstance(body.get(key), str):
                meeting[key] = body[key]
        if isinstance(body.get("settings"), dict):
            meeting["settings"].update(body["settings"])
        self.version += 1
        return 204, None

    def delete_meeting(self, meeting_id, *, params, body):
        meeting = self._meeting(meeting_id)
        occ = self._occurrence(meeting, params, available=True)
        if occ is not None:
            occ["status"] = "deleted"  # Zoom keeps a deleted occurrence in the list, so marked
        else:
            del self.meetings[meeting["id"]]
        self.version += 1
        return 204, None

    def list_past_participants(self, meeting_uuid, *, params, body):
        inst = self._instance(meeting_uuid)
        page, meta = paginate(inst["participants"], params, f"participants:{inst['uuid']}")
        return 200, {**meta, "participants": page}

    def list_user_recordings(self, user_id, *, params, body):
        user = self._user(user_id)
        today = dt.datetime.fromtimestamp(self._clock(), dt.timezone.utc).date()
        try:
            start = dt.date.fromisoformat(params["from"]) if params.get("from") else today
            # Zoom's documented defaults: from = today and to = tomorrow; a lone from runs to today.
            if params.get("to"):
                end = dt.date.fromisoformat(params["to"])
            else:
                end = today if params.get("from") else today + dt.timedelta(days=1)
        except ValueError:
            raise ApiError(400, 300, "Invalid date format, expected yyyy-mm-dd.") from None
        check_month_range(start, end)
        lo = dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc).timestamp()
        hi = dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc).timestamp() + 86400
        rows = [self._recording_view(r) for r in sorted(self.recordings.values(), key=lambda r: -r["_start"])
                if r["host_id"] == user["id"] and lo <= r["_start"] < hi]
        if params.get("meeting_id"):
            rows = [r for r in rows if str(r["id"]) == params["meeting_id"]]
        page, meta = paginate(rows, params, f"recordings:{user['id']}:{start}:{end}")
        return 200, {"from": start.isoformat(), "to": end.isoformat(), **meta, "meetings": page}

    def get_meeting_recordings(self, meeting_id, *, params, body):
        if meeting_id.isdigit():
            found = sorted((r for r in self.recordings.values() if r["id"] == int(meeting_id)),
                           key=lambda r: -r["_start"])
            rec = found[0] if found else None
            if rec is None and int(meeting_id) not in self.meetings:
                raise ApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")
        else:
            rec = self.recordings.get(decode_uuid(meeting_id))
            if rec is None and decode_uuid(meeting_id) not in self.past:
                raise ApiError(404, 3001, f"Meeting does not exist: {decode_uuid(meeting_id)}.")
        if rec is None:
            raise ApiError(404, 3301, "There is no recording for this meeting.")
        view = self._recording_view(rec)
        if params.get("include_fields") == "download_access_token":
            view["download_access_token"] = "sim-download-token-use-your-bearer-token"
        return 200, view

    def get_meeting_summary(self, meeting_uuid, *, params, body):
        inst = self._instance(meeting_uuid)
        if not inst["summary"]:
            raise ApiError(404, 3001, f"Meeting summary does not exist: {inst['uuid']}.")
        host = self.users[inst["host_id"]]
        detail = SUMMARY["summary_details"]
        content = "\n\n".join([f"## {SUMMARY['summary_title']}", SUMMARY["summary_overview"]]
                              + [f"### {d['label']}\n{d['summary']}" for d in detail]
                              + ["### Next steps\n" + "\n".join(f"- {s}" for s in SUMMARY["next_steps"])])
        return 200, {
            "meeting_host_id": host["id"], "meeting_host_email": host["email"],
            "meeting_uuid": inst["uuid"], "meeting_id": inst["meeting_id"], "meeting_topic": inst["topic"],
            "meeting_start_time": iso(inst["start"]), "meeting_end_time": iso(inst["end"]),
            "summary_start_time": iso(inst["start"]), "summary_end_time": iso(inst["end"]),
            "summary_created_time": iso(inst["end"] + 60),
            "summary_last_modified_time": iso(inst["end"] + 60),
            "summary_title": SUMMARY["summary_title"], "summary_overview": SUMMARY["summary_overview"],
            "summary_details": [dict(d) for d in detail], "next_steps": list(SUMMARY["next_steps"]),
            "summary_content": content,
        }

    def list_webinars(self, user_id, *, params, body):
        user = self._user(user_id)
        kind = params.get("type", "scheduled")
        if kind not in ("scheduled", "upcoming"):
            raise _validation("type", f"invalid value {kind!r}")
        keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda",
                "created_at", "join_url", "is_simulive")
        rows = [{k: w[k] for k in keys} for w in sorted(self.webinars.values(), key=lambda w: w["start_time"])
                if w["host_id"] == user["id"]]
        page, meta = paginate(rows, params, f"webinars:{user['id']}")
        meta["page_number"] = 1
        return 200, {**meta, "webinars": page}

    def get_webinar(self, webinar_id, *, params, body):
        webinar = self.webinars.get(int(webinar_id)) if webinar_id.isdigit() else None
        if webinar is None:
            raise ApiError(404, 3001, f"Webinar does not exist: {webinar_id}.")
        return 200, json.loads(json.dumps(webinar))

    def report_user_meetings(self, user_id, *, params, body):
        user = self._user(user_id)
        if not params.get("from") or not params.get("to"):
            raise ApiError(400, 300, "The 'from' and 'to' parameters are required.")
        try:
            start, end = dt.date.fromisoformat(params["from"]), dt.date.fromisoformat(params["to"])
        except ValueError:
            raise ApiError(400, 300, "Invalid date format, expected yyyy-mm-dd.") from None
        check_month_range(start, end)
        lo = dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc).timestamp()
        hi = dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc).timestamp() + 86400
        rows = []
        for inst in sorted(self.past.values(), key=lambda p: p["start"]):
            if inst["host_id"] != user["id"] or not lo <= inst["start"] < hi:
                continue
            people = inst["participants"]
            rows.append({
                "uuid": inst["uuid"], "id": inst["meeting_id"], "type": inst["type"], "topic": inst["topic"],
                "user_name": user["display_name"], "user_email": user["email"],
                "start_time": iso(inst["start"]), "end_time": iso(inst["end"]), "duration": inst["duration"],
                "total_minutes": sum(p["duration"] for p in people) // 60,
                "participants_count": len(people), "participants_count_my_account":
                    sum(1 for p in people if p["internal_user"]),
                "source": "Zoom", "session_key": "", "has_screen_share": True,
                "has_recording": inst["uuid"] in self.recordings, "has_chat": False,
                "meeting_encryption_status": 1, "custom_keys": [],
            })
        page, meta = paginate(rows, params, f"report:{user['id']}:{start}:{end}")
        meta["page_number"] = 1
        return 200, {"from": start.isoformat(), "to": end.isoformat(), **meta, "meetings": page}

    # ---- downloads -----------------------------------------------------------------------------------
    def recording_file_content(self, file_id: str):
        return self.files.get(file_id)


def check_month_range(start: dt.date, end: dt.date) -> None:
    """Zoom allows at most one month between from and to (and from must not follow to)."""
    if end < start:
        raise ApiError(400, 300, "The 'to' date must not be earlier than the 'from' date.")
    month_later = _add_month(start)
    if end > month_later:
        raise ApiError(400, 300, "The date range can be at most one month.")


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def paginate(rows: list, params: dict, key: str, *, max_size: int = PAGE_SIZE_MAX):
    """Slice rows by page_size/next_page_token; returns (page, metadata) the way Zoom shapes it.

    The token is opaque to clients (base64 of offset and list key, so a token from one list is
    rejected by another) and "" on the last page.
    """
    raw_size = params.get("page_size", "")
    if raw_size == "":
        size = PAGE_SIZE_DEFAULT
    else:
        try:
            size = int(raw_size)
        except ValueError:
            raise ApiError(400, 300, f"Invalid field: page_size ({raw_size!r} is not a number).") from None
        if size < 1:
            raise ApiError(400, 300, "Invalid field: page_size must be at least 1.")
        if size > max_size:
            raise ApiError(400, 300, f"Invalid field: page_size cannot exceed {max_size}.")
    offset = 0
    token = params.get("next_page_token", "")
    if token:
        try:
            decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            off_text, _, token_key = decoded.partition("|")
            offset = int(off_text)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, 300, "The next page token is invalid or expired.") from None
        if token_key != key or offset < 0 or offset > len(rows):
            raise ApiError(400, 300, "The next page token is invalid or expired.")
    page = rows[offset:offset + size]
    nxt = offset + size
    next_token = (base64.urlsafe_b64encode(f"{nxt}|{key}".encode()).decode().rstrip("=")
                  if nxt < len(rows) else "")
    total = len(rows)
    meta = {"page_size": size, "total_records": total, "page_count": (total + size - 1) // size,
            "next_page_token": next_token}
    return page, meta


def _fake_media(brand: bytes, size: int) -> bytes:
    """A few KB that start like an ISO-BMFF file (ftyp box); enough for a download to be real bytes."""
    head = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"isom"
    body = bytes((i * 31 + 7) % 256 for i in range(size - len(head)))
    return head + body
