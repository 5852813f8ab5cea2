"""The Zoom REST API v2 client: one keep-alive session, bounded retries, actionable errors.

Every failure is a ZoomError whose text is fit to show the model: it says what went wrong and
what to do, and never holds a token. The path given to request() must already be built with
`path()` so that no caller-supplied text reaches the URL unescaped.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

log = logging.getLogger("zoom_client")

DEFAULT_BASE_URL = "https://api.zoom.us/v2"
RECOVER = "run ./scripts/get_zoom_token.sh -f"  # what to do about a token Zoom will not take
TOKEN_REJECTED = f"Zoom rejected the access token; {RECOVER}"
NO_TOKEN = f"No Zoom access token is available; {RECOVER}"

RATE_LIMIT_TRIES = 3  # at most this many tries of one request under 429
RATE_LIMIT_BUDGET = 30.0  # seconds of Retry-After waiting per request, in all
TRANSIENT_RETRIES = 2  # extra tries after a 5xx, a timeout or a dropped connection
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
_SCOPES = re.compile(r"scopes?\s*:?\s*\[([^\]]+)\]", re.I)


class TokenSource(Protocol):
    def get_token(self) -> str | None: ...
    def handle_unauthorized(self, bad_token: str) -> str | None: ...


class ZoomError(Exception):
    """A Zoom call failed; the message is for the model and the user (no secrets)."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


