"""Raw protocol behaviour of the real server (./run.sh) that the conformance suite does not score:
issue 12's deviations, each reproduced with raw JSON-RPC over stdio or streamable HTTP.

Deviations 3-7 are fixed at the project's boundary (protocol_guard.py; subscriptions=False); 1 by
passing the project's version, 2 by serving real prompts and a resource template.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import subprocess
import time
from pathlib import Path

import pytest
from mcp import Client, MCPError
from mcp.server import MCPServer

import protocol_guard
from conformance.stack import RUN_SH, HttpServer, server_env
from zoomsim import ZoomSimulator
from zoomsim.control import write_env_file

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 30.0  # seconds: bounds a hang, never paces a test
TOKEN = "protocol-test-bearer-0123456789abcdef"  # test value for ZOOM_MCP_HTTP_TOKEN
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-probe", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
INIT = {"protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw-probe", "version": "1"}}


def project_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)


@pytest.fixture(scope="module")
def sim():
    with ZoomSimulator(host="127.0.0.1", port=0) as simulator:
        yield simulator


# -- stdio ----------------------------------------------------------------------------------------


class StdioServer:
    """./run.sh over stdio, driven line by line."""

    def __init__(self, workdir: Path, env_file: Path):
        self.stderr = open(workdir / "stdio.log", "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([str(RUN_SH)], cwd=workdir, env=server_env(env_file, workdir),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self._buf = b""

    def send_line(self, line: str | dict) -> None:
        text = line if isinstance(line, str) else json.dumps(line)
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def reply(self) -> dict:
        end = time.monotonic() + DEADLINE
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"no reply within {DEADLINE} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("the server closed stdout")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, rid, method: str, params: dict | None = None) -> dict:
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_line(msg)
        return self.reply()

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()


@pytest.fixture(scope="module")
def stdio(sim, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stdio")
    server = StdioServer(tmp, write_env_file(tmp / ".env", sim))
    assert "result" in server.request(0, "initialize", INIT)
    server.send_line({"jsonrpc": "2.0", "method": "notifications/initialized"})
    yield server
    server.close()


def answer_then_ping(stdio: StdioServer, line: str) -> tuple[dict, dict]:
    """Send `line`, then a ping: the ping's answer comes second, so a dropped line shows as the
    ping's answer arriving first (no waiting for something that never comes)."""
    stdio.send_line(line)
    stdio.send_line({"jsonrpc": "2.0", "id": "after", "method": "ping"})
    first = stdio.reply()
    if first.get("id") == "after":
        return {}, first
    return first, stdio.reply()


@pytest.mark.parametrize(("line", "code", "rid"), [
    ('{"jsonrpc": "2.0", "id": 1, "method": ', -32700, None),  # not JSON
    ('[{"jsonrpc": "2.0", "id": 2, "method": "ping"}]', -32600, None),  # a batch
    ('{"hello": 1}', -32600, None),  # JSON, not JSON-RPC
    ('{"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": "x"}', -32600, 7),  # id readable
])
def test_stdio_answers_a_line_that_is_not_a_jsonrpc_message(stdio, line, code, rid):
    """Deviation 4: the SDK's reader dropped these silently; JSON-RPC 2.0 wants an error reply."""
    error, ping = answer_then_ping(stdio, line)
    assert error, "no reply: the line was dropped"
    assert error["id"] == rid and error["error"]["code"] == code
    assert len(error["error"]["message"]) < 160
    assert ping == {"jsonrpc": "2.0", "id": "after", "result": {}}  # the session goes on


def test_stdio_ignores_a_blank_line(stdio):
    error, ping = answer_then_ping(stdio, "   ")
    assert error == {} and ping["id"] == "after"


def test_stdio_unknown_prompt_is_invalid_params(stdio):
    """Deviation 3 on the handshake era: the SDK answered {"code": 0, ...}."""
    answer = stdio.request(3, "prompts/get", {"name": "nope"})
    assert answer["error"] == {"code": -32602, "message": "Unknown prompt: nope"}


# -- streamable HTTP ------------------------------------------------------------------------------


