"""The bearer proxy of make conformance (conformance/proxy.py): pass-through fidelity.

The upstream here is a raw socket server that records the request bytes exactly as they arrive, so
the tests see header names, order and repeats as the proxy wrote them, not as a parser tidied them.
"""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from conformance.proxy import BearerProxy

TOKEN = "test-token-0123456789"  # a fake: the proxy passes it on, nothing checks it here
DEADLINE = 30  # seconds; only bounds a hang


class RawUpstream:
    """Records each request (head lines, body) and answers by path: /stream sends one SSE event,
    waits for `gate`, then a second one; /status answers 421; anything else 200 with a JSON body."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[tuple[list[str], bytes]] = []
        self.gate = threading.Event()
        self.finished = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket):
        with conn:
            conn.settimeout(DEADLINE)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = next((int(v) for n, _, v in (x.partition(": ") for x in lines[1:])
                           if n.lower() == "content-length"), 0)
            while len(body) < length:
                body += conn.recv(65536)
            self.requests.append((lines, body))
            path = lines[0].split(" ")[1]
            if path == "/stream":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                event = b"event: message\ndata: one\n\n"
                conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                self.gate.wait(DEADLINE)
                event = b"event: message\ndata: two\n\n"
                conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(event), event))
                self.finished.set()
            elif path == "/status":
                body = b'{"error":"misdirected"}'
                conn.sendall(b"HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\n"
                             b"X-Why: host\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            else:
                body = b'{"ok":true}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Mcp-Session-Id: abc123\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self):
        self.sock.close()


@pytest.fixture
def upstream():
    up = RawUpstream()
    yield up
    up.gate.set()
    up.close()


@pytest.fixture
def proxy(upstream):
    with BearerProxy(upstream.port, TOKEN) as p:
        yield p


def request(proxy, method, path, headers, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=DEADLINE)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    return conn, conn.getresponse()


def header_lines(lines: list[str]) -> list[tuple[str, str]]:
    return [tuple(x.split(": ", 1)) for x in lines[1:]]


def test_request_goes_through_unchanged_with_the_bearer_added(proxy, upstream):
    own = f"127.0.0.1:{proxy.port}"
    sent = [
        ("Host", own), ("Origin", f"http://{own}"), ("Content-Type", "application/json"),
        ("mcp-method", "tools/list"), ("X-Twice", "a"), ("X-Twice", "b"),
        ("MCP-Protocol-Version", "2025-11-25"),
    ]
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
    conn, resp = request(proxy, "POST", "/mcp?x=1&y=%20", sent, body)
    assert resp.status == 200 and resp.read() == b'{"ok":true}'
    assert resp.getheader("Mcp-Session-Id") == "abc123"
    conn.close()

    (lines, got_body), = upstream.requests
    assert lines[0] == "POST /mcp?x=1&y=%20 HTTP/1.1"
    assert got_body == body
    expected = [("Host", f"127.0.0.1:{upstream.port}")] + sent[1:] + [
        ("Authorization", f"Bearer {TOKEN}"), ("Content-Length", str(len(body))),
    ]
    assert header_lines(lines) == expected  # names as written, order and the repeat kept; Origin untouched


@pytest.mark.parametrize(("host", "forwarded"), [
    ("evil.example", "evil.example"),
    ("evil.example:80", "evil.example:80"),
    ("localhost:{proxy}", "localhost:{upstream}"),
    ("[::1]:{proxy}", "[::1]:{upstream}"),
    ("127.0.0.1:1", "127.0.0.1:1"),
])
def test_host_of_the_proxys_port_is_mapped_any_other_goes_as_sent(proxy, upstream, host, forwarded):
    ports = {"proxy": proxy.port, "upstream": upstream.port}
    conn, resp = request(proxy, "GET", "/mcp", [("Host", host.format(**ports))])
    resp.read()
    conn.close()
    (lines, _), = upstream.requests
    assert dict(header_lines(lines))["Host"] == forwarded.format(**ports)


def test_a_clients_authorization_is_replaced_not_added(proxy, upstream):
    conn, resp = request(proxy, "DELETE", "/mcp", [("Host", "x"), ("Authorization", "Bearer theirs")])
    resp.read()
    conn.close()
    (lines, body), = upstream.requests
    assert lines[0].startswith("DELETE /mcp ")
    assert [v for n, v in header_lines(lines) if n.lower() == "authorization"] == [f"Bearer {TOKEN}"]
    assert body == b""


def test_error_status_reason_headers_and_body_come_back_as_sent(proxy):
    conn, resp = request(proxy, "POST", "/status", [("Host", "evil.example")], b"{}")
    assert (resp.status, resp.reason) == (421, "Misdirected Request")
    assert resp.getheader("X-Why") == "host"
    assert resp.read() == b'{"error":"misdirected"}'
    conn.close()


def test_sse_events_are_streamed_as_the_server_writes_them(proxy, upstream):
    conn, resp = request(proxy, "POST", "/stream", [("Host", "x"), ("Accept", "text/event-stream")], b"{}")
    assert resp.getheader("Content-Type") == "text/event-stream"
    first = b""
    while b"\n\n" not in first:
        first += resp.read1(65536)
    # The first event arrived while the server was still holding the second one back.
    assert first == b"event: message\ndata: one\n\n"
    assert not upstream.finished.is_set()
    upstream.gate.set()
    assert resp.read() == b"event: message\ndata: two\n\n"
    conn.close()


def test_a_chunked_request_body_arrives_whole(proxy, upstream):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=DEADLINE)
    conn.request("POST", "/mcp", body=iter([b'{"a":', b"1}"]), headers={"Host": "x"}, encode_chunked=True)
    conn.getresponse().read()
    conn.close()
    (lines, body), = upstream.requests
    assert body == b'{"a":1}'
    assert "Transfer-Encoding" not in dict(header_lines(lines))


def test_keep_alive_carries_several_requests_on_one_connection(proxy, upstream):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=DEADLINE)
    for _ in range(3):
        conn.request("POST", "/mcp", body=b"{}", headers={"Host": "x"})
        assert conn.getresponse().read() == b'{"ok":true}'
    conn.close()
    assert len(upstream.requests) == 3


def test_no_server_behind_it_is_a_502():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens once the socket is closed
    with BearerProxy(dead, TOKEN) as proxy:
        conn, resp = request(proxy, "GET", "/mcp", [("Host", "x")])
        assert resp.status == 502
        assert TOKEN not in resp.read().decode()
        conn.close()


def test_a_token_is_required():
    with pytest.raises(ValueError, match="token"):
        BearerProxy(1, "")
