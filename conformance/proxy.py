"""A loopback HTTP proxy that adds ``Authorization: Bearer <token>`` and changes nothing else.

The conformance suite's server mode cannot send headers, and the server's HTTP transport requires a
bearer token. The proxy sits in between so that every scenario, the DNS-rebinding and header ones
included, still tests the server itself:

- method, path and query, body, and every header (names as written, order, repeats: Origin,
  Mcp-Method, MCP-Protocol-Version, Mcp-Session-Id ...) go through as received;
- ``Host`` naming the proxy's own port is given the server's port (the host name part as sent:
  what the client would have sent talking to the server directly); any other Host goes as sent;
- an Authorization header from the client is replaced by the proxy's;
- the response (status, reason, headers, body) comes back as the server sent it, streamed: an SSE
  event reaches the client when the server writes it.

Only hop-by-hop framing is the proxy's own (RFC 9110 §7.6.1): a chunked request body is forwarded
with a Content-Length, a response without one is re-chunked. Stdlib only; one thread per connection.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authorization", "proxy-authenticate",
})


class BearerProxy:
    """``with BearerProxy(upstream_port, token) as proxy:`` then talk to ``proxy.url(path)``."""

    def __init__(self, upstream_port: int, token: str, upstream_host: str = "127.0.0.1"):
        if not token:
            raise ValueError("the proxy needs a token")
        self.upstream = (upstream_host, upstream_port)
        self._token = token
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self  # type: ignore[attr-defined] - read by the handler
        self.port = self._server.server_address[1]
        self._open: set[socket.socket] = set()  # upstream sockets of requests in flight
        self._lock = threading.Lock()
        # A short poll interval: close() waits for the serving loop to notice (0.5 s by default).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="bearer-proxy",
                                        daemon=True)
        self._thread.start()

    def url(self, path: str = "/mcp") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def map_host(self, value: str) -> str:
        name, sep, port = value.rpartition(":")
        if sep and port == str(self.port):
            return f"{name}:{self.upstream[1]}"
        return value

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:  # ends handlers still relaying a stream: their read sees the end
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> BearerProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that drops its connection is no error of the proxy's: only others are printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses towards the client

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the server under test logs what matters

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._forward()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        return self.rfile.read(int(length)) if length is not None else None

    def _forward(self) -> None:
        proxy: BearerProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self._read_body()
        conn = http.client.HTTPConnection(*proxy.upstream, timeout=None)
        sock = None
        try:
            try:
                conn.connect()
                sock = conn.sock
                with proxy._lock:
                    proxy._open.add(sock)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.raw_items():
                    lower = name.lower()
                    if lower in HOP_BY_HOP or lower in ("authorization", "content-length"):
                        continue
                    conn.putheader(name, proxy.map_host(value) if lower == "host" else value)
                conn.putheader("Authorization", f"Bearer {proxy._token}")
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
            except OSError as exc:
                self._bad_gateway(exc)
                return
            self._relay(resp)
        except (OSError, http.client.HTTPException):
            # The client left, or the server's side ended mid-response (the proxy closing): a
            # truncated response is all there is to pass on.
            self.close_connection = True
        finally:
            conn.close()
            with proxy._lock:
                proxy._open.discard(sock)

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        self.send_response_only(resp.status, resp.reason)
        length = resp.getheader("Content-Length")
        for name, value in resp.headers.raw_items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        bodiless = self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200
        chunked = not bodiless and length is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if resp.will_close and not chunked:
            self.close_connection = True
        self.end_headers()
        if bodiless:
            return
        while True:
            data = resp.read1(65536)
            if not data:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _bad_gateway(self, exc: OSError) -> None:
        body = f"bearer proxy: the server at {self.server.proxy.upstream[1]} did not answer: {exc}\n"  # type: ignore[attr-defined]
        data = body.encode()
        self.send_response_only(502, "Bad Gateway")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