def path(*segments: object) -> str:
    """Join URL path segments, each percent-encoded whole (so "../x" stays one segment)."""
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def uuid_segment(uuid: str) -> str:
    """Zoom wants a UUID that begins with "/" or contains "//" encoded twice; path() adds the second."""
    return quote(uuid, safe="") if uuid.startswith("/") or "//" in uuid else uuid


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: Zoom sends either a number or an ISO timestamp."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class ZoomClient:
    def __init__(
        self,
        base_url: str | None,
        token_source: TokenSource,
        *,
        timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        recover: str = RECOVER,
    ):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.tokens = token_source
        self.timeout = (min(5.0, timeout), timeout)  # (connect, read)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._recover = recover  # the extension has no script to point at (bundle_mode.py)
        self._session: Any = None
        self._lock = threading.Lock()
        base = urlsplit(self.base_url)
        self._base_origin = (base.scheme, base.netloc)

    # requests costs ~40 ms to import: pay it on the first call, not at server start.
    @property
    def session(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import requests

                    s = requests.Session()
                    s.headers.update({"Accept": "application/json", "User-Agent": "zoom-mcp/0.1"})
                    # trust_env would let a ~/.netrc entry replace the bearer header; keep what
                    # users rely on from it (HTTPS_PROXY/NO_PROXY, a CA bundle) as curl in the
                    # scripts does, resolved once for the API's URL.
                    s.trust_env = False
                    s.proxies.update(requests.utils.get_environ_proxies(self.base_url))
                    env = os.environ
                    s.verify = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True
                    self._session = s
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- public calls -------------------------------------------------------------------------

    # `scope` is how errors name the scopes a call needs (the Server-to-Server app's real scope names).
    def get(self, api_path: str, params: dict | None = None, *, what: str = "", scope: str = "") -> Any:
        return self.request("GET", api_path, params=params, what=what, scope=scope)[0]

    def request(
        self,
        method: str,
        api_path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        what: str = "",
        scope: str = "",
    ) -> tuple[Any, str]:
        """Send one API call; return (parsed JSON or None, the body text)."""
        url = self.base_url + api_path
        resp = self._send(method, url, params, json_body, what or api_path, scope)
        if resp.status_code == 204 or not resp.content:
            return None, ""
        text = resp.content.decode("utf-8", "replace")  # JSON is UTF-8; skip requests' charset sniffing
        try:
            return json.loads(text), text
        except ValueError:
            raise ZoomError(
                f"Zoom sent a malformed answer to {_label(method, url)}; try again later", resp.status_code
            ) from None

    def pages(
        self,
        api_path: str,
        params: dict,
        items_key: str,
        *,
        page_size: int,
        next_page_token: str | None = None,
        max_items: int | None = None,
        what: str = "",
        scope: str = "",
    ) -> Iterator[tuple[dict, str]]:
        """Yield each page (data, text). Without max_items: one page; else follow pages up to it."""
        token = next_page_token or ""
        got = 0
        while True:
            size = page_size if max_items is None else min(page_size, max_items - got)
            query = {**params, "page_size": size}
            if token:
                query["next_page_token"] = token
            data, text = self.request("GET", api_path, params=query, what=what, scope=scope)
            data = data if isinstance(data, dict) else {}
            got += len(data.get(items_key) or ())
            token = data.get("next_page_token") or ""
            yield data, text
            if max_items is None or not token or got >= max_items:
                return

    def download_text(self, url: str, *, what: str = "recording file", scope: str = "") -> str:
        """Fetch a recording file (e.g. a VTT transcript) with the bearer token, following redirects."""
        parts = urlsplit(url)
        zoom_host = parts.scheme == "https" and (
            parts.hostname == "zoom.us" or (parts.hostname or "").endswith(".zoom.us")
        )
        if not (zoom_host or (parts.scheme, parts.netloc) == self._base_origin):
            # Never hand the bearer token to a host that is not Zoom's.
            raise ZoomError(f"Refusing to download {what} from a non-Zoom host ({parts.hostname})")
        resp = self._send("GET", url, None, None, what, scope, accept="*/*")
        resp.encoding = resp.encoding or "utf-8"
        if resp.encoding.lower() == "iso-8859-1":  # requests' guess for text/* without a charset
            resp.encoding = "utf-8"
        return resp.text

    # -- the one place that talks HTTP ----------------------------------------------------------

    def _token(self) -> str:
        token = self.tokens.get_token()
        if not token:
            token = self.tokens.handle_unauthorized("")
        if not token:
            raise ZoomError(NO_TOKEN.replace(RECOVER, self._recover), 401, 124)
        return token

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * (0.5 + self._jitter())

    def _pause_before_retry(self, attempt: int, why: str) -> None:
        """Back off (exponential, jittered) before transient retry number `attempt`."""
        delay = self._backoff(attempt)
        log.warning("%s; retry %d in %.2f s", why, attempt, delay)
        self._sleep(delay)

    def _send(self, method, url, params, json_body, what, scope, accept=None):
        import requests
        from requests.exceptions import ChunkedEncodingError

        session = self.session
        token = self._token()
        # A POST is retried only when it surely never reached Zoom (a 5xx may have created it).
        safe_to_repeat = method != "POST"
        not_repeated = "" if safe_to_repeat else "; check whether it took effect before repeating it"
        reauthed = False
        rate_tries = 0
        rate_waited = 0.0
        transient = 0
        label = _label(method, url)
        while True:
            headers = {"Authorization": "Bearer " + token}
            if accept:
                headers["Accept"] = accept
            try:
                resp = session.request(
                    method, url, params=params, json=json_body, headers=headers, timeout=self.timeout
                )
            except requests.exceptions.SSLError:
                # A subclass of ConnectionError, but a certificate problem does not go away by retrying.
                raise ZoomError(
                    f"The TLS handshake for {label} failed (certificate not trusted?); check the CA bundle "
                    "(REQUESTS_CA_BUNDLE) and any TLS-inspecting proxy"
                ) from None
            except (requests.Timeout, requests.ConnectionError, ChunkedEncodingError) as exc:
                # Transient: the answer never came, or broke off mid-body.
                repeatable = safe_to_repeat or isinstance(exc, requests.ConnectTimeout)
                if isinstance(exc, requests.Timeout):
                    kind = "timed out"
                elif isinstance(exc, requests.ConnectionError):
                    kind = "connection failed"
                else:
                    kind = "the answer broke off"
                if repeatable and transient < TRANSIENT_RETRIES:
                    transient += 1
                    self._pause_before_retry(transient, f"{label} {kind}")
                    continue
                raise ZoomError(
                    f"Zoom did not answer {label} ({kind}, {transient + 1} tries); try again later"
                    + not_repeated
                ) from None
            except requests.TooManyRedirects:
                raise ZoomError(
                    f"Zoom's answer to {label} redirected too many times; check ZOOM_API_BASE_URL "
                    f"(now {self.base_url}) and any proxy settings"
                ) from None
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema, requests.exceptions.InvalidProxyURL):
                raise ZoomError(
                    f"Cannot send {label}: the URL or proxy setting is not valid; check ZOOM_API_BASE_URL "
                    "and HTTPS_PROXY"
                ) from None
            except requests.RequestException as exc:
                # Anything else requests raises (SSL, content decoding...): name the kind, never the
                # exception's text, which can carry URLs and headers.
                raise ZoomError(
                    f"The request {label} failed ({type(exc).__name__}); try again later, and check the "
                    "network, proxy and CA settings if it keeps failing"
                    + not_repeated
                ) from None

            status = resp.status_code
            if status < 400:
                return resp
            code, message = _error_body(resp)
            message = message.replace(token, "****") if token in message else message

            if code == 4711 or "does not contain scopes" in message:
                m = _SCOPES.search(message)
                detail = f"code {code}: {message}" if code else message
                if m:
                    need = f"the app lacks the scope {m.group(1).strip()} ({detail})"
                else:
                    # Zoom named no scope: quote it and point at this call's real scopes, never a guess.
                    need = (f"a scope is missing ({detail}); the app needs the scope Zoom lists for this call"
                            + (f": {scope}" if scope else ""))
                raise ZoomError(
                    f"Zoom denied {label}: {need}. Add it to your Server-to-Server OAuth app in the Zoom "
                    "App Marketplace, then run ./scripts/get_zoom_token.sh -f",
                    status,
                    code,
                )
            if status == 401:
                if not reauthed:
                    reauthed = True
                    log.info("%s: Zoom answered 401 (code %s); reloading the token", label, code)
                    fresh = self.tokens.handle_unauthorized(token)
                    if fresh and fresh != token:
                        token = fresh
                        continue
                raise ZoomError(TOKEN_REJECTED.replace(RECOVER, self._recover), status, code)
            if status == 429:
                rate_tries += 1
                wait = retry_after_seconds(resp.headers.get("Retry-After"), self._clock())
                wait = 1.0 if wait is None else wait
                if rate_tries < RATE_LIMIT_TRIES and rate_waited + wait <= RATE_LIMIT_BUDGET:
                    log.warning("%s: rate limited; retry in %.1f s", label, wait)
                    rate_waited += wait
                    self._sleep(wait)
                    continue
                kind = resp.headers.get("X-RateLimit-Type") or "rate"
                raise ZoomError(
                    f"Zoom's {kind} limit was reached for {label} ({rate_tries} tries); "
                    f"wait {_seconds(wait)} before trying again",
                    status,
                    code,
                )
            if status >= 500:
                if safe_to_repeat and transient < TRANSIENT_RETRIES:
                    transient += 1
                    self._pause_before_retry(transient, f"{label}: Zoom answered {status}")
                    continue
                raise ZoomError(
                    f"Zoom failed {label} with HTTP {status} ({transient + 1} tries); try again later"
                    + not_repeated,
                    status,
                    code,
                )
            if status == 404:
                detail = f"Zoom code {code}: {message}" if code else "HTTP 404"
                raise ZoomError(f"Not found: {what} ({detail})", status, code)
            detail = f"code {code}: {message}" if code else message or resp.reason
            raise ZoomError(f"Zoom rejected {label} (HTTP {status}, {detail})", status, code)


def _label(method: str, url: str) -> str:
    """How errors name a call: the method and the URL's path, as Zoom's docs do (GET /v2/users/me)."""
    return f"{method} {urlsplit(url).path}"


def _error_body(resp: Any) -> tuple[int | None, str]:
    try:
        body = resp.json()
    except ValueError:
        return None, (resp.text or "")[:200]
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    return (code if isinstance(code, int) else None), str(body.get("message") or body.get("reason") or "")


def _seconds(wait: float) -> str:
    return f"{wait:.0f} s" if wait >= 1 else f"{wait:.1f} s"
