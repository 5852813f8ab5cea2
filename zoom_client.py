"""The Zoom REST API v2 client: one keep-alive session, bounded retries, actionable errors.

Every failure is a ZoomError whose text is fit to show the model: it says what went wrong and
what to do, and never holds a token. The path given to request() must already be built with
`path()` so that no caller-supplied text reaches the URL unescaped.

Calls name their operation (`op="GET /users/{userId}/recordings"`, a key of zoom_rate_limits) and are
paced per rate-limit category for the account's plan (pacer.py), so the server never trips Zoom's
limits itself. `parallel()` runs independent calls at once, at most `max_concurrency` requests in
flight for the whole client.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import copy_context
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from pacer import FALLBACK_CATEGORY, Pacer, category_of, operation_for, resolve_plan, template_matches
from zoom_rate_limits import DOWNLOAD_OP
from zoom_scopes import S2S_SCOPES

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

DEFAULT_RATE_PLAN = "pro"  # ZOOM_RATE_PLAN: the lowest paid plan's limits are the safe guess
# ZOOM_MAX_CONCURRENCY: requests in flight at once, for the whole client. 12 lets the longest fan-out
# one question makes (a year of recordings: 12 one-month windows, zoom_list_recordings' limit) go out in
# a single round trip, and stays below Pro's per-second quotas (medium 20, light 30), so one burst
# never waits in the pacer by itself and leaves room for the other apps sharing the account. More
# would not be faster: at 100-300 ms a round trip, 12 in flight already carry 40-120 requests a
# second, past what Pro allows in any category. requests' pool keeps that many connections (10 by
# default), so every concurrent call reuses a warm TLS connection.
DEFAULT_MAX_CONCURRENCY = 12
MAX_CONCURRENCY_LIMIT = 64

T = TypeVar("T")


class TokenSource(Protocol):
    def get_token(self) -> str | None: ...
    def handle_unauthorized(self, bad_token: str) -> str | None: ...


class ZoomError(Exception):
    """A Zoom call failed; the message is for the model and the user (no secrets)."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class Cancelled(ZoomError):
    """parallel() stopped before every call had started, because its cancel Event was set."""


