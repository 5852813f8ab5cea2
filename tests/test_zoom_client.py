"""zoom_client.ZoomClient against the in-process simulator, with a fake token source and fake sleep."""

from __future__ import annotations

import datetime as dt

import pytest

from zoom_client import (
    NO_TOKEN,
    TOKEN_REJECTED,
    ZoomClient,
    ZoomError,
    path,
    retry_after_seconds,
    uuid_segment,
)
from zoomsim import ZoomSimulator


class Tokens:
    """The token monitor's contract: get_token() and handle_unauthorized(bad_token)."""

    def __init__(self, sim, token: str | None = "", fresh: str | None = ""):
        self.sim = sim
        self.token = sim.issue_token()[0] if token == "" else token
        self.fresh = fresh  # "" = ask the simulator for a new one
        self.unauthorized: list[str] = []

    def get_token(self):
        return self.token

    def handle_unauthorized(self, bad_token):
        self.unauthorized.append(bad_token)
        self.token = self.sim.issue_token()[0] if self.fresh == "" else self.fresh
        return self.token


@pytest.fixture
def slept():
    return []


@pytest.fixture
def make(sim, slept):
    def build(tokens=None, **kw):
        tokens = tokens or Tokens(sim)
        client = ZoomClient(sim.api_url, tokens, sleep=slept.append, jitter=lambda: 0.5, **kw)
        return client, tokens

    return build


def statuses(sim):
    return [r["status"] for r in sim.requests(route="api")]


# -- pure helpers ----------------------------------------------------------------------------------


def test_path_escapes_every_segment_whole():
    assert path("users", "me", "meetings") == "/users/me/meetings"
    assert path("meetings", "../users/me") == "/meetings/..%2Fusers%2Fme"
    assert path("users", "a b?c#d") == "/users/a%20b%3Fc%23d"


@pytest.mark.parametrize(
    ("uuid", "encoded"),
    [
        ("kY2t7QHvRfm0c0m3W1pZ9g==", "kY2t7QHvRfm0c0m3W1pZ9g%3D%3D"),  # once
        ("ab/d7QHvRfm0c0m3W1pZ9g==", "ab%2Fd7QHvRfm0c0m3W1pZ9g%3D%3D"),  # a lone "/" inside: once
        ("/b3d7QHvRfm0c0m3W1pZ9g==", "%252Fb3d7QHvRfm0c0m3W1pZ9g%253D%253D"),  # leading "/": twice
        ("kY2t7QHvRfm0c//W1pZ9gA==", "kY2t7QHvRfm0c%252F%252FW1pZ9gA%253D%253D"),  # "//": twice
    ],
)
def test_uuid_double_encoding(uuid, encoded):
    assert path("meetings", uuid_segment(uuid)) == f"/meetings/{encoded}"


def test_retry_after_in_seconds_and_iso_form():
    now = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc).timestamp()
    assert retry_after_seconds("3", now) == 3
    assert retry_after_seconds("2026-05-01T12:00:07Z", now) == 7
    assert retry_after_seconds("2026-05-01T11:00:00Z", now) == 0  # already past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


# -- success, pagination -------------------------------------------------------------------------


def test_get_returns_parsed_json_and_the_raw_body(make, sim):
    client, _ = make()
    data, text = client.request("GET", "/users/me")
    assert data["email"] and text.startswith("{") and data["email"] in text
    client.get("/users/me")
    assert statuses(sim) == [200, 200]


def test_one_session_keeps_the_connection_alive(make, sim):
    client, _ = make()
    for _ in range(5):
        client.get("/users/me")
    pool = client.session.get_adapter(sim.api_url).poolmanager
    assert len(pool.pools) == 1
    assert next(iter(pool.pools._container.values())).num_connections == 1


