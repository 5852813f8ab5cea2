"""The MCP Bundle end to end (issue 17): `make bundle`, then the .mcpb unpacked and started the way
Claude Desktop starts a `uv` bundle (bundle/host.py: its own uv, the manifest's args and env with the
user's settings substituted), driven by the official MCP client against the simulator.

Needs node and npm (the pinned MCPB CLI) and PyPI (uv installs the locked dependencies); CI has
both. What a test adds to the host's environment is not a user setting: the simulator's URLs
(ZOOM_OAUTH_URL, ZOOM_API_BASE_URL, which the kit and the server read from the environment), uv's
cache in the project's .cache (downloaded once, not per test), the Python uv may use (it cannot
download one here), and this machine's TLS and proxy settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from bundle import contents, host
from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".venv" / "bin" / "uv"

pytestmark = pytest.mark.skipif(not (shutil.which("npm") and shutil.which("node")),
                                reason="node and npm are needed for the MCPB CLI (CI installs them)")


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run(["make", "--no-print-directory", "bundle", f"BUNDLE_OUT={out}"], cwd=ROOT,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    files = list(out.iterdir())
    assert [f.name for f in files] == [f"zoom-mcp-{version}.mcpb"], files  # and no leftover .part
    return files[0]


def host_extras(tmp: Path, sim: ZoomSimulator) -> dict[str, str]:
    extra = {
        "ZOOM_OAUTH_URL": sim.oauth_url,
        "ZOOM_API_BASE_URL": sim.api_url,
        "UV_CACHE_DIR": str(ROOT / ".cache" / "uv-tests"),
        "UV_PYTHON": getattr(sys, "_base_executable", sys.executable),
        "UV_PYTHON_DOWNLOADS": "never",
        "NO_PROXY": ",".join(x for x in (os.environ.get("NO_PROXY"), "127.0.0.1", "localhost") if x),
    }
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        if os.environ.get(name):
            extra[name] = os.environ[name]
    return extra


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under folder: kind, mode, size, mtime and content hash."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        seen[path.relative_to(folder).as_posix()] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                                      st.st_size, st.st_mtime_ns, digest)
    return seen


class Launch:
    """The unpacked extension started as the host starts it; its stderr goes to a file."""

    def __init__(self, tmp: Path, bundle_file: Path, sim: ZoomSimulator, settings: dict):
        self.tmp, self.sim = tmp, sim
        self.folder = host.unpack(bundle_file, tmp / "Claude Extensions" / "local.zoom-mcp")
        self.home = tmp / "home"
        self.home.mkdir()
        self.stderr = tmp / "stderr.log"
        self.params = host.server_params(self.folder, str(UV), self.home, settings,
                                         extra_env=host_extras(tmp, sim), cwd=tmp)

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        """The first match of `pattern` in the server's stderr; the deadline only bounds a hang."""
        deadline = time.monotonic() + timeout
        while not (m := re.search(pattern, self.log(), re.M | re.S)):
            assert time.monotonic() < deadline, f"not in stderr within {timeout}s: {pattern}\n{self.log()}"
            time.sleep(0.05)
        return m


async def session(stack: AsyncExitStack, launch: Launch) -> Client:
    errlog = stack.enter_context(open(launch.stderr, "w"))  # noqa: SIM115 - closed by the stack
    return await stack.enter_async_context(Client(stdio_client(launch.params, errlog=errlog)))


def settings_for(sim: ZoomSimulator, **over: str) -> dict[str, str]:
    return {"account_id": sim.account_id, "client_id": sim.client_id, "client_secret": sim.client_secret,
            **over}


# -- the archive ------------------------------------------------------------------------------------


ALLOWED = re.compile(r"(manifest\.json|icon\.png|uv\.lock|pyproject\.toml|README\.md|LICENSE(\.md|\.txt)?"
                     r"|[a-z_]+\.py|zoom_tools/[a-z_]+\.py|scripts/[a-z_]+\.sh|scripts/lib/[a-z_]+\.sh)")


