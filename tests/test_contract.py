"""Contract tests: the simulator against Zoom's own OpenAPI descriptions (Meetings.json, Users.json).

For every route the simulator serves (zoomsim.server.ROUTES) these tests drive real requests and check:
the path and method exist in Zoom's spec, every query parameter sent is documented, every answered
status is documented (401 is allowed everywhere: Zoom answers 401 code 124 on any route, though only a
few operations list it), JSON bodies validate against the spec's response schema (OAS 3.0, so
``nullable`` is honoured) and carry no field the schema does not know, and error bodies have Zoom's
{"code", "message"} shape.

The spec is not part of the repository: ZOOM_OPENAPI_DIR names the folder holding Meetings.json and
Users.json; unset, it defaults to ../shared/zoom-openapi beside the checkout (tests/conftest.py).
Without either every test here is skipped, saying so, and the run's summary ends with a note.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from zoomsim import ZoomSimulator
from zoomsim.server import ROUTE_SCOPES, ROUTES

SPEC_FILES = ("Meetings.json", "Users.json")

# Narrow, documented exceptions where Zoom's spec is silent about an answer the real API gives.
# GET /users/{userId}/recordings lists no 400, yet its own `from` description says "the maximum range
# can be a month" and page_size has "maximum: 300": the API rejects both with a 400 (code 300).
EXTRA_STATUSES = {("GET", "/users/{}/recordings"): {400}}


# The simulator's "now", pinned: the scenarios name date ranges from its today. 1 March (after a
# February of 28 days) is the day a range of "29 days back" runs longer than a month.
PINNED_NOW = 1_772_366_400.0  # 2026-03-01 12:00:00 UTC


@pytest.fixture
def sim():
    with ZoomSimulator(host="127.0.0.1", port=0, clock=lambda: PINNED_NOW) as simulator:
        yield simulator


def _spec_dir() -> Path | None:
    folder = os.environ.get("ZOOM_OPENAPI_DIR")
    if not folder:
        return None
    path = Path(folder)
    return path if all((path / name).is_file() for name in SPEC_FILES) else None


def test_the_shared_spec_is_used_without_being_named():
    from tests.conftest import SHARED_SPEC_DIR, _holds_spec

    if not _holds_spec(SHARED_SPEC_DIR):
        pytest.skip(f"no Zoom OpenAPI files in {SHARED_SPEC_DIR}")
    assert _spec_dir() is not None, "the spec beside the checkout was not picked up"


def _normalise(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


@pytest.fixture(scope="module")
def spec_ops() -> dict:
    folder = _spec_dir()
    if folder is None:
        pytest.skip("Zoom's OpenAPI files not found: set ZOOM_OPENAPI_DIR to a folder holding "
                    "Meetings.json and Users.json (e.g. ../shared/zoom-openapi) to run the contract tests")
    ops = {}
    for name in SPEC_FILES:
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    ops[(method.upper(), _normalise(template))] = op
    return ops


def _collect_properties(schema: dict) -> dict | None:
    """Merged properties of a schema (through allOf/oneOf/anyOf); None when it is a free object."""
    props: dict = {}
    found = False
    if "properties" in schema:
        props.update(schema["properties"])
        found = True
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, ()):
            sub_props = _collect_properties(sub)
            if sub_props is not None:
                props.update(sub_props)
                found = True
    return props if found else None


def _items_schema(schema: dict) -> dict | None:
    if "items" in schema:
        return schema["items"]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, ()):
            found = _items_schema(sub)
            if found is not None:
                return found
    return None


def undocumented_fields(schema: dict, value, where: str = "$") -> list[str]:
    """Paths of object keys in ``value`` that ``schema`` does not describe."""
    out: list[str] = []
    if isinstance(value, dict):
        props = _collect_properties(schema)
        if props is None:
            return out
        for key, sub in value.items():
            if key not in props:
                out.append(f"{where}.{key}")
            else:
                out += undocumented_fields(props[key], sub, f"{where}.{key}")
    elif isinstance(value, list):
        items = _items_schema(schema)
        if items is not None:
            for n, sub in enumerate(value):
                out += undocumented_fields(items, sub, f"{where}[{n}]")
    return out


class Driver:
    """Sends requests to the simulator and remembers what came back, keyed by route."""

    def __init__(self, sim):
        self.sim = sim
        token, _ = sim.issue_token()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, params=None, body=None, auth: bool = True):
        headers = None if auth else {"Authorization": ""}
        resp = self.http.request(method, self.sim.api_url + path, params=params, json=body,
                                 headers=headers, timeout=10)
        return resp

    def get_json(self, path: str, **params) -> dict:
        resp = self.call("GET", path, params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()


def _enc(uuid: str) -> str:
    """Zoom's rule: UUIDs beginning with "/" or containing "//" are double URL-encoded."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def scenarios(driver: Driver) -> list[tuple[str, str, str, dict | None, dict | None]]:
    """(method, route template, path, query params, JSON body) for every route, successes and errors."""
    today = dt.datetime.fromtimestamp(driver.sim.clock(), dt.timezone.utc).date()
    month_ago = (today - dt.timedelta(days=28)).isoformat()  # within a month from any day
    me = driver.get_json("/users/me")
    meetings = driver.get_json("/users/me/meetings")["meetings"]
    recurring = next(m for m in meetings if m["type"] == 8)
    recs = driver.get_json("/users/me/recordings", **{"from": month_ago, "to": today.isoformat()})["meetings"]
    slash_uuid = next(r["uuid"] for r in recs if r["uuid"].startswith("/"))
    plain_rec = next(r for r in recs if "/" not in r["uuid"])
    report = driver.get_json("/report/users/me/meetings", **{"from": month_ago, "to": today.isoformat()})
    unrecorded = next(m for m in report["meetings"] if not m["has_recording"])
    summary_uuid = next(p["uuid"] for p in driver.sim.account.past.values() if p["summary"])
    webinar = driver.get_json("/users/me/webinars")["webinars"][0]
    created = driver.call("POST", "/users/me/meetings", body={"topic": "Contract doomed", "type": 2,
                                                              "start_time": "2030-01-01T10:00:00Z"}).json()
    series = driver.call("POST", "/users/me/meetings", body={
        "topic": "Contract series", "type": 8, "start_time": "2030-01-07T10:00:00",
        "timezone": "Europe/Berlin",
        "recurrence": {"type": 1, "repeat_interval": 2, "end_times": 3}}).json()
    occ = [o["occurrence_id"] for o in series["occurrences"]]
    new_meeting = {"topic": "Contract test meeting", "type": 2, "start_time": "2030-05-01T15:00:00Z",
                   "duration": 30, "timezone": "UTC", "agenda": "Check the shapes",
                   "settings": {"waiting_room": True}}
    too_wide = {"from": (today - dt.timedelta(days=60)).isoformat(), "to": today.isoformat()}
    month = {"from": month_ago, "to": today.isoformat()}
    return [
        ("GET", "/users", "/users", None, None),
        ("GET", "/users", "/users", {"page_size": 2}, None),
        ("GET", "/users", "/users", {"status": "pending"}, None),
        ("GET", "/users", "/users", {"page_size": 5000}, None),
        ("GET", "/users/{userId}", "/users/me", None, None),
        ("GET", "/users/{userId}", f"/users/{me['id']}", None, None),
        ("GET", "/users/{userId}", f"/users/{quote(me['email'])}", None, None),
        ("GET", "/users/{userId}", "/users/nobody-here", None, None),
        ("GET", "/users/{userId}/meetings", "/users/me/meetings", None, None),
        ("GET", "/users/{userId}/meetings", "/users/me/meetings", {"type": "upcoming", "page_size": 2}, None),
        ("GET", "/users/{userId}/meetings", "/users/me/meetings", {"type": "previous_meetings"}, None),
        ("GET", "/users/{userId}/meetings", "/users/me/meetings", {"page_size": 301}, None),
        ("GET", "/users/{userId}/meetings", "/users/nobody-here/meetings", None, None),
        ("POST", "/users/{userId}/meetings", "/users/me/meetings", None, new_meeting),
        ("POST", "/users/{userId}/meetings", "/users/me/meetings", None,
         {"topic": "Recurring", "type": 8, "start_time": "2030-05-01T15:00:00Z", "duration": 30}),
        ("POST", "/users/{userId}/meetings", "/users/me/meetings", None,
         {"topic": "Monthly", "type": 8, "start_time": "2030-05-01T15:00:00", "timezone": "Asia/Tokyo",
          "recurrence": {"type": 3, "monthly_week": -1, "monthly_week_day": 6,
                         "end_date_time": "2030-09-30T00:00:00Z"}}),
        ("POST", "/users/{userId}/meetings", "/users/me/meetings", None, {"topic": "Bad", "type": 7}),
        ("POST", "/users/{userId}/meetings", "/users/nobody-here/meetings", None, new_meeting),
        ("GET", "/meetings/{meetingId}", f"/meetings/{meetings[0]['id']}", None, None),
        ("GET", "/meetings/{meetingId}", f"/meetings/{recurring['id']}", None, None),
        ("GET", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": occ[1]}, None),
        ("GET", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": "1"}, None),
        ("GET", "/meetings/{meetingId}", "/meetings/12345", None, None),
        ("PATCH", "/meetings/{meetingId}", f"/meetings/{meetings[0]['id']}", None, {"topic": "Renamed"}),
        ("PATCH", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": occ[0]},
         {"start_time": "2030-01-07T12:00:00Z", "duration": 20}),
        ("PATCH", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": "1"},
         {"duration": 5}),
        ("PATCH", "/meetings/{meetingId}", f"/meetings/{created['id']}", None,
         {"type": 8, "recurrence": {"type": 2, "weekly_days": "4", "end_times": 2}}),
        ("PATCH", "/meetings/{meetingId}", "/meetings/12345", None, {"topic": "Renamed"}),
        ("DELETE", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": occ[2]}, None),
        ("DELETE", "/meetings/{meetingId}", f"/meetings/{series['id']}", {"occurrence_id": occ[2]}, None),
        ("DELETE", "/meetings/{meetingId}", f"/meetings/{created['id']}", None, None),
        ("DELETE", "/meetings/{meetingId}", "/meetings/12345", None, None),
        ("GET", "/past_meetings/{meetingUUID}/participants",
         f"/past_meetings/{_enc(slash_uuid)}/participants", None, None),
        ("GET", "/past_meetings/{meetingUUID}/participants",
         f"/past_meetings/{plain_rec['id']}/participants", {"page_size": 2}, None),
        ("GET", "/past_meetings/{meetingUUID}/participants", "/past_meetings/NoSuchUUID==/participants",
         None, None),
        ("GET", "/users/{userId}/recordings", "/users/me/recordings", month, None),
        ("GET", "/users/{userId}/recordings", "/users/me/recordings", None, None),
        ("GET", "/users/{userId}/recordings", "/users/me/recordings", too_wide, None),
        ("GET", "/users/{userId}/recordings", "/users/me/recordings", {**month, "page_size": 301}, None),
        ("GET", "/users/{userId}/recordings", "/users/nobody-here/recordings", month, None),
        ("GET", "/meetings/{meetingId}/recordings", f"/meetings/{_enc(plain_rec['uuid'])}/recordings",
         None, None),
        ("GET", "/meetings/{meetingId}/recordings", f"/meetings/{_enc(slash_uuid)}/recordings",
         {"include_fields": "download_access_token"}, None),
        ("GET", "/meetings/{meetingId}/recordings", f"/meetings/{plain_rec['id']}/recordings", None, None),
        ("GET", "/meetings/{meetingId}/recordings", f"/meetings/{_enc(unrecorded['uuid'])}/recordings",
         None, None),
        ("GET", "/meetings/{meetingId}/recordings", "/meetings/12345/recordings", None, None),
        ("GET", "/meetings/{meetingUUID}/meeting_summary", f"/meetings/{_enc(summary_uuid)}/meeting_summary",
         None, None),
        ("GET", "/meetings/{meetingUUID}/meeting_summary",
         f"/meetings/{_enc(plain_rec['uuid'])}/meeting_summary", None, None),
        ("GET", "/meetings/{meetingUUID}/meeting_summary", "/meetings/NoSuchUUID==/meeting_summary",
         None, None),
        ("GET", "/users/{userId}/webinars", "/users/me/webinars", None, None),
        ("GET", "/users/{userId}/webinars", "/users/nobody-here/webinars", None, None),
        ("GET", "/webinars/{webinarId}", f"/webinars/{webinar['id']}", None, None),
        ("GET", "/webinars/{webinarId}", "/webinars/12345", None, None),
        ("GET", "/report/users/{userId}/meetings", "/report/users/me/meetings", month, None),
        ("GET", "/report/users/{userId}/meetings", "/report/users/me/meetings", {**month, "page_size": 2},
         None),
        ("GET", "/report/users/{userId}/meetings", "/report/users/me/meetings", too_wide, None),
        ("GET", "/report/users/{userId}/meetings", "/report/users/me/meetings", None, None),
        ("GET", "/report/users/{userId}/meetings", "/report/users/nobody-here/meetings", month, None),
    ]


ROUTE_IDS = [f"{method} {template}" for method, template, _ in ROUTES]


def test_every_route_has_scenarios(spec_ops, sim):
    covered = {(m, t) for m, t, *_ in scenarios(Driver(sim))}
    assert covered == {(m, t) for m, t, _ in ROUTES}


@pytest.mark.parametrize("route", ROUTE_IDS)
def test_missing_scope_defaults_are_scopes_zoom_lists(spec_ops, route):
    method, template = route.split(" ", 1)
    listed = {scope for sec in spec_ops[(method, _normalise(template))].get("security", ())
              for scope in sec.get("openapi_oauth", ())}
    assert set(ROUTE_SCOPES[(method, template)]) <= listed, f"{route}: Zoom lists {sorted(listed)}"


@pytest.mark.parametrize("route", ROUTE_IDS)
def test_route_exists_in_spec(spec_ops, route):
    method, template = route.split(" ", 1)
    assert (method, _normalise(template)) in spec_ops, f"{route} is not in Zoom's OpenAPI"


@pytest.mark.parametrize("route", ROUTE_IDS)
def test_route_answers_match_spec(spec_ops, sim, route):
    method, template = route.split(" ", 1)
    driver = Driver(sim)
    cases = [c for c in scenarios(driver) if (c[0], c[1]) == (method, template)]
    assert cases, f"no scenario drives {route}"
    key = (method, _normalise(template))
    op = spec_ops[key]
    documented = {int(code) for code in op["responses"] if code.isdigit()} | {401}
    documented |= EXTRA_STATUSES.get(key, set())
    known_params = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    statuses = set()
    # The same route without a token: 401 code 124, allowed everywhere.
    cases.append((method, template, cases[0][2], cases[0][3], cases[0][4], False))
    for case in cases:
        _, _, path, params, body, *auth = case
        assert set(params or {}) <= known_params, f"{route}: undocumented query params {params}"
        resp = driver.call(method, path, params=params, body=body, auth=auth[0] if auth else True)
        status = resp.status_code
        statuses.add(status)
        where = f"{method} {path} {params or ''} -> {status}"
        assert status in documented, f"{where}: status not documented ({sorted(documented)})"
        if status == 204:
            assert resp.content == b"", f"{where}: 204 must have no body"
            continue
        payload = resp.json()
        if status >= 400:
            assert isinstance(payload.get("code"), int) and isinstance(payload.get("message"), str), where
            continue
        content = op["responses"][str(status)].get("content", {}).get("application/json")
        assert content is not None, f"{where}: spec documents no JSON body for {status}"
        schema = content["schema"]
        OAS30Validator(schema, format_checker=oas30_format_checker).validate(payload)
        extra = sorted({re.sub(r"\[\d+\]", "[]", f) for f in undocumented_fields(schema, payload)})
        assert not extra, f"{where}: fields not in Zoom's schema: {extra}"
    assert any(s < 300 for s in statuses), f"{route}: no successful answer was exercised"