def test_a_netrc_entry_never_replaces_the_bearer_token(make, sim, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    monkeypatch.setenv("NETRC", str(netrc))
    client, _ = make()
    client.get("/users/me")
    assert [r["token"] for r in sim.requests(route="api")] == ["valid"]


def test_proxy_settings_are_honoured_as_curl_does(monkeypatch):
    # Only the session is inspected: nothing is sent anywhere.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert ZoomClient(None, object()).session.proxies.get("https") == "http://127.0.0.1:3128"
    monkeypatch.setenv("NO_PROXY", "api.zoom.us")
    assert "https" not in ZoomClient(None, object()).session.proxies


def test_pages_without_max_items_is_one_request(make, sim):
    client, _ = make()
    pages = list(client.pages("/users/me/meetings", {"type": "scheduled"}, "meetings", page_size=2))
    assert len(pages) == 1 and len(pages[0][0]["meetings"]) == 2
    assert sim.requests(route="api")[0]["query"]["page_size"] == "2"


def test_pages_follow_tokens_up_to_max_items(make, sim):
    sim.seed_meetings("me", 100)
    client, _ = make()
    pages = list(client.pages("/users/me/meetings", {}, "meetings", page_size=30, max_items=70))
    assert sum(len(p[0]["meetings"]) for p in pages) == 70
    assert [r["query"]["page_size"] for r in sim.requests(route="api")] == ["30", "30", "10"]
    assert pages[-1][0]["next_page_token"]


# -- token handling --------------------------------------------------------------------------------


def test_revoked_token_is_reloaded_once_then_the_call_succeeds(make, sim):
    client, tokens = make()
    old = tokens.token
    sim.revoke_all()
    assert client.get("/users/me")["email"]
    assert tokens.unauthorized == [old]
    assert [r["token"] for r in sim.requests(route="api")] == ["unknown", "valid"]


def test_token_still_rejected_after_reload_is_an_actionable_error(make, sim):
    client, tokens = make(Tokens(sim, token="not-a-real-token-123456", fresh="still-not-valid-654321"))
    with pytest.raises(ZoomError) as err:
        client.get("/users/me")
    assert str(err.value) == TOKEN_REJECTED
    assert tokens.unauthorized == ["not-a-real-token-123456"]  # exactly one reload
    assert len(sim.requests(route="api")) == 2
    assert "not-a-real" not in str(err.value) and "still-not" not in str(err.value)


def test_reload_that_yields_nothing_makes_no_second_request(make, sim):
    client, _ = make(Tokens(sim, token="bad-token-abcdefgh", fresh=None))
    with pytest.raises(ZoomError, match="get_zoom_token.sh -f"):
        client.get("/users/me")
    assert len(sim.requests(route="api")) == 1


def test_no_token_at_all(make, sim):
    client, _ = make(Tokens(sim, token=None, fresh=None))
    with pytest.raises(ZoomError) as err:
        client.get("/users/me")
    assert str(err.value) == NO_TOKEN
    assert sim.requests(route="api") == []


# -- 404, 429, 5xx, network --------------------------------------------------------------------------


def test_not_found_names_the_thing_and_zooms_code(make):
    client, _ = make()
    with pytest.raises(ZoomError) as err:
        client.get("/meetings/123", what="meeting 123")
    assert "meeting 123" in str(err.value) and "3001" in str(err.value)
    with pytest.raises(ZoomError, match="1001"):
        client.get(path("users", "nobody@example.com"), what="user nobody@example.com")


@pytest.mark.parametrize(("form", "waited"), [("2", 2.0), ("iso", 2.75)])
def test_rate_limit_waits_for_retry_after(slept, form, waited):
    # One fake clock for simulator and client, a quarter past a second: the ISO form names the whole
    # second after now + 2 s (Zoom's timestamps have no fractions), so the wait is 2.75 s; the 1 s
    # a client waits when it cannot read Retry-After would show.
    def now():
        return 1_800_000_000.25

    with ZoomSimulator(host="127.0.0.1", port=0, clock=now) as sim:
        sim.add_fault("GET /v2/users/me", "rate_limit", retry_after=form, retry_after_seconds=2, count=1)
        client = ZoomClient(sim.api_url, Tokens(sim), sleep=slept.append, jitter=lambda: 0.5, clock=now)
        try:
            assert client.get("/users/me")["email"]
        finally:
            client.close()
        assert statuses(sim) == [429, 200]
    assert slept == [waited]


def test_rate_limit_gives_up_after_three_tries_naming_the_wait(make, sim, slept):
    sim.add_fault("GET /v2/users/me", "rate_limit", retry_after="4")
    client, _ = make()
    with pytest.raises(ZoomError) as err:
        client.get("/users/me")
    assert statuses(sim) == [429, 429, 429]
    assert slept == [4.0, 4.0]
    assert "wait 4 s" in str(err.value)


def test_rate_limit_stays_within_thirty_seconds_in_all(make, sim, slept):
    sim.add_fault("GET /v2/users/me", "rate_limit", retry_after="20")
    client, _ = make()
    with pytest.raises(ZoomError, match="wait 20 s"):
        client.get("/users/me")
    assert slept == [20.0]  # a second 20 s wait would pass the 30 s budget
    assert statuses(sim) == [429, 429]


def test_server_error_then_success(make, sim, slept):
    sim.add_fault("GET /v2/users/me", "error", status=502, count=1)
    client, _ = make()
    assert client.get("/users/me")["email"]
    assert statuses(sim) == [502, 200]
    assert len(slept) == 1 and 0 < slept[0] <= 1


def test_persistent_server_error_is_bounded_with_growing_backoff(make, sim, slept):
    sim.add_fault("api", "error", status=500)
    client, _ = make()
    with pytest.raises(ZoomError, match="HTTP 500.*3 tries.*try again later"):
        client.get("/users/me")
    assert len(sim.requests(route="api")) == 3
    assert len(slept) == 2 and slept[1] > slept[0]


def test_post_is_not_repeated_after_a_server_error(make, sim, slept):
    sim.add_fault("POST /v2/users/*/meetings", "error", status=500, count=1)
    client, _ = make()
    with pytest.raises(ZoomError, match="check whether it took effect"):
        client.request("POST", "/users/me/meetings", json_body={"topic": "x", "type": 2})
    assert len(sim.requests(route="api")) == 1 and slept == []


def test_dropped_connection_is_retried(make, sim):
    sim.add_fault("GET /v2/users/me", "refused", count=1)
    client, _ = make()
    assert client.get("/users/me")["email"]
    assert len(sim.requests(route="api")) == 2


def test_timeouts_are_retried_then_reported(make, sim, slept):
    sim.add_fault("GET /v2/users/me", "slow", delay=0.5)
    client, _ = make(timeout=0.1)
    with pytest.raises(ZoomError, match="timed out.*3 tries"):
        client.get("/users/me")
    assert len(slept) == 2


def test_malformed_json_is_an_error_naming_the_path_as_the_others_do(make, sim):
    sim.add_fault("GET /v2/users/me", "malformed", count=1)
    client, _ = make()
    with pytest.raises(ZoomError, match="malformed answer to GET /v2/users/me;"):
        client.get("/users/me")


class _Raising:
    """A session whose first answers are exceptions (then the real session)."""

    def __init__(self, real, *errors):
        self.real, self.errors, self.calls = real, list(errors), 0

    def request(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.real.request(*args, **kwargs)


def test_a_body_that_breaks_off_is_retried(make, sim, slept):
    import requests

    client, _ = make()
    client._session = _Raising(client.session, requests.exceptions.ChunkedEncodingError("broke"))
    assert client.get("/users/me")["email"]
    assert client._session.calls == 2 and len(slept) == 1


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("TooManyRedirects", "redirected too many times; check ZOOM_API_BASE_URL"),
        ("InvalidURL", "not valid; check ZOOM_API_BASE_URL"),
        ("SSLError", "TLS handshake for GET /v2/users/me failed"),
        ("ContentDecodingError", "failed (ContentDecodingError); try again later"),
        ("RequestException", "failed (RequestException); try again later"),
    ],
)
def test_other_request_failures_are_actionable_errors_without_their_text(make, sim, slept, error, says):
    import requests

    client, _ = make()
    secretish = "https://user:hunter2@example/?token=abc"  # what an exception's text could carry
    client._session = _Raising(client.session, getattr(requests.exceptions, error)(secretish))
    with pytest.raises(ZoomError) as err:
        client.get("/users/me")
    assert says in str(err.value) and "GET /v2/users/me" in str(err.value)
    assert "hunter2" not in str(err.value) and "token=abc" not in str(err.value)
    assert client._session.calls == 1 and slept == []  # not transient: no retry