def options_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """ZoomClient's rate_plan and max_concurrency from ZOOM_RATE_PLAN and ZOOM_MAX_CONCURRENCY;
    ValueError with a message fit for the user when one is not valid."""
    plan = (env.get("ZOOM_RATE_PLAN") or "").strip() or DEFAULT_RATE_PLAN
    try:
        resolve_plan(plan)
    except ValueError as err:
        raise ValueError(f"ZOOM_RATE_PLAN: {err}") from None
    raw = (env.get("ZOOM_MAX_CONCURRENCY") or "").strip()
    if not raw:
        cap = DEFAULT_MAX_CONCURRENCY
    elif raw.isdigit() and 1 <= int(raw) <= MAX_CONCURRENCY_LIMIT:
        cap = int(raw)
    else:
        raise ValueError(f"ZOOM_MAX_CONCURRENCY must be a whole number from 1 to {MAX_CONCURRENCY_LIMIT}, "
                         f"got {raw!r}")
    return {"rate_plan": plan, "max_concurrency": cap}


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
        rate_plan: str | None = DEFAULT_RATE_PLAN,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        pacer: Pacer | None = None,
        recover: str = RECOVER,
    ):
        """`rate_plan`: the account's Zoom plan (pro, business_plus, ...; "none" or None: no pacing);
        `pacer` replaces the one built from it (tests pass one on a fake clock). `max_concurrency`:
        requests in flight at once, for the whole client."""
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.tokens = token_source
        self.timeout = (min(5.0, timeout), timeout)  # (connect, read)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        if pacer is None and rate_plan is not None and resolve_plan(rate_plan) is not None:
            pacer = Pacer(rate_plan)
        self.pacer = pacer
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be a whole number >= 1, got {max_concurrency!r}")
        self.max_concurrency = max_concurrency
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self._recover = recover  # the extension has no script to point at (bundle_mode.py)
        self._session: Any = None
        self._lock = threading.Lock()

    # requests costs ~40 ms to import: pay it on the first call, not at server start.
    @property
    def session(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import requests

                    s = requests.Session()
                    # One kept-alive connection per request in flight (the pool's default is 10).
                    adapter = requests.adapters.HTTPAdapter(pool_maxsize=self.max_concurrency)
                    s.mount("https://", adapter)
                    s.mount("http://", adapter)
                    s.headers.update({"Accept": "application/json", "User-Agent": "zoom-mcp/0.1"})
                    # trust_env would let a ~/.netrc entry replace the bearer header; keep what
                    # users rely on from it (HTTPS_PROXY/NO_PROXY, a CA bundle) as curl in the
                    # scripts does, resolved once for the API's URL.
                    s.trust_env = False
                    s.should_strip_auth = other_origin  # the bearer follows a redirect only within its origin
                    s.proxies.update(requests.utils.get_environ_proxies(self.base_url))
                    env = os.environ
                    s.verify = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True
                    self._session = s
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- public calls -------------------------------------------------------------------------

    # `op` is the call's operation key in zoom_rate_limits ("GET /users/{userId}/recordings"): it picks
    # the rate-limit category to pace by (without it the path is matched against the table) and the
    # scopes an error names (zoom_scopes), unless `scope` says them (the Server-to-Server app's names).
    def get(self, api_path: str, params: dict | None = None, *, what: str = "", scope: str = "",
            op: str | None = None) -> Any:
        return self.request("GET", api_path, params=params, what=what, scope=scope, op=op)[0]

    def request(
        self,
        method: str,
        api_path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        what: str = "",
        scope: str = "",
        op: str | None = None,
    ) -> tuple[Any, str]:
        """Send one API call; return (parsed JSON or None, the body text)."""
        category = self._category(method, api_path, op)
        url = self.base_url + api_path
        scope = scope or S2S_SCOPES.get(op or "", "")
        resp = self._send(method, url, params, json_body, what or api_path, scope, category)
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
        op: str | None = None,
    ) -> Iterator[tuple[dict, str]]:
        """Yield each page (data, text). Without max_items: one page; else follow pages up to it."""
        token = next_page_token or ""
        got = 0
        while True:
            size = page_size if max_items is None else min(page_size, max_items - got)
            query = {**params, "page_size": size}
            if token:
                query["next_page_token"] = token
            data, text = self.request("GET", api_path, params=query, what=what, scope=scope, op=op)
            data = data if isinstance(data, dict) else {}
            got += len(data.get(items_key) or ())
            token = data.get("next_page_token") or ""
            yield data, text
            if max_items is None or not token or got >= max_items:
                return

    def download_text(self, url: str, *, what: str = "recording file", scope: str = "",
                      op: str = DOWNLOAD_OP) -> str:
        """Fetch a recording file (e.g. a VTT transcript) with the bearer token, following redirects.

        The URL comes from Zoom's data: the token goes only to https://zoom.us, https://*.zoom.us or
        the API's own origin, decided as the library that connects reads the URL (a redirect to
        another origin goes without it: see session)."""
        origin = connect_origin(url)
        zoom = origin is not None and origin[0] == "https" and (
            origin[1] == "zoom.us" or origin[1].endswith(".zoom.us")
        )
        if not (zoom or (origin is not None and origin == connect_origin(self.base_url))):
            raise ZoomError(
                f"Refusing to download {what} from a non-Zoom host: the bearer token goes only to plain "
                "https URLs of zoom.us and *.zoom.us (or the configured API's own origin)"
            )
        resp = self._send("GET", url, None, None, what, scope, self._category("GET", None, op), accept="*/*")
        resp.encoding = resp.encoding or "utf-8"
        if resp.encoding.lower() == "iso-8859-1":  # requests' guess for text/* without a charset
            resp.encoding = "utf-8"
        return resp.text

    def parallel(self, thunks: Iterable[Callable[[], T]], *,
                 cancel: threading.Event | None = None) -> list[T]:
        """Run independent calls at once; return their results in input order.

        At most max_concurrency run at a time (and the client never has more requests in flight than
        that, whoever sends them). On the first failure no further call starts, and once the running
        ones have finished that failure is raised. `cancel` is checked before each call starts: once
        it is set the rest are skipped and Cancelled is raised. Each call sees the caller's context
        variables. Calls that depend on each other's results (next_page_token) do not belong here.
        """
        todo = list(thunks)
        results: list[Any] = [None] * len(todo)
        failures: list[BaseException] = []
        started = 0
        lock = threading.Lock()
        context = copy_context()

        def work() -> None:
            nonlocal started
            while True:
                with lock:
                    if failures or started == len(todo) or (cancel is not None and cancel.is_set()):
                        return
                    index = started
                    started += 1
                try:
                    results[index] = context.copy().run(todo[index])
                except BaseException as exc:  # handed to the caller below, never lost
                    with lock:
                        failures.append(exc)
                    return

        workers = min(self.max_concurrency, len(todo))
        if workers <= 1:
            work()  # nothing to overlap: stay in the caller's thread
        else:
            threads = [threading.Thread(target=work, name=f"zoom-parallel-{n}", daemon=True)
                       for n in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if failures:
            raise failures[0]
        if started < len(todo):
            raise Cancelled(f"Cancelled: {len(todo) - started} of {len(todo)} Zoom calls were not started")
        return results

    # -- the one place that talks HTTP ----------------------------------------------------------

    def _category(self, method: str, api_path: str | None, op: str | None) -> str | None:
        """The rate-limit category to pace this call by (None when not pacing). A wrong `op` is a bug
        in the caller, so it raises ValueError even when not pacing."""
        if op is not None:
            category = category_of(op)
            op_method, template = op.split(" ", 1)
            if op_method != method or (api_path is not None and not template_matches(template, api_path)):
                raise ValueError(f"operation {op!r} does not fit the call {method} {api_path}")
            return category
        if self.pacer is None:
            return None
        found = operation_for(method, api_path or "")
        return category_of(found) if found else FALLBACK_CATEGORY

    @contextmanager
    def _paced(self, category: str | None, waited_out: bool) -> Iterator[None]:
        """Hold a rate-limit slot (from before the send until the answer is in) and an in-flight one."""
        pacer = self.pacer if category is not None else None
        if pacer is not None:
            pacer.acquire(category, waited_out=waited_out)
        try:
            with self._in_flight:
                yield
        finally:
            if pacer is not None:
                pacer.release(category)

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

    def _send(self, method, url, params, json_body, what, scope, category, accept=None):
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
        after_429 = False
        transient = 0
        label = _label(method, url)
        while True:
            headers = {"Authorization": "Bearer " + token}
            if accept:
                headers["Accept"] = accept
            try:
                with self._paced(category, waited_out=after_429):
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
                if self.pacer is not None and category is not None and wait <= RATE_LIMIT_BUDGET:
                    # Other calls of this category wait too rather than all hitting the limit. A longer
                    # Retry-After (a daily quota) fails every call at once instead of freezing them.
                    self.pacer.hold_off(category, wait)
                if rate_tries < RATE_LIMIT_TRIES and rate_waited + wait <= RATE_LIMIT_BUDGET:
                    log.warning("%s: rate limited; retry in %.1f s", label, wait)
                    rate_waited += wait
                    self._sleep(wait)
                    after_429 = True
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


def connect_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of the server a request to `url` reaches, as urllib3 (which connects)
    reads it; None for a URL that parsers may read differently: a backslash, whitespace or control
    characters, userinfo, or anything on which urllib's reading disagrees (then urlsplit may see
    zoom.us where urllib3 connects to 127.0.0.1: https://127.0.0.1:8443\\@ssrweb.zoom.us/)."""
    from urllib3.util import parse_url

    if any(c == "\\" or c <= " " or c == "\x7f" for c in url):
        return None
    try:
        conn, seen = parse_url(url), urlsplit(url)
        seen_port = seen.port
    except ValueError:  # urllib3's LocationParseError included
        return None
    if conn.scheme not in ("http", "https") or not conn.host or conn.auth is not None or "@" in seen.netloc:
        return None
    port = conn.port or (443 if conn.scheme == "https" else 80)
    host = conn.host.strip("[]").lower()
    if (seen.scheme.lower(), (seen.hostname or "").lower(), seen_port or port) != (conn.scheme, host, port):
        return None
    return conn.scheme, host, port


def other_origin(old_url: str, new_url: str) -> bool:
    """requests' should_strip_auth, stricter: on a redirect, the Authorization header is kept only
    when both URLs reach the same origin as connect_origin reads them (requests' own rule reads them
    with urllib, and keeps it for http -> https)."""
    old = connect_origin(old_url)
    return old is None or old != connect_origin(new_url)


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