class Http:
    def __init__(self, server: HttpServer):
        self.server = server

    def post_raw(self, body: dict | list, headers: dict[str, str]) -> tuple[int, dict, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=DEADLINE)
        sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                "Authorization": f"Bearer {TOKEN}", **headers}
        conn.request("POST", "/mcp", body=json.dumps(body), headers=sent)
        resp = conn.getresponse()
        raw = resp.read().decode()
        conn.close()
        if resp.getheader("Content-Type", "").startswith("text/event-stream"):
            raw = next(x[5:].strip() for x in raw.splitlines() if x.startswith("data:"))
        return resp.status, dict(resp.getheaders()), raw

    def post(self, body: dict | list, **headers: str) -> tuple[int, dict, dict]:
        """POST one body (headers as keywords, '_' for '-'); the answer's JSON, from SSE or not."""
        status, got, raw = self.post_raw(body, {k.replace("_", "-"): v for k, v in headers.items()})
        return status, got, json.loads(raw)

    def modern(self, rid, method: str, params: dict | None = None, **headers: str):
        extra = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method, **headers}
        msg = {"jsonrpc": "2.0", "id": rid, "method": method, "params": {**(params or {}), "_meta": META}}
        return self.post(msg, **extra)

    def session(self) -> dict[str, str]:
        """A handshake-era session (initialize + initialized): the headers its requests carry."""
        _, headers, answer = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT})
        assert "result" in answer
        sid = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
        session = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
        status, _, _ = self.post_raw({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        assert status == 202
        return session


@pytest.fixture(scope="module")
def web(sim, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http")
    with HttpServer(write_env_file(tmp / ".env", sim), tmp, TOKEN) as server:
        server.wait_ready()
        yield Http(server)


@pytest.mark.parametrize("body", [
    [{"jsonrpc": "2.0", "id": 1, "method": "ping"}],  # a batch
    {"hello": 1},  # JSON, not JSON-RPC
])
def test_http_body_that_is_not_a_jsonrpc_message_is_invalid_request(web, body):
    """Deviation 5: the SDK answered 400 with -32602 and a pydantic dump of 1-2 KB."""
    status, _, answer = web.post(body)
    assert status == 400
    assert answer["id"] is None and answer["error"]["code"] == -32600
    assert len(answer["error"]["message"]) < 160


def test_http_unsupported_protocol_version_header_names_the_supported_ones(web):
    """Deviation 6: the SDK answered 400 -32602 'params._meta must be an object ...'."""
    status, _, answer = web.post({"jsonrpc": "2.0", "id": 4, "method": "initialize", "params": INIT},
                                 MCP_Protocol_Version="1999-01-01")
    assert status == 400
    error = answer["error"]
    assert answer["id"] == 4 and error["code"] == -32022
    assert "_meta" not in error["message"] and "1999-01-01" in error["message"]
    assert error["data"]["requested"] == "1999-01-01"
    assert {"2025-11-25", MODERN} <= set(error["data"]["supported"])


def test_http_unsupported_version_in_a_2026_envelope_is_still_the_sdks_answer(web):
    """The guard leaves the 2026-07-28 ladder alone: there, supported lists the envelope versions."""
    meta = {**META, "io.modelcontextprotocol/protocolVersion": "v999"}
    msg = {"jsonrpc": "2.0", "id": 5, "method": "server/discover", "params": {"_meta": meta}}
    status, _, answer = web.post(msg, MCP_Protocol_Version="v999", Mcp_Method="server/discover")
    assert status == 400 and answer["error"]["code"] == -32022
    assert answer["error"]["data"] == {"supported": [MODERN], "requested": "v999"}


def test_http_unknown_prompt_is_invalid_params_on_both_eras(web):
    """Deviation 3: code 0 on the handshake era; -32603 and a logged traceback on 2026-07-28."""
    _, _, legacy = web.post({"jsonrpc": "2.0", "id": 6, "method": "prompts/get", "params": {"name": "nope"}},
                            **web.session())
    assert legacy["error"]["code"] == -32602
    status, _, modern = web.modern(7, "prompts/get", {"name": "nope"}, Mcp_Name="nope")
    assert (status, modern["error"]["code"]) == (400, -32602)
    assert "Traceback" not in web.server.log_text()


def test_discover_promises_no_more_than_initialize(web):
    """Deviation 7: discover said listChanged/subscribe true (subscriptions/listen was served, yet no
    list ever changes); initialize said false."""
    _, _, init = web.post({"jsonrpc": "2.0", "id": 8, "method": "initialize", "params": INIT})
    _, _, discover = web.modern(9, "server/discover")
    legacy_caps, modern_caps = init["result"]["capabilities"], discover["result"]["capabilities"]
    assert modern_caps == legacy_caps


def test_discover_names_the_server_in_meta(web):
    """Deviation 7, second half: the serverInfo stamp is there; the suite reads it as missing only
    because its version is empty (deviation 1)."""
    _, _, discover = web.modern(10, "server/discover")
    assert discover["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "zoom"


def test_server_version_is_the_projects(web):
    """Deviation 1: serverInfo.version is the project's, from pyproject.toml."""
    _, _, init = web.post({"jsonrpc": "2.0", "id": 11, "method": "initialize", "params": INIT})
    _, _, discover = web.modern(12, "server/discover")
    assert init["result"]["serverInfo"]["version"] == project_version()
    assert discover["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["version"] == project_version()


def test_capabilities_declare_only_what_is_served(web):
    """Deviation 2: the server now serves prompts and a resource template, so declaring both is true
    (MCPServer would declare them even if it had none: python-sdk #2473)."""
    _, _, init = web.post({"jsonrpc": "2.0", "id": 13, "method": "initialize", "params": INIT})
    caps = init["result"]["capabilities"]
    session = web.session()
    prompts = web.post({"jsonrpc": "2.0", "id": 14, "method": "prompts/list"}, **session)[2]["result"]
    prompts = prompts["prompts"]
    resources = web.post({"jsonrpc": "2.0", "id": 15, "method": "resources/list"}, **session)[2]["result"]
    templates = web.post({"jsonrpc": "2.0", "id": 16, "method": "resources/templates/list"}, **session)[2]
    assert ("prompts" in caps) == bool(prompts)
    assert ("resources" in caps) == bool(resources["resources"] or templates["result"]["resourceTemplates"])


# -- the prompt guard, through the official client (in memory) ---------------------------------------


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def prompt_server() -> MCPServer:
    server = protocol_guard.install(MCPServer("guarded"))

    @server.prompt(name="recap", description="Recap a meeting")
    def recap(meeting_id: str, tone: str = "brief") -> str:
        return f"Recap meeting {meeting_id} ({tone})"

    return server


@pytest.mark.anyio
async def test_prompt_guard_answers_invalid_params_and_lets_good_calls_through(prompt_server):
    async with Client(prompt_server) as client:
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("nope")
        assert (unknown.value.code, unknown.value.message) == (-32602, "Unknown prompt: nope")
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("recap", {"tone": "long"})
        assert missing.value.code == -32602 and "meeting_id" in missing.value.message
        result = await client.get_prompt("recap", {"meeting_id": "85746065432"})
        assert "Recap meeting 85746065432 (brief)" in result.messages[0].content.text
