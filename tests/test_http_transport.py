"""The streamable HTTP transport is for its owner only (issue 10, item 3).

The real server (./run.sh, ZOOM_MCP_TRANSPORT=http on a free port, against the simulator) as another
local user would meet it: plain HTTP without the token, with a wrong one, with a Host that only starts
like this server's; then the official MCP client with the header. The token file's mode, its reuse on
the next start, and that no log line holds the token. The token's sources are checked in process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
import requests
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from test_server import TOOLS

import http_transport
from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "0"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


def write_env(path: Path, sim: ZoomSimulator, extra: str = "") -> Path:
    token, ttl = sim.issue_token()
    text = (
        f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
        f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_ACCESS_TOKEN={token}\n"
        f"ZOOM_TOKEN_EXPIRES_AT={int(time.time()) + ttl}\nZOOM_OAUTH_URL={sim.oauth_url}\n"
        f"ZOOM_API_BASE_URL={sim.api_url}\n{extra}"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpServer:
    def __init__(self, proc: subprocess.Popen, port: int, stderr: Path, env_file: Path):
        self.proc, self.port, self.stderr, self.env_file = proc, port, stderr, env_file
        self.url = f"http://127.0.0.1:{port}/mcp"

    def token(self) -> str:
        return http_transport.token_file(self.env_file).read_text().strip()

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


@contextmanager
def http_server(tmp: Path, sim: ZoomSimulator, name: str = "server", **extra: str):
    """./run.sh over HTTP; yields once it listens (or has exited: then proc.returncode is set)."""
    env_file = tmp / ".env"
    if not env_file.exists():
        write_env(env_file, sim)
    port = free_port()
    env = {k: os.environ[k] for k in ("HOME", "PATH") if k in os.environ}
    env.update({
        "ZOOM_ENV_FILE": str(env_file), "ZOOM_API_BASE_URL": sim.api_url, "ZOOM_OAUTH_URL": sim.oauth_url,
        "CLAUDE_CONFIG_FILE": str(tmp / "claude.json"), "ZOOM_RESTART_CLAUDE": "0",
        "ZOOM_TOKEN_DISPLAY_INTERVAL": "0", "ZOOM_MCP_TRANSPORT": "http", "ZOOM_MCP_PORT": str(port),
        "ZOOM_LOG_LEVEL": "DEBUG", **extra,  # DEBUG: the most output there is (access log included)
    })
    stderr = tmp / f"{name}.stderr"
    with open(stderr, "wb") as err:
        proc = subprocess.Popen([str(ROOT / "run.sh")], env=env, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=err)
    try:
        deadline = time.monotonic() + 30  # bounds a hang only
        while proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not listen"
                time.sleep(0.05)
        yield HttpServer(proc, port, stderr, env_file)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http")
    with ZoomSimulator(host="127.0.0.1", port=0) as sim, http_server(tmp, sim) as srv:
        assert srv.proc.poll() is None, srv.log()
        srv.sim = sim
        yield srv


def post(srv: HttpServer, headers: dict | None = None, **kw) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # no proxy, no .netrc
    return session.post(srv.url, json=INIT, headers={**MCP_HEADERS, **(headers or {})}, timeout=10, **kw)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- who gets in --------------------------------------------------------------------------------------


def test_a_request_without_the_token_is_401_and_says_bearer(server):
    before = len(server.sim.requests(route="api"))
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"},
                    {"Authorization": ""}):
        r = post(server, headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), r.headers
    # Every path, not only /mcp; and a GET of the event stream.
    assert requests.get(server.url, timeout=10).status_code == 401
    assert requests.get(server.url.replace("/mcp", "/"), timeout=10).status_code == 401
    assert len(server.sim.requests(route="api")) == before  # nothing reached Zoom


def test_a_wrong_token_is_401(server):
    token = server.token()
    last = "A" if token[-1] != "A" else "B"
    shouted = token.upper() if token != token.upper() else "x"
    for wrong in (token[:-1] + last, token[:-1], token + "x", shouted):
        r = post(server, bearer(wrong))
        assert r.status_code == 401, wrong
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_the_right_token_under_another_scheme_is_401(server):
    # Found by make mutate: the scheme was not checked by any test.
    for scheme in ("Basic", "Token", "Bearer2", "MAC"):
        r = post(server, {"Authorization": f"{scheme} {server.token()}"})
        assert r.status_code == 401, scheme


def test_the_right_token_gets_in_with_plain_http_and_any_case_of_bearer(server):
    assert post(server, bearer(server.token())).status_code == 200
    assert post(server, {"Authorization": f"bearer {server.token()}"}).status_code == 200


@pytest.mark.anyio
async def test_the_official_client_works_with_the_header(server):
    async with httpx2.AsyncClient(headers=bearer(server.token())) as http, \
            Client(streamable_http_client(server.url, http_client=http)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == TOOLS
        me = await client.call_tool("zoom_get_user", {"jq": ".email"})
        assert not me.is_error and "@" in me.structured_content["result"]


def test_the_host_must_name_this_server_exactly(server):
    port, token = server.port, server.token()
    answers = {}
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}",
                 f"127.0.0.1:{port}.evil.example", f"localhost:{port}.evil.example", "evil.example",
                 f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}", f"127.0.0.2:{port}",
                 f"127.0.0.1:{port}@evil.example"):
        answers[host] = post(server, {**bearer(token), "Host": host}).status_code
    assert answers == {host: (200 if i < 3 else 421) for i, host in enumerate(answers)}, answers
    # Without the token, a foreign Host is still 421: the Host is checked first.
    assert post(server, {"Host": "evil.example"}).status_code == 421


def test_a_web_page_that_is_not_loopback_is_403(server):
    token = server.token()
    port = server.port
    for origin, status in (("http://evil.example", 403), (f"http://127.0.0.1:{port}.evil.example", 403),
                           ("null", 403), ("http://localhost:6274", 200), (f"http://127.0.0.1:{port}", 200)):
        assert post(server, {**bearer(token), "Origin": origin}).status_code == status, origin


def test_the_token_file_is_private_and_the_log_says_where_it_is(server):
    path = http_transport.token_file(server.env_file)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(server.token()) >= 43  # 32 random bytes, URL-safe base64
    assert f"a new token was made and saved in {path} (mode 0600)" in server.log()


def test_zz_no_log_line_holds_the_token(server):
    """Last in the module: by now every request above has been logged (DEBUG, access log on)."""
    log = server.log()
    assert '"POST /mcp HTTP/1.1" 401' in log and '"POST /mcp HTTP/1.1" 200' in log  # the access log ran
    token = server.token()
    assert token not in log and token[:-1] not in log and token.upper() not in log


# -- starts -------------------------------------------------------------------------------------------


def test_the_token_is_reused_on_the_next_start(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        with http_server(tmp_path, sim, "first") as first:
            token = first.token()
            made = http_transport.token_file(first.env_file).stat()
        with http_server(tmp_path, sim, "second") as second:
            assert post(second, bearer(token)).status_code == 200
            assert f"the token is in {http_transport.token_file(second.env_file)}" in second.log()
            kept = http_transport.token_file(second.env_file).stat()
            assert (kept.st_ino, kept.st_mtime_ns) == (made.st_ino, made.st_mtime_ns)  # not rewritten


def test_a_token_from_the_environment_is_used_and_no_file_is_made(tmp_path):
    token = "env-token-" + "x" * 40
    with ZoomSimulator(host="127.0.0.1", port=0) as sim, \
            http_server(tmp_path, sim, ZOOM_MCP_HTTP_TOKEN=token) as srv:
        assert post(srv, bearer(token)).status_code == 200
        assert not http_transport.token_file(srv.env_file).exists()
        assert "the token is ZOOM_MCP_HTTP_TOKEN from the environment" in srv.log()


def test_a_weak_token_stops_the_server_with_a_clear_error(tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim, \
            http_server(tmp_path, sim, ZOOM_MCP_HTTP_TOKEN="secret") as srv:
        assert srv.proc.wait(timeout=30) == 2
        log = srv.log()
    assert "ZOOM_MCP_HTTP_TOKEN (from the environment) is not a usable bearer token" in log
    assert "at least 32 characters" in log and "secrets.token_urlsafe(32)" in log


# -- where the token comes from (in process) --------------------------------------------------------------


def test_the_environment_wins_over_env_which_wins_over_the_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    from_file = "f" * 40
    monkeypatch.setenv("ZOOM_MCP_HTTP_TOKEN", "e" * 40)
    assert http_transport.load_token(env_file, {"ZOOM_MCP_HTTP_TOKEN": from_file})[0] == "e" * 40
    monkeypatch.delenv("ZOOM_MCP_HTTP_TOKEN")
    token, where = http_transport.load_token(env_file, {"ZOOM_MCP_HTTP_TOKEN": from_file})
    assert token == from_file and where == f"the token is ZOOM_MCP_HTTP_TOKEN from {env_file}"
    assert not http_transport.token_file(env_file).exists()


def test_a_token_file_others_can_read_is_refused_not_used(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOOM_MCP_HTTP_TOKEN", raising=False)
    env_file = tmp_path / ".env"
    token, _ = http_transport.load_token(env_file, {})
    path = http_transport.token_file(env_file)
    path.chmod(0o644)
    with pytest.raises(http_transport.TokenError) as err:
        http_transport.load_token(env_file, {})
    assert "can be read by other users (mode 0644)" in str(err.value) and token not in str(err.value)
    path.chmod(0o600)
    assert http_transport.load_token(env_file, {})[0] == token


def test_a_symlinked_or_garbled_token_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOOM_MCP_HTTP_TOKEN", raising=False)
    env_file = tmp_path / ".env"
    path = http_transport.token_file(env_file)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("s" * 40 + "\n")
    elsewhere.chmod(0o600)
    path.symlink_to(elsewhere)
    with pytest.raises(http_transport.TokenError, match="cannot read"):
        http_transport.load_token(env_file, {})
    path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"short\n")
    os.close(fd)
    with pytest.raises(http_transport.TokenError, match="not a usable bearer token"):
        http_transport.load_token(env_file, {})


def test_two_servers_starting_together_agree_on_one_token(tmp_path, monkeypatch):
    """The file is made by a link that fails when the name exists: the second start reads the first's."""
    monkeypatch.delenv("ZOOM_MCP_HTTP_TOKEN", raising=False)
    env_file = tmp_path / ".env"
    path = http_transport.token_file(env_file)
    real_create = http_transport._create

    def raced(p, token):  # another server links its file in just before this one does
        real_create(p, "o" * 43)
        real_create(p, token)

    monkeypatch.setattr(http_transport, "_create", raced)
    token, where = http_transport.load_token(env_file, {})
    assert token == "o" * 43 and where == f"the token is in {path}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


def test_a_folder_where_the_token_cannot_be_saved_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOOM_MCP_HTTP_TOKEN", raising=False)
    env_file = tmp_path / "no-such-folder" / ".env"  # (a read-only folder would not stop root)
    with pytest.raises(http_transport.TokenError) as err:
        http_transport.load_token(env_file, {})
    assert str(err.value).startswith(f"cannot save a new HTTP token in {http_transport.token_file(env_file)}")
    assert "set ZOOM_MCP_HTTP_TOKEN" in str(err.value)
