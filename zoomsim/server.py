"""The Zoom simulator's HTTP side: server, token endpoint, /v2 routing, faults and request log.

One ``ZoomSimulator`` is one fake Zoom (OAuth host and API host share a port):

* ``POST /oauth/token`` — Server-to-Server OAuth (``grant_type=account_credentials``), JWT-shaped tokens.
* ``/v2/...`` — the API routes listed in ``ROUTES``; the state lives in ``zoomsim.data.Account``.
* ``GET /rec/download/<file id>`` — recording files (bearer header or ``access_token`` query param).
* ``/_sim/...`` — control endpoints (no auth, never recorded or counted):

  - ``POST /_sim/faults`` ``{"target": "token"|"api"|"download"|"<METHOD> <path glob>", "mode": M,
    "count": n, "probability": p, ...}`` → ``{"id": n}``; ``GET`` lists them, ``DELETE`` clears them,
    ``DELETE /_sim/faults/<id>`` removes one. Modes:

    - ``refused``: the listener accepts the connection, reads the request, then drops it with a TCP
      RST (SO_LINGER 0) and no HTTP bytes — the client sees ECONNRESET ("connection reset by peer"),
      not ECONNREFUSED. OAuth and API share one listener here, so there is no "stopped" mode: a test
      that wants a true ECONNREFUSED points the client at a closed loopback port (bind a socket to
      port 0, read its port, close it) or stops the simulator.
    - ``error``: ``"status"`` (5xx, default 500), body ``{"code": status, "message": reason}``.
    - ``slow``: ``"delay"`` seconds (default 1), then the normal answer.
    - ``malformed``: 200 with truncated JSON.
    - ``empty_token``, ``invalid_client``: the token route only (200 with ``"access_token": ""``;
      400 ``invalid_client``).
    - ``rate_limit``: 429 with ``X-RateLimit-*`` headers and ``Retry-After`` in seconds
      (``"retry_after": "3"``) or Zoom's ISO-timestamp form (``"retry_after": "iso"``,
      ``"retry_after_seconds": n``).
    - ``missing_scope``: API routes only, and only for a valid token (a bad one still gets 401 code 124):
      400 ``{"code": 4711, "message": "Invalid access token, does not contain scopes:[a, b]."}``, the
      scopes being ``"scopes": [...]`` joined with ", ", by default the route's own (ROUTE_SCOPES, the
      classic admin scope Zoom's spec lists for the operation). Example:
      ``{"target": "GET /meetings/*", "mode": "missing_scope", "scopes": ["meeting:read:admin"]}``.

    A path glob is matched
    (fnmatch, ``*`` crosses ``/``) against the request path and against it without the ``/v2`` prefix.
    Faults are tried in the order added and the first that matches and fires applies; a count is
    consumed only when the fault fires (a missed probability roll consumes nothing).
  - ``GET /_sim/requests`` (optional ``?route=&method=``) / ``DELETE /_sim/requests``. Entries:
    ``{"method","path","query","route","token","status","fault","time"}``; ``route`` is token/api/
    download/other, ``token`` is valid/expired/unknown/missing (none on the token route), ``status`` is
    null when the connection was reset, ``query`` is a dict with access_token-like values masked
    (``eyJz...NTMz``). Bodies and headers are never logged. The log keeps the last REQUEST_LOG_LIMIT.
  - ``GET /_sim/stats`` → token_requests, tokens_issued, api_requests, download_requests, rate_limited
    (every 429 answered: enforced limits and rate_limit faults).
  - ``GET /_sim/config``; ``POST /_sim/config`` with any of ``{"token_ttl": n, "latency_ms": ms,
    "latency_jitter_ms": ms, "seed": n, "rate_limits": "pro"|null}`` → the whole config.
  - ``POST /_sim/revoke``,
    ``POST /_sim/seed`` ``{"user_id": "me", "meetings": n}`` → ``{"user_id", "added", "meetings"}``
    (meetings = all the user now hosts, past ones included); with ``"recordings": n`` (and ``"days"``,
    default 90) also n past recorded meetings over the last days, answering ``recordings_added`` and
    ``recordings`` (all the user's recordings), ``POST /_sim/token`` (a valid token,
    not recorded or counted; mirrors ``issue_token()``).

Latency (``--latency MS``, ``--latency-jitter MS``, ``--seed N``; ``/_sim/config`` at run time): every
answer but the control endpoints' is delayed, half before the request is handled and half after, as the
two trips to a far-away Zoom; the sleep happens in the connection's own handler thread, so connections
never wait for each other.

Rate limits (``--rate-limits PLAN``; ``/_sim/config`` at run time): Zoom's per-account limits per
category (zoom_rate_limits, generated from the "Rate Limit Label" in Zoom's spec), one sliding window
each (zoomsim.ratelimit). Only requests with a valid token count; recording downloads count as LIGHT.
Over the limit: 429 ``{"code": 429, "message": RATE_LIMIT_MESSAGE}`` with ``X-RateLimit-Category``
(Light, Medium, Heavy, Resource-intensive), ``X-RateLimit-Type: QPS``, ``X-RateLimit-Limit``,
``X-RateLimit-Remaining: 0`` and ``Retry-After`` (whole seconds); admitted answers carry the same
X-RateLimit-* headers with the quota left.

Speed matters (benchmarks run against it): every answer goes out in one ``sendall`` with TCP_NODELAY
set, so keep-alive clients never hit the Nagle/delayed-ACK 40 ms stall; all state sits behind one lock.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import fnmatch
import hashlib
import hmac
import http
import ipaddress
import json
import math
import os
import random
import re
import secrets
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from zoom_rate_limits import DOWNLOAD_OP, OPERATIONS
from zoomsim.data import Account, ApiError
from zoomsim.ratelimit import RateLimiter

DEFAULT_ACCOUNT_ID = "demo-account"
DEFAULT_CLIENT_ID = "demo-client-id"
DEFAULT_CLIENT_SECRET = "demo-client-secret"
SCOPES = (
    "meeting:read:admin meeting:write:admin recording:read:admin report:read:admin "
    "user:read:admin webinar:read:admin"
)
FAULT_MODES = ("refused", "error", "slow", "malformed", "empty_token", "rate_limit", "invalid_client",
               "missing_scope")
TOKEN_ONLY_MODES = ("empty_token", "invalid_client")
API_ONLY_MODES = ("missing_scope",)
DEFAULT_MISSING_SCOPES = ("meeting:read:admin",)  # a path no route knows
RATE_LIMIT_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
CONFIG_KEYS = frozenset({"token_ttl", "latency_ms", "latency_jitter_ms", "seed", "rate_limits"})
# Query parameters whose values are secrets: the request log masks them.
SECRET_PARAMS = frozenset({"access_token", "client_secret", "token", "password", "code"})

JSON_TYPE = "application/json;charset=UTF-8"
REQUEST_LOG_LIMIT = 200_000


def mask(secret: str) -> str:
    """First 4 + "..." + last 4 characters (the project's rule for showing a secret)."""
    if len(secret) <= 12:
        return "****"
    return f"{secret[:4]}...{secret[-4:]}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_loopback(host: str) -> str:
    """Return the address to bind, or raise ValueError: the simulator must never face a network."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"zoomsim: --host must be a loopback address (127.0.0.1, ::1), got {host!r}") \
            from None
    if not addr.is_loopback:
        raise ValueError(f"zoomsim: refusing to bind non-loopback address {host!r}; use 127.0.0.1 or ::1")
    return host


class Fault:
    """One injected fault; ``count`` None means until cleared."""

    def __init__(self, fault_id: int, spec: dict):
        target = spec.get("target", "api")
        mode = spec.get("mode")
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; expected one of {', '.join(FAULT_MODES)}")
        if not isinstance(target, str) or not target:
            raise ValueError("fault target must be 'token', 'api', 'download' or '<METHOD> <path glob>'")
        self.id = fault_id
        self.target = target
        self.mode = mode
        if target in ("token", "api", "download"):
            self.route, self.method, self.glob = target, None, None
            if mode in API_ONLY_MODES and target != "api":
                raise ValueError(f"{mode} faults apply to API routes only (target 'api' or "
                                 "'<METHOD> <path glob>')")
        else:
            method, _, glob = target.partition(" ")
            if not glob or glob[0] not in "/*":
                raise ValueError(f"fault target {target!r}: expected '<METHOD> <path glob>', "
                                 "like 'GET /v2/users/*'")
            self.route, self.method, self.glob = None, method.upper(), glob
        self.status = int(spec.get("status", 500))
        if mode == "error" and not 500 <= self.status <= 599:
            raise ValueError("error faults take a 5xx status")
        self.delay = float(spec.get("delay", 1.0))
        self.retry_after = str(spec.get("retry_after", "1"))
        if self.retry_after != "iso" and not self.retry_after.isdigit():
            raise ValueError("retry_after must be a number of seconds (\"3\") or \"iso\"")
        self.retry_after_seconds = int(spec.get("retry_after_seconds", self.retry_after if
                                                self.retry_after.isdigit() else 1))
        scopes = spec.get("scopes")
        if scopes is not None and (not isinstance(scopes, list) or not scopes
                                   or not all(isinstance(x, str) and x for x in scopes)):
            raise ValueError('scopes must be a non-empty list of scope names, like ["meeting:read:admin"]')
        self.scopes = None if scopes is None else list(scopes)
        count = spec.get("count")
        self.count = None if count is None else int(count)
        self.probability = float(spec.get("probability", 1.0))
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within 0..1")

    def matches(self, route: str, method: str, path: str) -> bool:
        if self.mode in TOKEN_ONLY_MODES and route != "token":
            return False
        if self.mode in API_ONLY_MODES and route != "api":
            return False
        if self.route is not None:
            return self.route == route
        if self.method not in ("*", method):
            return False
        if fnmatch.fnmatchcase(path, self.glob):
            return True
        return path.startswith("/v2/") and fnmatch.fnmatchcase(path[3:], self.glob)

    def describe(self) -> dict:
        out = {"id": self.id, "target": self.target, "mode": self.mode, "count": self.count,
               "probability": self.probability}
        if self.mode == "error":
            out["status"] = self.status
        elif self.mode == "slow":
            out["delay"] = self.delay
        elif self.mode == "rate_limit":
            out["retry_after"] = self.retry_after
            out["retry_after_seconds"] = self.retry_after_seconds
        elif self.mode == "missing_scope" and self.scopes is not None:
            out["scopes"] = list(self.scopes)
        return out


class _Reply:
    """A complete HTTP answer; ``body`` None with status 204 means no body at all."""

    __slots__ = ("status", "body", "headers", "content_type")

    def __init__(self, status: int, body=None, headers=None, content_type: str = JSON_TYPE):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type


def _json_reply(status: int, obj, headers=None) -> _Reply:
    return _Reply(status, json.dumps(obj, separators=(",", ":")).encode(), headers)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def _invalid_client() -> _Reply:
    return _json_reply(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})


def _api_error(status: int, code: int, message: str, headers=None) -> _Reply:
    return _json_reply(status, {"code": code, "message": message}, headers)


class ZoomSimulator:
    """A fake Zoom on loopback. See the module docstring for the HTTP side.

    ``clock`` (default ``time.time``) drives token ``iat``/``exp``, expiry checks and the rate-limit
    windows, so tests can expire tokens and move windows without waiting; ``rng`` (a ``random.Random``)
    drives probabilistic faults. ``latency_ms`` (± ``latency_jitter_ms``, drawn from ``seed``) delays
    every answer but the control endpoints' through ``sleep`` (default ``time.sleep``): half before the
    request is handled, half after, as the two trips to a far-away Zoom. ``rate_limits`` (a plan name
    from zoom_rate_limits: pro, business_plus, ...; None: off) enforces Zoom's per-account limits.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token_ttl: int = 3600,
                 account_id: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None, *, clock=time.time, seed_meetings: int = 0,
                 rng: random.Random | None = None, verbose: bool = False, latency_ms: float = 0.0,
                 latency_jitter_ms: float = 0.0, seed: int | None = None, rate_limits: str | None = None,
                 sleep=time.sleep):
        self.host = check_loopback(host)
        self.port = port
        self.token_ttl = int(token_ttl)
        self.account_id = account_id or os.environ.get("ZOOMSIM_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID
        self.client_id = client_id or os.environ.get("ZOOMSIM_CLIENT_ID") or DEFAULT_CLIENT_ID
        self.client_secret = (client_secret or os.environ.get("ZOOMSIM_CLIENT_SECRET")
                              or DEFAULT_CLIENT_SECRET)
        self.clock = clock
        self.verbose = verbose
        self._rng = rng or random.Random()  # noqa: S311 - fault dice, not crypto
        self._lock = threading.Lock()
        self._signing_key = secrets.token_bytes(32)
        self._tokens: dict[str, float] = {}  # token -> exp (epoch seconds)
        self._faults: list[Fault] = []
        self._next_fault_id = 1
        # Bounded so a soak run cannot eat the machine; the oldest entries go first.
        self._log: deque[dict] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._stats = {"token_requests": 0, "tokens_issued": 0, "api_requests": 0, "download_requests": 0,
                       "rate_limited": 0}
        self._sleep = sleep
        self._latency_ms = self._jitter_ms = 0.0  # as set, for config()
        self._latency = self._jitter = 0.0  # in seconds, for each answer
        self._seed: int | None = None
        self._latency_rng = random.Random()  # noqa: S311 - simulated network delay, not crypto
        self.set_latency(latency_ms, latency_jitter_ms, seed)
        self._limiter: RateLimiter | None = None
        self.set_rate_limits(rate_limits)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        # The base URL is needed by the seed data (download_url); it is set for real in start().
        self.account = Account(self.account_id, base_url_getter=lambda: self.url, clock=clock)
        if seed_meetings:
            self.account.seed_meetings("me", seed_meetings)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ZoomSimulator:
        if self._server is not None:
            return self
        server_cls = _Server6 if ":" in self.host else _Server
        self._server = server_cls((self.host, self.port), _Handler)
        self._server.sim = self
        self.port = self._server.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"zoomsim:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ZoomSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    # ---- control helpers (mirror /_sim/*) --------------------------------------------------------
    def add_fault(self, target: str = "api", mode: str = "error", **options) -> int:
        """Inject a fault; returns its id. Raises ValueError on a bad spec."""
        with self._lock:
            fault = Fault(self._next_fault_id, {"target": target, "mode": mode, **options})
            self._next_fault_id += 1
            self._faults.append(fault)
            return fault.id

    def faults(self) -> list[dict]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def remove_fault(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests(self, route: str | None = None, method: str | None = None) -> list[dict]:
        """The request log (copies), oldest first, optionally filtered by route and method."""
        with self._lock:
            return [dict(r) for r in self._log
                    if (route is None or r["route"] == route) and (method is None or r["method"] == method)]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def stats(self) -> dict:
        with self._lock:
            return dict(self._stats)

    def revoke_all(self) -> None:
        """Every token issued so far becomes unknown (401 code 124 "Invalid access token.")."""
        with self._lock:
            self._tokens.clear()

    def set_token_ttl(self, seconds: int) -> None:
        seconds = int(seconds)
        if seconds <= 0:
            raise ValueError("token_ttl must be positive")
        with self._lock:
            self.token_ttl = seconds

    def set_latency(self, ms: float, jitter_ms: float | None = None, seed: int | None = None) -> None:
        """Delay each answer by ms ± jitter_ms (uniform; None keeps the current jitter); a seed makes the
        sequence of delays repeatable."""
        ms = float(ms)
        jitter = self._jitter_ms if jitter_ms is None else float(jitter_ms)
        if not (math.isfinite(ms) and math.isfinite(jitter)) or ms < 0 or jitter < 0:
            raise ValueError("latency_ms and latency_jitter_ms must be numbers >= 0")
        with self._lock:
            self._latency_ms, self._jitter_ms = ms, jitter
            self._latency, self._jitter = ms / 1000, jitter / 1000
            if seed is not None:
                self._seed = int(seed)
                self._latency_rng.seed(self._seed)

    def set_rate_limits(self, plan: str | None) -> None:
        """Enforce Zoom's per-account limits of a plan (pro, business_plus, ...); None or "off": none."""
        limiter = None
        if plan is not None and not (isinstance(plan, str) and plan.strip().lower() in ("off", "none")):
            if not isinstance(plan, str):
                raise ValueError("rate_limits must be a plan name or null")
            limiter = RateLimiter(plan, self.clock)
        self._limiter = limiter

    def config(self) -> dict:
        return {"token_ttl": self.token_ttl, "latency_ms": self._latency_ms,
                "latency_jitter_ms": self._jitter_ms, "seed": self._seed,
                "rate_limits": None if self._limiter is None else self._limiter.plan}

    def seed_meetings(self, user_id: str = "me", n: int = 1) -> int:
        """Add n scheduled meetings to a user; returns how many the user now has."""
        with self._lock:
            return self.account.seed_meetings(user_id, int(n))

    def seed_recordings(self, user_id: str = "me", n: int = 1, days: int = 90) -> int:
        """Add n past recorded meetings (with transcripts and participants) over the last `days` days;
        returns how many recordings the user now has."""
        with self._lock:
            return self.account.seed_recordings(user_id, int(n), int(days))

    def issue_token(self) -> tuple[str, int]:
        """A valid token (token, expires_in) without a recorded or counted token request."""
        with self._lock:
            return self._issue_token_locked()

    def token_state(self, token: str | None) -> str:
        """'missing', 'valid', 'expired' or 'unknown' for a bearer token."""
        if not token:
            return "missing"
        with self._lock:
            exp = self._tokens.get(token)
        if exp is None:
            return "unknown"
        return "valid" if exp > self.clock() else "expired"

    # ---- internals -------------------------------------------------------------------------------
    def _issue_token_locked(self) -> tuple[str, int]:
        now = int(self.clock())
        ttl = self.token_ttl
        header = {"sv": "000001", "alg": "HS512", "v": "2.0", "kid": uuid.uuid4().hex}
        payload = {
            "aud": "https://oauth.zoom.us", "uid": "sim-user-me", "ver": 10, "auid": uuid.uuid4().hex,
            "nbf": now, "code": secrets.token_urlsafe(16), "iss": f"zm:cid:{self.client_id}", "gno": 0,
            "type": 3, "tid": 0, "aid": self.account_id, "iat": now, "exp": now + ttl,
        }
        signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + _b64url(json.dumps(payload, separators=(",", ":")).encode()))
        sig = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha512).digest()
        token = f"{signing_input}.{_b64url(sig)}"
        self._tokens[token] = now + ttl
        return token, ttl

    def _answer_delay(self) -> float:
        """This answer's simulated round trip, in seconds (0 at once when no latency is set)."""
        base, jitter = self._latency, self._jitter
        if not jitter:
            return base
        return max(0.0, base + self._latency_rng.uniform(-jitter, jitter))

    def _limited(self, route: str, method: str, path: str, handle) -> _Reply:
        """``handle()``'s reply, unless Zoom's rate limit (when on) answers 429 first. Only requests
        with a valid token get here: Zoom counts per account, and the token names the account."""
        limiter = self._limiter
        if limiter is None:
            return handle()
        category = OPERATIONS[DOWNLOAD_OP] if route == "download" else route_category(method, path)
        if category is None:  # a path no route serves: nothing for Zoom to count
            return handle()
        verdict = limiter.check(category)
        if not verdict.admitted:
            return _api_error(429, 429, RATE_LIMIT_MESSAGE, verdict.headers())
        reply = handle()
        reply.headers = {**reply.headers, **verdict.headers()}
        return reply

    def _take_fault(self, route: str, method: str, path: str) -> Fault | None:
        """The first matching fault that fires (its count is consumed), or None."""
        if not self._faults:  # lock-free fast path: list truthiness is atomic enough here
            return None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(route, method, path):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _record(self, entry: dict, counter: str | None) -> None:
        with self._lock:
            self._log.append(entry)
            if counter:
                self._stats[counter] += 1
            if entry["status"] == 429:
                self._stats["rate_limited"] += 1
        if self.verbose:
            print(f"zoomsim: {entry['method']} {entry['path']} -> {entry['status']} "
                  f"(token {entry['token']})", file=sys.stderr, flush=True)

    def _token_endpoint(self, method: str, query: str, headers, body: bytes) -> _Reply:
        if method != "POST":
            return _json_reply(405, {"reason": "Method not allowed", "error": "invalid_request"})
        params = dict(parse_qsl(query))
        ctype = headers.get("Content-Type", "")
        if body and "application/x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8", "replace")))
        if not self._basic_auth_ok(headers.get("Authorization", "")):
            return _invalid_client()
        grant = params.get("grant_type")
        if grant != "account_credentials":
            return _json_reply(400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
        account = params.get("account_id")
        if not account:
            return _json_reply(400, {"reason": "Missing account_id", "error": "invalid_request"})
        if account != self.account_id:
            return _json_reply(400, {"reason": "Account does not exist", "error": "invalid_request"})
        with self._lock:
            token, ttl = self._issue_token_locked()
            self._stats["tokens_issued"] += 1
        return _json_reply(200, {"access_token": token, "token_type": "bearer", "expires_in": ttl,
                                 "scope": SCOPES, "api_url": self.url})

    def _basic_auth_ok(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        cid, sep, secret = decoded.partition(":")
        return bool(sep) and hmac.compare_digest(cid, self.client_id) and hmac.compare_digest(
            secret.encode(), self.client_secret.encode())

    def _fault_reply(self, fault: Fault, route: str, method: str = "GET", path: str = "") -> _Reply:
        if fault.mode == "missing_scope":
            scopes = ", ".join(fault.scopes or route_scopes(method, path))
            return _api_error(400, 4711, f"Invalid access token, does not contain scopes:[{scopes}].")
        if fault.mode == "error":
            return _api_error(fault.status, fault.status, _phrase(fault.status))
        if fault.mode == "malformed":
            if route == "token":
                return _Reply(200, b'{"access_token":"eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEy", "token_ty')
            return _Reply(200, b'{"page_size":30,"meetings":[{"id":8')
        if fault.mode == "empty_token":
            return _json_reply(200, {"access_token": "", "token_type": "bearer", "expires_in": self.token_ttl,
                                     "scope": SCOPES, "api_url": self.url})
        if fault.mode == "invalid_client":
            return _invalid_client()
        if fault.mode == "rate_limit":
            wait = fault.retry_after_seconds
            if fault.retry_after == "iso":
                when = dt.datetime.fromtimestamp(math.ceil(self.clock() + wait), dt.timezone.utc)
                retry_after = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                retry_after = str(wait)
            headers = {"Retry-After": retry_after, "X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS",
                       "X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "0"}
            return _api_error(429, 429, RATE_LIMIT_MESSAGE, headers)
        raise AssertionError(f"unhandled fault mode {fault.mode}")

    def _bearer(self, headers, query: str, allow_query: bool) -> str | None:
        auth = headers.get("Authorization")
        if auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() == "bearer":
                return value.strip() or None
            return None
        if allow_query and query:
            return dict(parse_qsl(query)).get("access_token") or None
        return None

    def _auth_failure(self, state: str) -> _Reply | None:
        if state == "valid":
            return None
        if state == "expired":
            return _api_error(401, 124, "Access token is expired.")
        return _api_error(401, 124, "Invalid access token.")

    def _api(self, method: str, path: str, query: str, body: bytes) -> _Reply:
        """Route a /v2 request (already authenticated) into the Account."""
        sub = path[3:] or "/"  # strip "/v2"
        # Decode once, as Zoom's gateway does: a double-encoded UUID keeps one level of %-escapes,
        # which the UUID-taking handlers undo (data.decode_uuid); a single-encoded "/" splits the path.
        parts = unquote(sub).split("/")[1:]
        match = match_route(method, parts)
        if match is None:
            if match_route(None, parts) is not None:
                return _api_error(405, 405, f"Method {method} is not allowed for this path.")
            err = self.account.unmatched_path(parts)
            if err is not None:
                return _api_error(err.status, err.code, err.message)
            return _api_error(404, 404, "Not Found")
        handler, args = match
        params = dict(parse_qsl(query, keep_blank_values=True))
        payload = None
        if body:
            try:
                payload = json.loads(body)
            except ValueError:
                return _api_error(400, 300, "Request Body should be a valid JSON object.")
            if not isinstance(payload, dict):
                return _api_error(400, 300, "Request Body should be a valid JSON object.")
        try:
            with self._lock:
                status, obj = handler(self.account, *args, params=params, body=payload)
                # Encoded under the lock: answers share nested objects (settings, occurrences) with
                # the state another request may be changing.
                data = None if obj is None else json.dumps(obj, separators=(",", ":")).encode()
            return _Reply(status, data)
        except ApiError as err:
            return _api_error(err.status, err.code, err.message)

    def _download(self, path: str) -> _Reply:
        file_id = unquote(path[len("/rec/download/"):])
        with self._lock:
            found = self.account.recording_file_content(file_id)
        if found is None:
            return _api_error(404, 3301, "This recording does not exist.")
        content, ctype, filename = found
        return _Reply(200, content, {"Content-Disposition": f'attachment; filename="{filename}"'}, ctype)

    # ---- control endpoints -------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: str, body: bytes) -> _Reply:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return _json_reply(400, {"error": "body must be JSON"})
        if not isinstance(payload, dict):
            return _json_reply(400, {"error": "body must be a JSON object"})
        key = (method, path)
        try:
            if key == ("POST", "/_sim/faults"):
                opts = dict(payload)
                return _json_reply(200, {"id": self.add_fault(opts.pop("target", "api"),
                                                              opts.pop("mode", None), **opts)})
            if key == ("GET", "/_sim/faults"):
                return _json_reply(200, {"faults": self.faults()})
            if key == ("DELETE", "/_sim/faults"):
                self.clear_faults()
                return _json_reply(200, {"cleared": True})
            if method == "DELETE" and path.startswith("/_sim/faults/"):
                removed = self.remove_fault(int(path.rsplit("/", 1)[1]))
                return _json_reply(200 if removed else 404, {"removed": removed})
            if key == ("GET", "/_sim/requests"):
                q = dict(parse_qsl(query))
                return _json_reply(200, {"requests": self.requests(q.get("route"), q.get("method"))})
            if key == ("DELETE", "/_sim/requests"):
                self.clear_requests()
                return _json_reply(200, {"cleared": True})
            if key == ("GET", "/_sim/stats"):
                return _json_reply(200, self.stats())
            if key == ("POST", "/_sim/token"):
                token, ttl = self.issue_token()
                return _json_reply(200, {"access_token": token, "token_type": "bearer", "expires_in": ttl})
            if key == ("POST", "/_sim/revoke"):
                self.revoke_all()
                return _json_reply(200, {"revoked": True})
            if key == ("GET", "/_sim/config"):
                return _json_reply(200, self.config())
            if key == ("POST", "/_sim/config"):
                unknown = set(payload) - CONFIG_KEYS
                if unknown:
                    raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}; "
                                     f"expected {', '.join(sorted(CONFIG_KEYS))}")
                if "token_ttl" in payload:
                    self.set_token_ttl(payload["token_ttl"])
                if {"latency_ms", "latency_jitter_ms", "seed"} & set(payload):
                    self.set_latency(payload.get("latency_ms", self._latency_ms),
                                     payload.get("latency_jitter_ms"), payload.get("seed"))
                if "rate_limits" in payload:
                    self.set_rate_limits(payload["rate_limits"])
                return _json_reply(200, self.config())
            if key == ("POST", "/_sim/seed"):
                user_id = payload.get("user_id", "me")
                added = int(payload.get("meetings", 0))
                answer = {"user_id": user_id, "added": added, "meetings": self.seed_meetings(user_id, added)}
                if "recordings" in payload:
                    answer["recordings_added"] = int(payload["recordings"])
                    answer["recordings"] = self.seed_recordings(user_id, answer["recordings_added"],
                                                                int(payload.get("days", 90)))
                return _json_reply(200, answer)
        except ApiError as err:
            return _json_reply(err.status, {"error": err.message})
        except (TypeError, ValueError) as err:
            return _json_reply(400, {"error": str(err)})
        return _json_reply(404, {"error": f"no control endpoint {method} {path}"})


# ---- routing ---------------------------------------------------------------------------------------
# (method, path template under /v2, Account method name). "{x}" matches one decoded segment.
ROUTES = [
    ("GET", "/users", "list_users"),
    ("GET", "/users/{userId}", "get_user"),
    ("GET", "/users/{userId}/meetings", "list_meetings"),
    ("POST", "/users/{userId}/meetings", "create_meeting"),
    ("GET", "/meetings/{meetingId}", "get_meeting"),
    ("PATCH", "/meetings/{meetingId}", "update_meeting"),
    ("DELETE", "/meetings/{meetingId}", "delete_meeting"),
    ("GET", "/past_meetings/{meetingUUID}/participants", "list_past_participants"),
    ("GET", "/users/{userId}/recordings", "list_user_recordings"),
    ("GET", "/meetings/{meetingId}/recordings", "get_meeting_recordings"),
    ("GET", "/meetings/{meetingUUID}/meeting_summary", "get_meeting_summary"),
    ("GET", "/users/{userId}/webinars", "list_webinars"),
    ("GET", "/webinars/{webinarId}", "get_webinar"),
    ("GET", "/report/users/{userId}/meetings", "report_user_meetings"),
]


# The scope a 4711 missing_scope fault names by default: the classic admin scope that Zoom's spec lists
# for the operation (granular where it lists no classic admin one). test_contract checks each is listed.
ROUTE_SCOPES = {
    ("GET", "/users"): ("user:read:admin",),
    ("GET", "/users/{userId}"): ("user:read:admin",),
    ("GET", "/users/{userId}/meetings"): ("meeting:read:admin",),
    ("POST", "/users/{userId}/meetings"): ("meeting:write:admin",),
    ("GET", "/meetings/{meetingId}"): ("meeting:read:admin",),
    ("PATCH", "/meetings/{meetingId}"): ("meeting:write:admin",),
    ("DELETE", "/meetings/{meetingId}"): ("meeting:write:admin",),
    ("GET", "/past_meetings/{meetingUUID}/participants"): ("meeting:read:admin",),
    ("GET", "/users/{userId}/recordings"): ("recording:read:admin",),
    ("GET", "/meetings/{meetingId}/recordings"): ("cloud_recording:read:list_recording_files:admin",),
    ("GET", "/meetings/{meetingUUID}/meeting_summary"): ("meeting_summary:read:admin",),
    ("GET", "/users/{userId}/webinars"): ("webinar:read:admin",),
    ("GET", "/webinars/{webinarId}"): ("webinar:read:admin",),
    ("GET", "/report/users/{userId}/meetings"): ("report:read:admin",),
}


def _operation_key(method: str, template: str) -> str:
    """The zoom_rate_limits key of a route: the same path as Zoom's spec spells it (parameter names
    may differ, e.g. {meetingUUID} here and {meetingId} in the spec)."""
    shape = re.sub(r"\{[^}]+\}", "{}", template)
    for op in OPERATIONS:
        op_method, op_path = op.split(" ", 1)
        if op_method == method and re.sub(r"\{[^}]+\}", "{}", op_path) == shape:
            return op
    raise RuntimeError(f"{method} {template} has no rate-limit category: run dev/gen_rate_limits.py")


def _compile_routes():
    table: dict[int, list] = {}
    for method, template, name in ROUTES:
        segs = template.split("/")[1:]
        category = OPERATIONS[_operation_key(method, template)]
        table.setdefault(len(segs), []).append((method, segs, getattr(Account, name),
                                                ROUTE_SCOPES[(method, template)], category))
    return table


_ROUTE_TABLE = _compile_routes()


def match_route(method: str | None, parts: list[str]):
    """(handler, args) for the decoded path segments, or None. method None matches any method."""
    found = _match(method, parts)
    return None if found is None else found[:2]


def route_category(method: str, path: str) -> str | None:
    """The rate-limit category of the route serving ``path`` (with or without /v2), or None."""
    sub = path[3:] if path.startswith("/v2/") else path
    found = _match(method, unquote(sub).split("/")[1:])
    return None if found is None else found[3]


def route_scopes(method: str, path: str) -> tuple[str, ...]:
    """The scopes of the route serving ``path`` (with or without /v2), for missing_scope faults."""
    sub = path[3:] if path.startswith("/v2/") else path
    found = _match(method, unquote(sub).split("/")[1:])
    return DEFAULT_MISSING_SCOPES if found is None else found[2]


def _match(method: str | None, parts: list[str]):
    for rmethod, segs, handler, scopes, category in _ROUTE_TABLE.get(len(parts), ()):
        if method is not None and rmethod != method:
            continue
        args = []
        for seg, part in zip(segs, parts, strict=True):
            if seg[0] == "{":
                if not part:
                    break
                args.append(part)
            elif seg != part:
                break
        else:
            return handler, args, scopes, category
    return None


# ---- HTTP plumbing ---------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    sim: ZoomSimulator


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zoomsim/1.0"
    sys_version = ""

    def setup(self):
        super().setup()
        # Without this a keep-alive client waits ~40 ms per request (Nagle vs delayed ACK).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # the simulator keeps its own request log

    def do_GET(self):
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def _dispatch(self):
        sim = self.server.sim
        method = self.command
        path, _, query = self.path.partition("?")
        body = self._read_body()
        if path.startswith("/_sim/"):
            self._send(sim._control(method, path, query, body), method)
            return
        if path == "/oauth/token":
            route, counter = "token", "token_requests"
        elif path.startswith("/v2/") or path == "/v2":
            route, counter = "api", "api_requests"
        elif path.startswith("/rec/download/"):
            route, counter = "download", "download_requests"
        else:
            route, counter = "other", None
        # A far-away Zoom: half the round trip before the request is handled (and counted by the rate
        # limiter), half for the answer's way back. Slept in this connection's own handler thread.
        delay = sim._answer_delay()
        if delay:
            sim._sleep(delay / 2)
        token_state = "none"
        if route in ("api", "download"):
            token_state = sim.token_state(sim._bearer(self.headers, query, allow_query=route == "download"))
        entry = {"method": method, "path": path, "query": _safe_query(query), "route": route,
                 "token": token_state, "status": None, "fault": None, "time": sim.clock()}
        fault = sim._take_fault(route, method, path)
        if fault is not None:
            entry["fault"] = fault.mode
            if fault.mode == "refused":
                sim._record(entry, counter)
                if delay:
                    sim._sleep(delay - delay / 2)
                self._reset()
                return
            if fault.mode == "slow":
                time.sleep(fault.delay)
                fault = None
        if fault is not None and fault.mode == "missing_scope":  # Zoom checks the token first
            reply = sim._auth_failure(token_state) or sim._fault_reply(fault, route, method, path)
        elif fault is not None:
            reply = sim._fault_reply(fault, route)
        elif route == "token":
            reply = sim._token_endpoint(method, query, self.headers, body)
        elif route == "api":
            reply = sim._auth_failure(token_state) or sim._limited(
                route, method, path, lambda: sim._api(method, path, query, body))
        elif route == "download":
            reply = sim._auth_failure(token_state) or sim._limited(
                route, method, path, lambda: sim._download(path))
        else:
            reply = _json_reply(404, {"code": 404, "message": "Not Found"})
        entry["status"] = reply.status
        sim._record(entry, counter)
        if delay:
            sim._sleep(delay - delay / 2)
        self._send(reply, method)

    def _reset(self):
        """Drop the connection with a TCP RST and no HTTP answer (what a dead peer looks like)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def _send(self, reply: _Reply, method: str):
        status = reply.status
        lines = [f"HTTP/1.1 {status} {_phrase(status)}"]
        body = reply.body or b""
        if status != 204:
            lines.append(f"Content-Type: {reply.content_type}")
            lines.append(f"Content-Length: {len(body)}")
        for name, value in reply.headers.items():
            lines.append(f"{name}: {value}")
        if self.close_connection or self.headers.get("Connection", "").lower() == "close":
            self.close_connection = True
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write: headers and body together (see the module docstring).
        try:
            self.wfile.write(head if method == "HEAD" or status == 204 else head + body)
        except OSError:
            self.close_connection = True


def _safe_query(query: str) -> dict:
    """The query as a dict, with secret-bearing parameters masked."""
    if not query:
        return {}
    out = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        out[key] = mask(value) if key.lower() in SECRET_PARAMS else value
    return out