def test_archive_holds_what_the_server_needs_and_nothing_else(bundle_file):
    with zipfile.ZipFile(bundle_file) as z:
        names = z.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        manifest = json.loads(z.read("manifest.json"))
    unexpected = [n for n in names if not ALLOWED.fullmatch(n)]
    assert not unexpected, f"unexpected in the bundle: {unexpected}"
    for banned in ("tests/", "bench/", "zoomsim/", "bundle/", ".venv", ".env", ".git", "dist/", "__pycache__",
                   "demo.py", "run.sh", "requirements"):
        assert not [n for n in names if n.startswith(banned) or f"/{banned}" in n], banned
    assert sorted(names) == sorted([*contents.files(), "manifest.json", "icon.png", "uv.lock"])
    # What the server imports late is there too (the e2e test below calls the tools that need them).
    assert {"token_monitor.py", "bundle_mode.py", "vtt.py", "jq_sandbox.py", "zoom_mcp.py"} <= set(names)
    assert modes["scripts/get_zoom_token.sh"] == 0o755 and modes["scripts/lib/common.sh"] == 0o644
    # The uv type: dependencies from pyproject.toml + uv.lock, nothing bundled; no dev tools.
    assert manifest["server"]["type"] == "uv" and manifest["server"]["entry_point"] == "zoom_mcp.py"
    with zipfile.ZipFile(bundle_file) as z:
        lock = z.read("uv.lock").decode()
        pyproject = z.read("pyproject.toml").decode()
    assert "optional-dependencies" not in pyproject and 'name = "pytest"' not in lock
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    locked = dict(re.findall(r'(?m)^name = "([^"]+)"\nversion = "([^"]+)"', lock))
    for name in ("mcp", "requests", "python-dotenv", "jq", "pydantic"):
        assert locked[name] == pins[name], name  # what the tests ran is what users install


# -- launched as Claude Desktop launches it ---------------------------------------------------------


@pytest.mark.anyio
async def test_unpacked_bundle_runs_like_claude_desktop_runs_it(bundle_file, tmp_path):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        sim.set_token_ttl(302)  # with "Refresh ahead" 300: a refresh 2 s after each fetch
        launch = Launch(tmp_path, bundle_file, sim, settings_for(sim, refresh_threshold="300"))
        before = snapshot(launch.folder)
        manifest = json.loads((launch.folder / "manifest.json").read_text())
        async with AsyncExitStack() as stack:
            client = await session(stack, launch)
            tools = (await client.list_tools()).tools
            assert [t.name for t in tools] == [t["name"] for t in manifest["tools"]]
            assert [t.description for t in tools] == [t["description"] for t in manifest["tools"]]

            user = await client.call_tool("zoom_get_user", {"jq": "{email, id}"})
            assert not user.is_error, user.content[0].text
            assert user.structured_content["email"] and user.structured_content["id"]
            status = await client.call_tool("zoom_token_status", {})
            assert not status.is_error and status.structured_content["state"] in ("expiring", "critical")
            assert "problem" not in status.structured_content
            # A tool that imports late (vtt) and one that downloads with the token.
            # A named range (the seeded meetings lie within 25 days): the default one would take the
            # one-month or the multi-month path by today's date.
            now = time.time()
            recs = await client.call_tool("zoom_list_recordings", {
                "from": time.strftime("%Y-%m-%d", time.gmtime(now - 25 * 86400)),
                "to": time.strftime("%Y-%m-%d", time.gmtime(now)),
                "jq": '[.meetings[] | select(any(.recording_files[]; .file_type == "TRANSCRIPT")) | .uuid]'})
            uuid = next(u for u in recs.structured_content["result"] if "/" not in u)
            transcript = await client.call_tool("zoom_get_meeting_transcript", {"meeting_id": uuid})
            assert not transcript.is_error, transcript.content[0].text
            assert transcript.structured_content["transcript"].startswith("[")

            block = launch.wait_for(r"^⏳ Token expiring soon! Automatically refreshing\.\.\.\n(.*?)^━+$")
            got = block.group(1).splitlines()
            i = got.index("⚙️  Running: update_claude_config.sh")
            assert got[i:i + 5] == [
                "⚙️  Running: update_claude_config.sh",
                "   ↳ Skipped: Claude Desktop runs this server as an extension and holds no copy of the "
                "token to update; the server reads it from its own state folder.",
                "🚀 Running: restart_claude_app.sh",
                "   ↳ Skipped: Claude Desktop has no stale token to reload, and restarting it would stop "
                "this server.",
                "✅ Token refresh complete! New token is now active.",
            ]
            assert got[i - 1].startswith("✅ Token updated: eyJz...")
            # The refreshed token is the one in use.
            assert not (await client.call_tool("zoom_get_user", {"jq": ".id"})).is_error
            assert sim.stats()["token_requests"] >= 2  # the first fetch at start, then the refresh

    log = launch.log()
    assert "running as a Claude Desktop extension" in log
    assert sim.client_secret not in log
    # Nothing written inside the extension's folder (uv's venv and bytecode go to the user's cache).
    assert snapshot(launch.folder) == before
    # The token state: a private folder, its .env holding the token pair and nothing else.
    state = launch.home / ".local" / "state" / "zoom-mcp"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / ".env").stat().st_mode) == 0o600
    keys = [line.split("=", 1)[0] for line in (state / ".env").read_text().splitlines() if line]
    assert keys == ["ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT"]
    # The venv lives in the user's cache; no Claude config was created; the secret is on no disk.
    assert (launch.home / ".cache" / "zoom-mcp" / "venv").is_dir()
    assert not list(launch.tmp.rglob("claude_desktop_config.json"))
    for path in [*launch.home.rglob("*"), *launch.folder.rglob("*")]:
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert sim.client_secret.encode() not in path.read_bytes(), path


