"""The streamable HTTP transport (ZOOM_MCP_TRANSPORT=http): 127.0.0.1 only, and a bearer token.

Any local user can connect to a port on 127.0.0.1, and a web page can reach it through a DNS name
that resolves there; the token opens an account-wide Zoom admin. So every request must carry
`Authorization: Bearer <token>` (401 otherwise), name this server exactly in its Host header
(`127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`, else 421) and, when it has an Origin, come from
a loopback origin (403). The MCP SDK checks Host and Origin too, but by prefix: it let
`Host: 127.0.0.1:PORT.evil.example` through, so it is given the exact hosts as well.

The token is ZOOM_MCP_HTTP_TOKEN (the environment, then .env). When neither sets it, the server
makes one (32 random bytes, URL-safe), keeps it in `<.env>.http-token` (mode 0600), reuses it on the
next start, and logs where it is, never the token itself. There is no unauthenticated mode.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import secrets
import stat
from pathlib import Path

log = logging.getLogger("zoom_mcp.http")

TOKEN_SETTING = "ZOOM_MCP_HTTP_TOKEN"
MIN_TOKEN_LENGTH = 32
# RFC 6750's b64token: what may follow "Bearer " in a header.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_ORIGIN = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?")
_NEW_TOKEN_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class TokenError(Exception):
    """The HTTP token cannot be used or made; the message says how to fix it."""


def token_file(env_file: Path) -> Path:
    return env_file.with_name(env_file.name + ".http-token")


def load_token(env_file: Path, file_values: dict) -> tuple[str, str]:
    """(the token, where it comes from: for the log, never the token)."""
    for value, source in ((os.environ.get(TOKEN_SETTING), "the environment"),
                          (file_values.get(TOKEN_SETTING), str(env_file))):
        if value:
            _check_token(value, f"{TOKEN_SETTING} (from {source})")
            return value, f"the token is {TOKEN_SETTING} from {source}"
    path = token_file(env_file)
    if not path.exists():
        try:
            _create(path, secrets.token_urlsafe(32))
            return _read(path), f"a new token was made and saved in {path} (mode 0600)"
        except FileExistsError:  # another server made it first: use theirs
            pass
        except OSError as exc:
            raise TokenError(f"cannot save a new HTTP token in {path} ({exc.strerror}); make that folder "
                             f"writable, or set {TOKEN_SETTING}") from None
    return _read(path), f"the token is in {path}"


def _check_token(value: str, what: str) -> None:
    if len(value) < MIN_TOKEN_LENGTH or not _TOKEN.fullmatch(value):
        raise TokenError(
            f"{what} is not a usable bearer token: it needs at least {MIN_TOKEN_LENGTH} characters of "
            f"A-Z a-z 0-9 - . _ ~ + / (make one with: {_NEW_TOKEN_HINT})"
        )


def _create(path: Path, token: str) -> None:
    """Write the token file whole and private: a temporary file, then a link that fails if the
    name exists (so two servers starting together end up with one token)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _read(path: Path) -> str:
    """The token file's content, if only this user can read it (like ssh with a private key)."""
    fix = f"delete {path} to have a new token made, or set {TOKEN_SETTING}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise TokenError(f"cannot read {path} ({exc.strerror}); {fix}") from None
    with os.fdopen(fd) as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            raise TokenError(f"{path} is not a file of yours; {fix}")
        if st.st_mode & 0o077:
            raise TokenError(
                f"{path} can be read by other users (mode {stat.S_IMODE(st.st_mode):04o}): the token may "
                f"have leaked; {fix} (or chmod 600 it if you are sure nobody read it)"
            )
        token = f.read().strip()
    _check_token(token, f"the token in {path}")
    return token


class Guard:
    """ASGI middleware in front of the MCP app: Host, Origin, then the bearer token."""

    def __init__(self, app, token: str, port: int):
        self.app = app
        self._token = token.encode()
        self._hosts = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":  # not served here
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers") or ():
            headers.setdefault(name.lower(), value)  # the first one: a repeated header never helps
        host = headers.get(b"host", b"").decode("latin-1")
        origin = headers.get(b"origin", b"").decode("latin-1") if b"origin" in headers else None
        if host not in self._hosts:  # exactly, as the SDK compares them
            log.warning("refused a request: Host %r is not this server (%s)", host[:80],
                        " or ".join(sorted(self._hosts)))
            await _answer(send, 421, "Misdirected request: the Host header must name this server")
        elif origin is not None and not _ORIGIN.fullmatch(origin):
            log.warning("refused a request from Origin %r: not a loopback origin", origin[:80])
            await _answer(send, 403, "Forbidden: the Origin is not a loopback origin")
        elif not self._authorized(headers.get(b"authorization")):
            log.warning("refused a request without the right bearer token (from %s)", _peer(scope))
            await _answer(
                send, 401, "Unauthorized: send 'Authorization: Bearer <token>' (see ZOOM_MCP_HTTP_TOKEN)",
                [(b"www-authenticate", b'Bearer realm="zoom-mcp"'
                  + (b', error="invalid_token"' if b"authorization" in headers else b""))],
            )
        else:
            await self.app(scope, receive, send)

    def _authorized(self, value: bytes | None) -> bool:
        scheme, _, given = (value or b"").partition(b" ")
        # compare_digest takes the same time wherever the first difference is.
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token)


def _peer(scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "?"


async def _answer(send, status: int, text: str, extra: list | None = None) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *(extra or ()),
    ]})
    await send({"type": "http.response.body", "body": body})


def serve(server, *, port: int, level: str, pool, env_file: Path, file_values: dict) -> int:
    """Serve `server` over streamable HTTP on 127.0.0.1:port until SIGINT/SIGTERM; the exit code.

    uvicorn's logs go to stderr like ours: log_config=None keeps its loggers on the root logger
    (the SDK's own runner would leave uvicorn's default, which writes the access log to stdout);
    the access log, a line per request (no headers), only at DEBUG."""
    import anyio
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    try:
        token, where = load_token(env_file, file_values)
    except TokenError as exc:
        log.error("%s", exc)
        return 2
    log.info("serving streamable HTTP on http://127.0.0.1:%d/mcp; clients must send "
             "'Authorization: Bearer <token>': %s", port, where)
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts,
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    import protocol_guard

    # The protocol guard parses bodies: it sits inside the Host, Origin and token checks, so a
    # refused request is never parsed.
    app = protocol_guard.HttpGuard(server.streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1",
                                                              transport_security=security))
    config = uvicorn.Config(
        Guard(app, token, port), host="127.0.0.1", port=port, log_config=None, log_level=level.lower(),
        access_log=level == "DEBUG", timeout_graceful_shutdown=5,
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            pool.close()  # a running filter must not hold up the shutdown
            super().handle_exit(sig, frame)

    anyio.run(Server(config).serve)
    return 0