# -- scope errors (the simulator does not send 4711: a canned answer) --------------------------------


class _Canned:
    def __init__(self, status, body, headers=None):
        import requests

        self.resp = requests.Response()
        self.resp.status_code = status
        self.resp._content = body.encode()
        self.resp.headers.update(headers or {})

    def request(self, *args, **kwargs):
        return self.resp


def test_missing_scope_names_the_scope(sim):
    tokens = Tokens(sim, token="tok-abcdefghijklmnop")
    client = ZoomClient("https://api.zoom.us/v2", tokens, sleep=lambda s: None)
    client._session = _Canned(
        400, '{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:admin]."}'
    )
    with pytest.raises(ZoomError) as err:
        client.get("/users/me/meetings", scope="meeting:read")
    assert "meeting:read:admin" in str(err.value) and "4711" in str(err.value)
    assert tokens.unauthorized == []  # a missing scope is not a stale token


def test_missing_scope_without_a_list_quotes_zoom_and_names_the_calls_real_scopes(sim):
    client = ZoomClient("https://api.zoom.us/v2", Tokens(sim, token="tok-abcdefghijk"), sleep=lambda s: None)
    client._session = _Canned(401, '{"code":4711,"message":"Insufficient scopes."}')
    scopes = "cloud_recording:read:list_user_recordings:admin (granular) or recording:read:admin (classic)"
    with pytest.raises(ZoomError) as err:
        client.get("/users/me/recordings", scope=scopes)
    text = str(err.value)
    assert "code 4711: Insufficient scopes." in text and scopes in text
    assert "Server-to-Server OAuth app" in text and "get_zoom_token.sh -f" in text
    # No scope known for the call: nothing is made up.
    with pytest.raises(ZoomError) as err:
        client.get("/users/me/recordings")
    assert "lacks the scope" not in str(err.value) and "recording:read" not in str(err.value)


# -- downloads ----------------------------------------------------------------------------------------


def test_download_sends_the_token_only_to_zoom(make, sim):
    client, _ = make()
    with pytest.raises(ZoomError, match="non-Zoom host"):
        client.download_text("https://evil.example/rec/download/x")
    with pytest.raises(ZoomError, match="non-Zoom host"):
        client.download_text("http://zoom.us.evil.example/rec/download/x")
    assert sim.requests() == []
