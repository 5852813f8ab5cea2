"""Behaviour of the Zoom simulator (zoomsim): token endpoint, /v2 API, fault modes, request log, CLI."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests

from zoomsim import ZoomSimulator

GRANT = {"grant_type": "account_credentials"}


class FakeClock:
    """An injectable clock: tests move time instead of waiting."""

    def __init__(self, now: float | None = None):
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


def fetch_token(sim, *, via="query", auth=None, account=None, grant="account_credentials"):
    params = {"grant_type": grant, "account_id": account or sim.account_id}
    auth = auth or (sim.client_id, sim.client_secret)
    if via == "query":
        return requests.post(sim.oauth_url, params=params, auth=auth, timeout=5)
    return requests.post(sim.oauth_url, data=params, auth=auth, timeout=5)


def api(sim, path, token=None, method="GET", **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, sim.api_url + path, headers=headers, timeout=5, **kwargs)


def jwt_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def enc(uuid: str) -> str:
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def csim(clock):
    """A simulator on a fake clock."""
    with ZoomSimulator(port=0, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def token(sim):
    return sim.issue_token()[0]


# ---- token endpoint -------------------------------------------------------------------------------
@pytest.mark.parametrize("via", ["query", "form"])
def test_token_endpoint_issues_zoom_shaped_jwt(sim, via):
    before = int(time.time())
    resp = fetch_token(sim, via=via)
    after = time.time()
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] and body["api_url"] == sim.url
    tok = body["access_token"]
    assert tok.startswith("eyJzdiI6") and tok.count(".") == 2
    header, payload = jwt_part(tok, 0), jwt_part(tok, 1)
    assert {k: header[k] for k in ("sv", "alg", "v")} == {"sv": "000001", "alg": "HS512", "v": "2.0"}
    assert header["kid"]
    assert payload["iss"] == f"zm:cid:{sim.client_id}"
    assert payload["aid"] == sim.account_id
    assert payload["exp"] - payload["iat"] == 3600
    assert before <= payload["iat"] <= after  # issued during the request (whole seconds)
    assert len(tok.split(".")[2]) > 40  # an HS512 signature part
    assert api(sim, "/users/me", tok).status_code == 200


def test_several_tokens_valid_at_once(sim):
    tokens = [fetch_token(sim).json()["access_token"] for _ in range(3)]
    assert len(set(tokens)) == 3
    assert all(api(sim, "/users/me", t).status_code == 200 for t in tokens)
    assert sim.stats()["tokens_issued"] == 3
    assert sim.stats()["token_requests"] == 3


@pytest.mark.parametrize("auth", [("demo-client-id", "wrong-secret"), ("someone-else", "demo-client-secret"),
                                  None])
def test_token_bad_credentials_is_invalid_client(sim, auth):
    if auth is None:
        resp = requests.post(sim.oauth_url, params={**GRANT, "account_id": sim.account_id}, timeout=5)
    else:
        resp = fetch_token(sim, auth=auth)
    assert resp.status_code == 400
    assert resp.json() == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert sim.stats()["tokens_issued"] == 0


def test_token_wrong_grant_and_unknown_account(sim):
    resp = fetch_token(sim, grant="client_credentials")
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    resp = fetch_token(sim, account="no-such-account")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    assert resp.json()["reason"] == "Account does not exist"


def test_credentials_come_from_environment(monkeypatch):
    monkeypatch.setenv("ZOOMSIM_ACCOUNT_ID", "acct-x")
    monkeypatch.setenv("ZOOMSIM_CLIENT_ID", "cid-x")
    monkeypatch.setenv("ZOOMSIM_CLIENT_SECRET", "secret-x")
    with ZoomSimulator() as sim:
        assert (sim.account_id, sim.client_id, sim.client_secret) == ("acct-x", "cid-x", "secret-x")
        assert fetch_token(sim).status_code == 200
        assert fetch_token(sim, auth=("demo-client-id", "demo-client-secret")).status_code == 400


# ---- bearer tokens: missing, unknown, expired, revoked, TTL ---------------------------------------
def test_missing_and_unknown_token_get_401_code_124(sim):
    for tok in (None, "not-a-token"):
        resp = api(sim, "/users/me", tok)
        assert resp.status_code == 401
        assert resp.json() == {"code": 124, "message": "Invalid access token."}
    states = [r["token"] for r in sim.requests(route="api")]
    assert states == ["missing", "unknown"]


def test_token_expiry_follows_the_injected_clock(csim, clock):
    tok = fetch_token(csim).json()["access_token"]
    assert jwt_part(tok, 1)["iat"] == int(clock.now)
    clock.now += 3599
    assert api(csim, "/users/me", tok).status_code == 200
    clock.now += 2
    resp = api(csim, "/users/me", tok)
    assert resp.status_code == 401
    assert resp.json() == {"code": 124, "message": "Access token is expired."}
    assert csim.requests(route="api")[-1]["token"] == "expired"
    assert fetch_token(csim).status_code == 200  # a fresh one works at the new time


def test_token_ttl_is_configurable(csim, clock):
    csim.set_token_ttl(305)
    body = fetch_token(csim).json()
    assert body["expires_in"] == 305
    requests.post(csim.url + "/_sim/config", json={"token_ttl": 60}, timeout=5).raise_for_status()
    body = fetch_token(csim).json()
    assert body["expires_in"] == 60
    clock.now += 61
    assert api(csim, "/users/me", body["access_token"]).status_code == 401
    bad = requests.post(csim.url + "/_sim/config", json={"token_ttl": 0}, timeout=5)
    assert bad.status_code == 400
    assert requests.post(csim.url + "/_sim/config", json={"bogus": 1}, timeout=5).status_code == 400


def test_revoke_makes_every_token_unknown(sim):
    old = [fetch_token(sim).json()["access_token"] for _ in range(2)]
    assert requests.post(sim.url + "/_sim/revoke", timeout=5).status_code == 200
    for tok in old:
        resp = api(sim, "/users/me", tok)
        assert resp.status_code == 401 and resp.json()["message"] == "Invalid access token."
    assert api(sim, "/users/me", fetch_token(sim).json()["access_token"]).status_code == 200
    sim.revoke_all()
    assert sim.token_state(old[0]) == "unknown"


def test_issue_token_is_not_recorded(sim):
    tok, ttl = sim.issue_token()
    assert ttl == 3600 and sim.token_state(tok) == "valid"
    assert sim.requests() == [] and sim.stats()["token_requests"] == 0


# ---- fault modes ----------------------------------------------------------------------------------
def test_fault_refused_resets_the_connection(sim, token):
    sim.add_fault("token", "refused")
    with pytest.raises(requests.ConnectionError):
        fetch_token(sim)
    sim.clear_faults()
    sim.add_fault("GET /v2/users/*", "refused", count=1)
    session = requests.Session()  # a kept-alive connection is reset just the same
    session.headers["Authorization"] = f"Bearer {token}"
    assert session.get(sim.api_url + "/users", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        session.get(sim.api_url + "/users/me", timeout=5)
    assert api(sim, "/users/me", token).status_code == 200
    refused = [r for r in sim.requests() if r["fault"] == "refused"]
    assert [(r["route"], r["status"]) for r in refused] == [("token", None), ("api", None)]


def test_fault_refused_sends_no_http_bytes(sim):
    sim.add_fault("token", "refused")
    with socket.create_connection((sim.host, sim.port), timeout=5) as conn:
        conn.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            data = conn.recv(1024)
            pytest.fail(f"expected a TCP reset, got {data!r}")  # b"" would be a polite FIN


@pytest.mark.parametrize("status", [None, 503])
def test_fault_error_answers_5xx(sim, token, status):
    opts = {} if status is None else {"status": status}
    sim.add_fault("api", "error", **opts)
    resp = api(sim, "/users/me", token)
    assert resp.status_code == (status or 500)
    assert resp.json()["code"] == (status or 500)
    sim.clear_faults()
    sim.add_fault("token", "error", **opts)
    assert fetch_token(sim).status_code == (status or 500)


def test_fault_error_rejects_non_5xx(sim):
    with pytest.raises(ValueError):
        sim.add_fault("api", "error", status=404)
    resp = requests.post(sim.url + "/_sim/faults", json={"target": "api", "mode": "nope"}, timeout=5)
    assert resp.status_code == 400 and "unknown fault mode" in resp.json()["error"]


def test_fault_slow_delays_the_answer(sim, token):
    sim.add_fault("api", "slow", delay=0.6, count=2)
    # Lower bounds only, which load cannot break (it only lengthens a wait): the simulator holds
    # the answer 0.6 s, longer than the client's 0.2 s read timeout.
    with pytest.raises(requests.ReadTimeout):
        requests.get(sim.api_url + "/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=0.2)
    started = time.monotonic()
    resp = api(sim, "/users/me", token)
    assert resp.status_code == 200 and resp.json()["email"]
    assert time.monotonic() - started >= 0.6  # hygiene: lower bound
    assert api(sim, "/users/me", token).status_code == 200
    # The count is used up: the log says which answers the fault held back, not a stopwatch.
    assert [r["fault"] for r in sim.requests(route="api")] == ["slow", "slow", None]


def test_fault_malformed_json(sim, token):
    sim.add_fault("token", "malformed", count=1)
    sim.add_fault("api", "malformed", count=1)
    for resp in (fetch_token(sim), api(sim, "/users/me", token)):
        assert resp.status_code == 200
        with pytest.raises(ValueError):
            resp.json()


def test_fault_empty_token_and_invalid_client_only_hit_the_token_route(sim, token):
    sim.add_fault("token", "empty_token", count=1)
    body = fetch_token(sim).json()
    assert body["access_token"] == "" and body["expires_in"] == 3600
    sim.add_fault("token", "invalid_client", count=1)
    resp = fetch_token(sim)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"
    assert fetch_token(sim).status_code == 200
    sim.add_fault("GET *", "invalid_client")  # matches every GET, but the mode is token-only
    assert api(sim, "/users/me", token).status_code == 200


def test_fault_rate_limit_seconds_form(sim, token):
    sim.add_fault("api", "rate_limit", retry_after="3", count=1)
    resp = api(sim, "/users/me", token)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "3"
    assert resp.json() == {"code": 429, "message": "You have reached the maximum per-second rate limit for "
                                                   "this API. Try again later."}
    for header in ("X-RateLimit-Category", "X-RateLimit-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
        assert resp.headers[header]
    assert api(sim, "/users/me", token).status_code == 200


def test_fault_rate_limit_iso_form(csim, clock):
    clock.now = 1_700_000_000.25
    tok = csim.issue_token()[0]
    resp = requests.post(csim.url + "/_sim/faults", json={"target": "api", "mode": "rate_limit",
                                                          "retry_after": "iso", "retry_after_seconds": 5},
                         timeout=5)
    assert resp.json()["id"] >= 1
    resp = api(csim, "/users/me", tok)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "2023-11-14T22:13:26Z"  # ceil(now + 5) in UTC
    sim_retry = dt.datetime.strptime(resp.headers["Retry-After"], "%Y-%m-%dT%H:%M:%SZ")
    assert sim_retry.replace(tzinfo=dt.timezone.utc).timestamp() - clock.now == pytest.approx(5.75)
    assert fetch_token(csim).status_code == 200  # "api" faults leave the token route alone


def test_fault_count_expires(sim, token):
    sim.add_fault("api", "error", count=2)
    codes = [api(sim, "/users/me", token).status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert sim.faults() == []


def test_fault_probability_zero_and_one(sim, token):
    sim.add_fault("api", "error", probability=0)
    assert all(api(sim, "/users/me", token).status_code == 200 for _ in range(20))
    sim.clear_faults()
    sim.add_fault("api", "error", probability=1, count=5)
    assert [api(sim, "/users/me", token).status_code for _ in range(6)] == [500] * 5 + [200]
    with pytest.raises(ValueError):
        sim.add_fault("api", "error", probability=1.5)


def test_fault_probability_is_random(token):
    import random

    with ZoomSimulator(rng=random.Random(7)) as sim:  # noqa: S311 - seeded dice for a stable test
        tok = sim.issue_token()[0]
        sim.add_fault("api", "error", probability=0.5)
        codes = [api(sim, "/users/me", tok).status_code for _ in range(40)]
        assert 5 < codes.count(500) < 35 and 5 < codes.count(200) < 35


def test_fault_targets_by_method_and_glob(sim, token):
    sim.add_fault("DELETE /meetings/*", "error", status=502)  # globs match with or without /v2
    mid = api(sim, "/users/me/meetings", token).json()["meetings"][0]["id"]
    assert api(sim, f"/meetings/{mid}", token).status_code == 200
    assert api(sim, f"/meetings/{mid}", token, method="DELETE").status_code == 502
    assert api(sim, "/users/me", token).status_code == 200
    assert fetch_token(sim).status_code == 200


def test_fault_control_endpoints(sim, token):
    base = sim.url + "/_sim/faults"
    fid = requests.post(base, json={"target": "api", "mode": "error"}, timeout=5).json()["id"]
    listed = requests.get(base, timeout=5).json()["faults"]
    assert [f["id"] for f in listed] == [fid]
    assert requests.delete(f"{base}/{fid}", timeout=5).json() == {"removed": True}
    requests.post(base, json={"target": "token", "mode": "refused"}, timeout=5)
    assert requests.delete(base, timeout=5).status_code == 200
    assert fetch_token(sim).status_code == 200 and sim.faults() == []
    assert requests.post(base, json={"target": "bad", "mode": "error"}, timeout=5).status_code == 400


# ---- request log and stats ------------------------------------------------------------------------
def test_request_log_records_and_never_holds_a_secret(sim):
    tok = fetch_token(sim, via="form").json()["access_token"]
    fetch_token(sim, via="query")
    api(sim, "/users/me/meetings", tok, params={"page_size": 5})
    api(sim, "/users/me", None)
    file_url = next(f["download_url"] for f in _recording_files(sim, tok) if f["file_type"] == "TRANSCRIPT")
    requests.get(file_url, params={"access_token": tok}, timeout=5)
    requests.get(sim.url + "/_sim/stats", timeout=5)  # control calls are not recorded
    log = sim.requests()
    assert [(r["method"], r["route"], r["token"], r["status"]) for r in log] == [
        ("POST", "token", "none", 200), ("POST", "token", "none", 200), ("GET", "api", "valid", 200),
        ("GET", "api", "missing", 401), ("GET", "api", "valid", 200), ("GET", "download", "valid", 200)]
    assert log[2]["path"] == "/v2/users/me/meetings" and log[2]["query"] == {"page_size": "5"}
    assert log[1]["query"] == {"grant_type": "account_credentials", "account_id": sim.account_id}
    assert log[-1]["query"]["access_token"] == f"{tok[:4]}...{tok[-4:]}"
    dumped = json.dumps(log) + json.dumps(requests.get(sim.url + "/_sim/requests", timeout=5).json())
    assert tok not in dumped and sim.client_secret not in dumped
    assert base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode()).decode() not in dumped
    assert sim.stats() == {"token_requests": 2, "tokens_issued": 2, "api_requests": 3, "download_requests": 1,
                           "rate_limited": 0}
    only_api = requests.get(sim.url + "/_sim/requests", params={"route": "api"}, timeout=5).json()["requests"]
    assert len(only_api) == 3
    assert requests.delete(sim.url + "/_sim/requests", timeout=5).status_code == 200
    assert sim.requests() == []


# ---- /v2 API --------------------------------------------------------------------------------------
def test_users(sim, token):
    me = api(sim, "/users/me", token).json()
    assert me["type"] in (1, 2, 4, 99) and me["email"] and me["account_id"] == sim.account_id
    users = api(sim, "/users", token).json()
    assert users["total_records"] >= 4 and me["id"] in [u["id"] for u in users["users"]]
    assert api(sim, f"/users/{me['id']}", token).json()["email"] == me["email"]
    assert api(sim, f"/users/{me['email']}", token).json()["id"] == me["id"]
    resp = api(sim, "/users/nobody", token)
    assert resp.status_code == 404
    assert resp.json() == {"code": 1001, "message": "User does not exist: nobody."}


def test_meetings_list_types_and_create_update_delete(sim, token):
    listed = api(sim, "/users/me/meetings", token).json()["meetings"]
    assert {2, 3, 8} <= {m["type"] for m in listed}
    previous = api(sim, "/users/me/meetings", token, params={"type": "previous_meetings"}).json()
    now = dt.datetime.fromtimestamp(sim.clock(), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert previous["meetings"] and all(m["start_time"] < now for m in previous["meetings"])
    resp = api(sim, "/users/me/meetings", token, method="POST",
               json={"topic": "Planning", "type": 2, "start_time": "2030-01-02T15:00:00Z", "duration": 45})
    assert resp.status_code == 201
    created = resp.json()
    assert created["topic"] == "Planning" and created["start_time"] == "2030-01-02T15:00:00Z"
    assert isinstance(created["id"], int) and created["join_url"]
    mid = created["id"]
    assert api(sim, f"/meetings/{mid}", token).json()["duration"] == 45
    resp = api(sim, f"/meetings/{mid}", token, method="PATCH", json={"topic": "Planning v2"})
    assert resp.status_code == 204 and resp.content == b""
    assert api(sim, f"/meetings/{mid}", token).json()["topic"] == "Planning v2"
    resp = api(sim, f"/meetings/{mid}", token, method="DELETE")
    assert resp.status_code == 204 and resp.content == b""
    resp = api(sim, f"/meetings/{mid}", token)
    assert resp.status_code == 404
    assert resp.json() == {"code": 3001, "message": f"Meeting does not exist: {mid}."}
    for method in ("PATCH", "DELETE"):
        assert api(sim, f"/meetings/{mid}", token, method=method, json={}).json()["code"] == 3001


def test_create_meeting_validation_and_unknown_user(sim, token):
    resp = api(sim, "/users/me/meetings", token, method="POST", json={"type": 7})
    assert resp.status_code == 400 and resp.json()["code"] == 300
    resp = api(sim, "/users/ghost/meetings", token, method="POST", json={"topic": "x"})
    assert resp.status_code == 404 and resp.json()["code"] == 1001


def test_pagination_walks_every_page(sim, token):
    before = api(sim, "/users/me/meetings", token).json()["total_records"]
    sim.seed_meetings("me", 40)
    total = before + 40
    first = api(sim, "/users/me/meetings", token).json()
    assert first["page_size"] == 30 and len(first["meetings"]) == 30 and first["total_records"] == total
    assert first["next_page_token"]
    seen, page_token, pages = [], "", 0
    while True:
        params = {"page_size": 7, **({"next_page_token": page_token} if page_token else {})}
        page = api(sim, "/users/me/meetings", token, params=params).json()
        seen += [m["id"] for m in page["meetings"]]
        pages += 1
        page_token = page["next_page_token"]
        if not page_token:
            break
    assert len(seen) == len(set(seen)) == total and pages == first["total_records"] // 7 + (total % 7 > 0)
    assert len(api(sim, "/users/me/meetings", token, params={"page_size": 300}).json()["meetings"]) == total


def test_pagination_errors(sim, token):
    resp = api(sim, "/users/me/meetings", token, params={"page_size": 301})
    assert resp.status_code == 400 and resp.json()["code"] == 300
    resp = api(sim, "/users/me/meetings", token, params={"next_page_token": "garbage!"})
    assert resp.status_code == 400 and resp.json()["code"] == 300
    sim.seed_meetings("me", 40)
    other_list = api(sim, "/users/me/meetings", token).json()["next_page_token"]
    resp = api(sim, "/users/me/meetings", token, params={"type": "upcoming", "next_page_token": other_list})
    assert resp.status_code == 400 and resp.json()["message"] == "The next page token is invalid or expired."


def test_seed_control_endpoint(sim, token):
    before = api(sim, "/users/me/meetings", token).json()["total_records"]
    resp = requests.post(sim.url + "/_sim/seed", json={"user_id": "me", "meetings": 1000}, timeout=5)
    assert resp.json()["meetings"] >= before + 1000
    assert api(sim, "/users/me/meetings", token).json()["total_records"] == before + 1000
    assert requests.post(sim.url + "/_sim/seed", json={"user_id": "ghost", "meetings": 1},
                         timeout=5).status_code == 404


def sim_today(sim) -> dt.date:
    return dt.datetime.fromtimestamp(sim.clock(), dt.timezone.utc).date()


def within_a_month(sim) -> dict:
    """The last 28 days up to the simulator's today: within Zoom's one month from any day (30 days
    back is not from 2 to 30 March, when it starts in February)."""
    today = sim_today(sim)
    return {"from": (today - dt.timedelta(days=28)).isoformat(), "to": today.isoformat()}


def _recording_files(sim, tok):
    params = within_a_month(sim)
    meetings = api(sim, "/users/me/recordings", tok, params=params).json()["meetings"]
    return [f for m in meetings for f in m["recording_files"]]


def test_recordings_lie_within_the_last_4_weeks_with_mp4_m4a_vtt(sim, token):
    params = within_a_month(sim)
    body = api(sim, "/users/me/recordings", token, params=params).json()
    assert body["from"] == params["from"] and body["total_records"] >= 3
    for meeting in body["meetings"]:
        start = dt.datetime.strptime(meeting["start_time"], "%Y-%m-%dT%H:%M:%SZ").date()
        assert params["from"] <= start.isoformat() <= params["to"]
        assert {f["file_type"] for f in meeting["recording_files"]} >= {"MP4", "M4A", "TRANSCRIPT"}
        urls = [f["download_url"] for f in meeting["recording_files"]]
        assert all(url.startswith(sim.url + "/rec/download/") for url in urls)


def test_recordings_range_is_at_most_one_month(sim, token):
    resp = api(sim, "/users/me/recordings", token, params={"from": "2024-01-01", "to": "2024-02-15"})
    assert resp.status_code == 400 and resp.json()["code"] == 300
    assert api(sim, "/users/me/recordings", token,
               params={"from": "2024-01-31", "to": "2024-02-29"}).status_code == 200


def test_transcript_download_is_multi_speaker_webvtt(sim, token):
    transcript = next(f for f in _recording_files(sim, token) if f["file_type"] == "TRANSCRIPT")
    assert transcript["file_extension"] == "VTT"
    assert requests.get(transcript["download_url"], timeout=5).status_code == 401
    resp = requests.get(transcript["download_url"], headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/vtt")
    text = resp.text
    assert text.startswith("WEBVTT\n") and len(resp.content) == transcript["file_size"]
    stamp = r"(\d\d:\d\d:\d\d\.\d{3})"
    cues = re.findall(rf"^\d+\n{stamp} --> {stamp}\n([^:\n]+): .+$", text, re.M)
    assert len(cues) >= 10 and len({speaker for _, _, speaker in cues}) >= 3
    assert all(a < b for a, b, _ in cues)
    by_query = requests.get(transcript["download_url"], params={"access_token": token}, timeout=5)
    assert by_query.text == text
    mp4 = next(f for f in _recording_files(sim, token) if f["file_type"] == "MP4")
    media = requests.get(mp4["download_url"], headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert media.content[4:8] == b"ftyp" and len(media.content) == mp4["file_size"]


def test_double_encoded_uuids(sim, token):
    awkward = [u for u in sim.account.past if u.startswith("/") or "//" in u]
    assert len(awkward) >= 2
    for uuid in awkward:
        resp = api(sim, f"/past_meetings/{enc(uuid)}/participants", token)
        assert resp.status_code == 200, uuid
        people = resp.json()["participants"]
        assert len(people) >= 3 and all(p["name"] and p["join_time"] for p in people)
        assert api(sim, f"/meetings/{enc(uuid)}/recordings", token).json()["uuid"] == uuid
        single = api(sim, f"/past_meetings/{quote(uuid, safe='')}/participants", token)
        assert single.status_code == 404 and single.json()["code"] == 3001


def test_meeting_summary_webinars_and_report(sim, token):
    uuid = next(u for u, p in sim.account.past.items() if p["summary"])
    summary = api(sim, f"/meetings/{enc(uuid)}/meeting_summary", token).json()
    assert summary["meeting_uuid"] == uuid and summary["summary_details"] and summary["next_steps"]
    webinars = api(sim, "/users/me/webinars", token).json()["webinars"]
    assert webinars
    assert api(sim, f"/webinars/{webinars[0]['id']}", token).json()["topic"] == webinars[0]["topic"]
    assert api(sim, "/webinars/1", token).json()["code"] == 3001
    report = api(sim, "/report/users/me/meetings", token, params=within_a_month(sim)).json()
    assert report["total_records"] >= 3 and all(r["participants_count"] >= 2 for r in report["meetings"])


def test_keep_alive_answers_dodge_the_nagle_trap(sim, token, monkeypatch):
    """A keep-alive client waits ~40 ms per request when headers and body go out in separate writes
    (Nagle vs delayed ACK). What prevents it is checked directly, not timed (bench/ times it): each
    connection has TCP_NODELAY, and each answer, head and body, goes out in one write."""
    from zoomsim import server as simserver

    connections: list[tuple[int, list[bytes]]] = []  # (TCP_NODELAY, what each write sent)
    setup = simserver._Handler.setup

    class Writes:
        def __init__(self, real, sent):
            self.real, self.sent = real, sent

        def write(self, data):
            self.sent.append(bytes(data))
            return self.real.write(data)

        def __getattr__(self, name):
            return getattr(self.real, name)

    def counting_setup(handler):
        setup(handler)
        sent: list[bytes] = []
        connections.append((handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), sent))
        handler.wfile = Writes(handler.wfile, sent)

    monkeypatch.setattr(simserver._Handler, "setup", counting_setup)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        assert session.get(sim.api_url + "/users/me").status_code == 200
        for _ in range(5):
            assert session.post(sim.api_url + "/users/me/meetings", json={"topic": "x"}).status_code == 201
    ((nodelay, sent),) = connections  # one connection, kept alive
    assert nodelay
    assert len(sent) == 6
    for answer in sent:
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        assert head.startswith(b"HTTP/1.1 2") and length > 0 and len(body) == length


# ---- recurrence, local start times, occurrences -----------------------------------------------------
def _create(sim, token, **body):
    resp = api(sim, "/users/me/meetings", token, method="POST", json={"topic": "Series", **body})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _starts(meeting):
    return [o["start_time"] for o in meeting["occurrences"]]


def _ms(stamp: str) -> str:
    return str(int(dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc).timestamp() * 1000))


def test_recurrence_is_kept_and_drives_the_occurrences(sim, token):
    recurrence = {"type": 1, "repeat_interval": 2, "end_times": 3}
    created = _create(sim, token, type=8, start_time="2030-01-07T09:00:00Z", duration=30, timezone="UTC",
                      recurrence=recurrence)
    fetched = api(sim, f"/meetings/{created['id']}", token).json()
    for meeting in (created, fetched):
        assert meeting["recurrence"] == recurrence
        assert meeting["occurrences"] == [
            {"occurrence_id": _ms(s), "start_time": s, "duration": 30, "status": "available"}
            for s in ("2030-01-07T09:00:00Z", "2030-01-09T09:00:00Z", "2030-01-11T09:00:00Z")]
    # Weekly on Monday and Wednesday (1 = Sunday), from Monday 2030-01-07.
    weekly = _create(sim, token, type=8, start_time="2030-01-07T09:00:00Z", timezone="UTC",
                     recurrence={"type": 2, "weekly_days": "2,4", "end_times": 4})
    assert _starts(weekly) == ["2030-01-07T09:00:00Z", "2030-01-09T09:00:00Z", "2030-01-14T09:00:00Z",
                               "2030-01-16T09:00:00Z"]
    # Monthly on the 15th until an end date.
    monthly = _create(sim, token, type=8, start_time="2030-01-07T09:00:00Z", timezone="UTC",
                      recurrence={"type": 3, "monthly_day": 15, "end_date_time": "2030-04-20T00:00:00Z"})
    assert monthly["recurrence"]["end_date_time"] == "2030-04-20T00:00:00Z"
    assert _starts(monthly) == [f"2030-0{m}-15T09:00:00Z" for m in (1, 2, 3, 4)]
    # Monthly on the last Friday.
    last_friday = _create(sim, token, type=8, start_time="2030-01-07T09:00:00Z", timezone="UTC",
                          recurrence={"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 2})
    assert _starts(last_friday) == ["2030-01-25T09:00:00Z", "2030-02-22T09:00:00Z"]
    # A series keeps its local wall-clock time across a DST change (Berlin: 2030-03-31).
    berlin = _create(sim, token, type=8, start_time="2030-03-25T10:00:00", timezone="Europe/Berlin",
                     recurrence={"type": 2, "weekly_days": "2", "end_times": 2})
    assert _starts(berlin) == ["2030-03-25T09:00:00Z", "2030-04-01T08:00:00Z"]
    for bad in ({"type": 1, "end_times": 2, "end_date_time": "2030-02-01T00:00:00Z"}, {"type": 4},
                {"type": 1, "end_times": 61}, {"type": 2, "weekly_days": "8"}, {"end_times": 2}):
        resp = api(sim, "/users/me/meetings", token, method="POST",
                   json={"type": 8, "start_time": "2030-01-07T09:00:00Z", "recurrence": bad})
        assert resp.status_code == 400 and resp.json()["code"] == 300, bad


def test_local_start_time_is_read_in_the_meeting_timezone(sim, token):
    local = _create(sim, token, type=2, start_time="2026-12-10T15:00:00", timezone="Europe/Berlin")
    assert (local["start_time"], local["timezone"]) == ("2026-12-10T14:00:00Z", "Europe/Berlin")
    assert api(sim, f"/meetings/{local['id']}", token).json()["start_time"] == "2026-12-10T14:00:00Z"
    utc = _create(sim, token, type=2, start_time="2026-12-10T15:00:00Z", timezone="Europe/Berlin")
    assert (utc["start_time"], utc["timezone"]) == ("2026-12-10T15:00:00Z", "Europe/Berlin")
    # No timezone: the host's own (Alice: America/Los_Angeles, UTC-8 in December).
    host_tz = _create(sim, token, type=2, start_time="2026-12-10T15:00:00")
    assert (host_tz["start_time"], host_tz["timezone"]) == ("2026-12-10T23:00:00Z", "America/Los_Angeles")
    # PATCH reads a local time in the meeting's timezone (Berlin is UTC+2 in July).
    mid = local["id"]
    assert api(sim, f"/meetings/{mid}", token, method="PATCH",
               json={"start_time": "2027-07-01T09:00:00"}).status_code == 204
    assert api(sim, f"/meetings/{mid}", token).json()["start_time"] == "2027-07-01T07:00:00Z"
    resp = api(sim, "/users/me/meetings", token, method="POST",
               json={"type": 2, "start_time": "2026-12-10T15:00:00", "timezone": "Mars/Olympus_Mons"})
    assert resp.status_code == 400 and resp.json()["code"] == 300


def test_patch_changes_type_and_recurrence(sim, token):
    mid = _create(sim, token, type=2, start_time="2030-01-07T09:00:00Z", duration=20, timezone="UTC")["id"]
    resp = api(sim, f"/meetings/{mid}", token, method="PATCH",
               json={"type": 8, "recurrence": {"type": 1, "end_times": 2}})
    assert resp.status_code == 204 and resp.content == b""
    meeting = api(sim, f"/meetings/{mid}", token).json()
    assert meeting["type"] == 8 and meeting["recurrence"] == {"type": 1, "end_times": 2}
    assert _starts(meeting) == ["2030-01-07T09:00:00Z", "2030-01-08T09:00:00Z"]
    api(sim, f"/meetings/{mid}", token, method="PATCH",
        json={"recurrence": {"type": 2, "weekly_days": "3", "end_times": 3}, "duration": 50})
    meeting = api(sim, f"/meetings/{mid}", token).json()
    assert _starts(meeting) == ["2030-01-08T09:00:00Z", "2030-01-15T09:00:00Z", "2030-01-22T09:00:00Z"]
    assert {o["duration"] for o in meeting["occurrences"]} == {50}
    api(sim, f"/meetings/{mid}", token, method="PATCH", json={"start_time": "2030-02-04T12:00:00Z"})
    assert _starts(api(sim, f"/meetings/{mid}", token).json())[0] == "2030-02-05T12:00:00Z"
    api(sim, f"/meetings/{mid}", token, method="PATCH", json={"type": 2})
    meeting = api(sim, f"/meetings/{mid}", token).json()
    assert meeting["type"] == 2 and "recurrence" not in meeting and "occurrences" not in meeting
    for bad in ({"type": 7}, {"recurrence": {"type": 9}}):
        resp = api(sim, f"/meetings/{mid}", token, method="PATCH", json=bad)
        assert resp.status_code == 400 and resp.json()["code"] == 300


def test_occurrence_id_on_get_patch_and_delete(sim, token):
    series = _create(sim, token, type=8, start_time="2030-01-07T09:00:00Z", duration=30, timezone="UTC",
                     recurrence={"type": 1, "end_times": 3})
    mid, occs = series["id"], series["occurrences"]
    second = occs[1]["occurrence_id"]
    one = api(sim, f"/meetings/{mid}", token, params={"occurrence_id": second}).json()
    assert one["id"] == mid and one["start_time"] == "2030-01-08T09:00:00Z"
    resp = api(sim, f"/meetings/{mid}", token, method="PATCH", params={"occurrence_id": second},
               json={"start_time": "2030-01-08T11:00:00Z", "duration": 15})
    assert resp.status_code == 204
    meeting = api(sim, f"/meetings/{mid}", token).json()
    assert meeting["start_time"] == "2030-01-07T09:00:00Z" and meeting["duration"] == 30
    assert [(o["occurrence_id"], o["start_time"], o["duration"]) for o in meeting["occurrences"]] == [
        (occs[0]["occurrence_id"], "2030-01-07T09:00:00Z", 30), (second, "2030-01-08T11:00:00Z", 15),
        (occs[2]["occurrence_id"], "2030-01-09T09:00:00Z", 30)]
    one = api(sim, f"/meetings/{mid}", token, params={"occurrence_id": second}).json()
    assert (one["start_time"], one["duration"]) == ("2030-01-08T11:00:00Z", 15)
    resp = api(sim, f"/meetings/{mid}", token, method="DELETE", params={"occurrence_id": second})
    assert resp.status_code == 204 and resp.content == b""
    meeting = api(sim, f"/meetings/{mid}", token).json()  # the series stays
    assert [o["status"] for o in meeting["occurrences"]] == ["available", "deleted", "available"]
    # Unknown (or already deleted) occurrences: 400 code 300, as Zoom documents for DELETE.
    error = {"code": 300, "message": "Invalid parameter: occurrence_id."}
    plain = _create(sim, token, type=2, start_time="2030-01-07T09:00:00Z")["id"]
    for method, target, occ in (("GET", mid, "1"), ("PATCH", mid, "1"), ("DELETE", mid, "1"),
                                ("DELETE", mid, second), ("PATCH", mid, second), ("GET", plain, second)):
        resp = api(sim, f"/meetings/{target}", token, method=method, params={"occurrence_id": occ},
                   json={"duration": 5} if method == "PATCH" else None)
        assert (resp.status_code, resp.json()) == (400, error), (method, target, occ)
    assert api(sim, f"/meetings/{mid}", token).status_code == 200
    assert api(sim, f"/meetings/{mid}", token, method="DELETE").status_code == 204
    assert api(sim, f"/meetings/{mid}", token).status_code == 404


def test_fault_missing_scope(sim, token):
    sim.add_fault("api", "missing_scope", scopes=["meeting:read:admin"], count=1)
    resp = api(sim, "/users/me", token)
    assert (resp.status_code, resp.json()) == (400, {
        "code": 4711, "message": "Invalid access token, does not contain scopes:[meeting:read:admin]."})
    assert sim.requests()[-1]["fault"] == "missing_scope" and sim.requests()[-1]["status"] == 400
    assert api(sim, "/users/me", token).status_code == 200
    # Without "scopes", the route's own scopes; several are joined with ", ".
    sim.add_fault("POST /users/*/meetings", "missing_scope")
    resp = api(sim, "/users/me/meetings", token, method="POST", json={"topic": "x"})
    assert resp.json()["message"] == "Invalid access token, does not contain scopes:[meeting:write:admin]."
    sim.clear_faults()
    spec = {"target": "GET /meetings/*", "mode": "missing_scope",
            "scopes": ["meeting:read", "meeting:read:admin"]}
    assert requests.post(sim.url + "/_sim/faults", json=spec, timeout=5).status_code == 200
    mid = api(sim, "/users/me/meetings", token).json()["meetings"][0]["id"]
    resp = api(sim, f"/meetings/{mid}", token)
    assert resp.json() == {"code": 4711, "message": "Invalid access token, does not contain "
                                                    "scopes:[meeting:read, meeting:read:admin]."}
    assert api(sim, f"/meetings/{mid}", "not-a-token").json()["code"] == 124  # the token is checked first
    assert sim.faults()[0]["scopes"] == ["meeting:read", "meeting:read:admin"]
    sim.add_fault("GET *", "missing_scope")  # the token route is never scope-checked
    assert fetch_token(sim).status_code == 200
    for bad in ({"target": "token"}, {"target": "api", "scopes": "meeting:read"}):
        with pytest.raises(ValueError):
            sim.add_fault(mode="missing_scope", **bad)


# ---- process, CLI, fixtures -----------------------------------------------------------------------
def test_sim_process_banner_and_helpers(sim_process):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim_process.url)
    tok, ttl = sim_process.issue_token()
    assert ttl == 3600 and api(sim_process, "/users/me", tok).status_code == 200
    sim_process.add_fault("api", "error", status=503, count=1)
    assert api(sim_process, "/users/me", tok).status_code == 503
    assert [r["status"] for r in sim_process.requests(route="api")] == [200, 503]
    sim_process.set_token_ttl(305)
    assert fetch_token(sim_process).json()["expires_in"] == 305
    assert sim_process.stats()["tokens_issued"] == 1
    sim_process.revoke_all()
    assert api(sim_process, "/users/me", tok).status_code == 401
    assert sim_process.stop() == 0  # SIGTERM ends it cleanly


def test_cli_prints_one_line_and_stops_on_sigint(project_root):
    proc = subprocess.Popen([sys.executable, "-m", "zoomsim", "--port", "0", "--token-ttl", "120",
                             "--seed-meetings", "5"], cwd=project_root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert re.fullmatch(r"Zoom simulator listening on http://127\.0\.0\.1:\d+\n", line)
        url = line.split()[-1]
        resp = requests.post(url + "/oauth/token", params={**GRANT, "account_id": "demo-account"},
                             auth=("demo-client-id", "demo-client-secret"), timeout=5)
        assert resp.json()["expires_in"] == 120
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0 and out == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_non_loopback_hosts_are_refused(project_root, host):
    with pytest.raises(ValueError, match="loopback"):
        ZoomSimulator(host=host)
    done = subprocess.run([sys.executable, "-m", "zoomsim", "--host", host], cwd=project_root,
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 2 and done.stdout == "" and "loopback" in done.stderr


def test_env_file_fixture(env_file, sim):
    assert os.stat(env_file).st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                  if line and not line.startswith("#"))
    assert values["ZOOM_OAUTH_URL"] == sim.oauth_url and values["ZOOM_API_BASE_URL"] == sim.api_url
    assert values["ZOOM_CLIENT_SECRET"] == sim.client_secret and values["ZOOM_ACCESS_TOKEN"] == ""
