"""The bearer token never goes to a host that is not Zoom (issue 10, item 4).

Recording download URLs come from Zoom's answers, which the threat model does not trust. Each test
runs local TLS listeners (a self-signed certificate made here, trusted by the client through
REQUESTS_CA_BUNDLE, so a leak would really happen) and records every request they get, headers
included: a URL that urllib reads as zoom.us but urllib3 connects to 127.0.0.1 must never reach
them, and a redirect to another origin must arrive without the Authorization header.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zoom_client import ZoomClient, ZoomError, connect_origin

BEARER = "eyJzDOWNLOAD-TEST-BEARER-NTMz"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own CA (so it can be the trust store)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zoom-mcp test listener")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Listener:
    """HTTPS on 127.0.0.1: records each request's head; answers with `reply(path)` (status line and
    headers, body), by default a small VTT file."""

    def __init__(self, cert: Path, key: Path, reply=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply = reply or (lambda path: ("200 OK", [], b"WEBVTT\n"))
        self.requests: list[dict] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with conn:
                try:
                    tls = self.ctx.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    continue
                self._answer(tls)

    def _answer(self, tls) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                return
            data += chunk
        line, *fields = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}
        path = line.split(" ")[1]
        self.requests.append({"path": path, "headers": headers})
        status, extra, body = self.reply(path)
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *extra]
        tls.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        tls.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a plain close would not)
        self.sock.close()
        self.thread.join(timeout=5)


class Bearer:
    def get_token(self):
        return BEARER

    def handle_unauthorized(self, bad_token):
        return None


@pytest.fixture
def tls(tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # the client trusts the listeners
    listeners: list[Listener] = []

    def start(reply=None) -> Listener:
        listener = Listener(cert, key, reply)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.close()


def client(base_url: str = "https://api.zoom.us/v2") -> ZoomClient:
    return ZoomClient(base_url, Bearer(), sleep=lambda s: None)


def test_a_url_that_urllib_reads_as_zoom_never_reaches_the_host_urllib3_connects_to(tls):
    listener = tls()
    port = listener.port
    c = client()
    for url in (
        f"https://127.0.0.1:{port}\\@ssrweb.zoom.us/rec/download/x",  # the reported one
        f"https://127.0.0.1:{port}\\\\@ssrweb.zoom.us/rec/download/x",
        f"https://127.0.0.1:{port}%5C@ssrweb.zoom.us/rec/download/x",
        f"https://ssrweb.zoom.us\\@127.0.0.1:{port}/rec/download/x",
        f"https://ssrweb.zoom.us@127.0.0.1:{port}/rec/download/x",  # userinfo
        f"https://ssrweb.zoom.us:443@127.0.0.1:{port}/rec/download/x",
        f"https://127.0.0.1:{port}#@ssrweb.zoom.us/rec/download/x",
        f"https://127.0.0.1:{port}?@ssrweb.zoom.us/rec/download/x",
        f"https://127.0.0.1:{port}\t@ssrweb.zoom.us/rec/download/x",
        f"https://127.0.0.1:{port}/ssrweb.zoom.us/rec/download/x",
        f"https://127.0.0.1:{port}.zoom.us.evil.example/x",
    ):
        with pytest.raises(ZoomError, match="non-Zoom host"):
            c.download_text(url)
    assert listener.requests == []  # nothing connected, so no bearer either


def test_only_plain_https_urls_of_zoom_are_allowed():
    for url in ("https://zoom.us/rec/download/x", "https://ssrweb.zoom.us/rec/x", "HTTPS://SSRWEB.ZOOM.US/x",
                "https://us06web.zoom.us:443/rec/download/x"):
        origin = connect_origin(url)
        assert origin is not None and (origin[1] == "zoom.us" or origin[1].endswith(".zoom.us")), url
    c = client()
    for url in ("http://ssrweb.zoom.us/rec/x", "https://zoom.us.evil.example/x", "https://evilzoom.us/x",
                "ftp://zoom.us/x", "https://ssrweb.zoom.us./x", "https://xn--zom-vbc.us/x", "https://zоom.us/x",
                "//ssrweb.zoom.us/x", "https:ssrweb.zoom.us/x", "https://[::1]:443@zoom.us/x"):
        with pytest.raises(ZoomError, match="non-Zoom host"):
            c.download_text(url)


def test_a_redirect_to_another_origin_arrives_without_the_bearer(tls):
    """The API's own origin (a listener here) may serve the file; its redirect elsewhere drops the token."""
    cdn = tls()
    other_port = tls()  # same host, another port: another origin
    api = tls(lambda path: {
        "/rec/same": ("302 Found", ["Location: /rec/file"], b""),
        "/rec/cdn": ("302 Found", [f"Location: https://localhost:{cdn.port}/file?sig=1"], b""),
        "/rec/port": ("302 Found", [f"Location: https://127.0.0.1:{other_port.port}/file"], b""),
    }.get(path, ("200 OK", [], b"WEBVTT\n")))
    c = client(f"https://127.0.0.1:{api.port}/v2")
    assert c.download_text(f"https://127.0.0.1:{api.port}/rec/same") == "WEBVTT\n"
    assert [r["headers"].get("authorization") for r in api.requests] == [f"Bearer {BEARER}"] * 2
    assert c.download_text(f"https://127.0.0.1:{api.port}/rec/cdn") == "WEBVTT\n"
    assert c.download_text(f"https://127.0.0.1:{api.port}/rec/port") == "WEBVTT\n"
    assert [r["path"] for r in cdn.requests] == ["/file?sig=1"]
    assert [r["path"] for r in other_port.requests] == ["/file"]
    for request in cdn.requests + other_port.requests:
        assert "authorization" not in request["headers"], request


def test_an_api_call_redirected_elsewhere_drops_the_bearer_too(tls):
    elsewhere = tls(lambda path: ("200 OK", ["Content-Type: application/json"], b'{"id": 1}'))
    api = tls(lambda path: ("307 Temporary Redirect", [f"Location: https://localhost:{elsewhere.port}{path}"],
                            b""))
    c = client(f"https://127.0.0.1:{api.port}/v2")
    assert c.get("/users/me") == {"id": 1}
    assert api.requests[0]["headers"]["authorization"] == f"Bearer {BEARER}"
    assert "authorization" not in elsewhere.requests[0]["headers"]