@pytest.mark.anyio
@pytest.mark.parametrize("case", ["wrong_secret", "no_secret"])
async def test_bad_credentials_the_server_starts_and_names_the_setting(bundle_file, tmp_path, case):
    with ZoomSimulator(host="127.0.0.1", port=0) as sim:
        secret = "not-the-secret" if case == "wrong_secret" else ""
        launch = Launch(tmp_path, bundle_file, sim, settings_for(sim, client_secret=secret))
        async with AsyncExitStack() as stack:
            client = await session(stack, launch)
            assert len((await client.list_tools()).tools) >= 10  # it started all the same
            call = await client.call_tool("zoom_get_user", {})
            assert call.is_error and "call zoom_token_status" in call.content[0].text
            status = (await client.call_tool("zoom_token_status", {})).structured_content
    assert status["state"] == "missing" and status["consecutive_failures"] == 1
    place = "Claude Desktop → Settings → Extensions → Zoom (Server-to-Server OAuth) → Configure"
    assert status["fix"].startswith(f"In {place}, ")
    if case == "wrong_secret":
        assert status["problem"].startswith("Zoom rejected the credentials (HTTP 4")
        assert "'Account ID', 'Client ID' and 'Client Secret'" in status["fix"]
        assert sim.stats()["token_requests"] == 1  # and no second request right behind it
    else:
        assert status["problem"] == "'Client Secret' is not set."
        assert sim.stats()["token_requests"] == 0
    text = json.dumps(status)
    assert ".env" not in text and str(tmp_path) not in text and "scripts/" not in text


# -- make bundle refuses an invalid manifest ----------------------------------------------------------


def test_make_bundle_fails_when_mcpb_validate_rejects_the_manifest(tmp_path, bundle_file):
    """A copy of the project whose manifest builder writes a manifest_version the CLI does not know:
    make bundle exits non-zero with the CLI's reason, and writes no .mcpb. (bundle_file: the CLI is
    installed.)"""
    copy = tmp_path / "project"
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    for rel in tracked:
        if (ROOT / rel).is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, copy / rel)
    (copy / ".venv").symlink_to(ROOT / ".venv")  # set up already: the stamp matches the same locks
    (copy / ".cache").mkdir()
    (copy / ".cache" / "mcpb").symlink_to(ROOT / ".cache" / "mcpb")
    builder = copy / "bundle" / "manifest.py"
    text = builder.read_text()
    assert 'MANIFEST_VERSION = "0.4"' in text
    builder.write_text(text.replace('MANIFEST_VERSION = "0.4"', 'MANIFEST_VERSION = "9.9"'))
    res = subprocess.run(["make", "--no-print-directory", "bundle"], cwd=copy, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "Unrecognized or unsupported manifest version" in res.stdout
    assert "ERROR: mcpb validate rejected" in res.stderr
    assert not list(copy.rglob("*.mcpb*"))
