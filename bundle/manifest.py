"""manifest.json, generated: nothing in it is typed a second time.

- name, version, description, licence, Python range and links: pyproject.toml;
- tools: the server's own tools/list (the real server, built and listed in memory);
- user_config and the environment it maps to: bundle_mode.SETTINGS, which the server also uses to
  name those settings when something is wrong.

Claude Desktop runs a `uv` bundle with its own uv and the args below: `uv run --frozen --directory
<extension folder> zoom_mcp.py` installs Python and the locked dependencies, then runs the server.
Nothing is written in the extension's folder: the venv and Python's bytecode go to a per-user cache
(UV_PROJECT_ENVIRONMENT, PYTHONPYCACHEPREFIX), --frozen leaves uv.lock as packed, and the token
state goes to the state folder (bundle_mode.state_dir).
"""

from __future__ import annotations

from pathlib import Path

import anyio

import bundle_mode
from bundle.contents import ENTRY_POINT

try:
    import tomllib
except ImportError:  # Python 3.10: pip's copy of the same parser
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_VERSION = "0.4"  # the first with server type "uv"; the newest the pinned CLI (2.1.2) knows
CACHE = "${HOME}/.cache/zoom-mcp"  # uv's own cache is ~/.cache/uv on macOS and Linux alike
ZOOM_PRIVACY = "https://explore.zoom.us/en/privacy/"
URL_FIELDS = {"homepage": "Homepage", "documentation": "Documentation", "support": "Issues"}

LONG_DESCRIPTION = """\
Gives Claude your Zoom account — users, meetings, recordings, transcripts, AI Companion summaries, \
webinars and reports — through a Zoom **Server-to-Server OAuth** app, and keeps its access token alive \
by itself.

**Before you install**: create a Server-to-Server OAuth app in the \
[Zoom App Marketplace](https://marketplace.zoom.us/) (Develop → Build App), give it the scopes you need \
(for example `user:read:admin`, `meeting:read:admin`, `meeting:write:admin`, `cloud_recording:read:admin`, \
`report:read:admin`, `webinar:read:admin`) and activate it. Its **Account ID**, **Client ID** and \
**Client Secret** are the three settings this extension asks for; the secret is kept in your system's \
keychain and is never written to a file.

**Token upkeep**: Zoom's tokens expire after an hour. The extension fetches a new one shortly before \
(\"Refresh ahead\", 5 minutes by default) and keeps only that token, with its expiry, in a private \
folder of its own (macOS: `~/Library/Application Support/zoom-mcp/`; Linux: \
`~/.local/state/zoom-mcp/`). Claude's configuration is never rewritten and Claude never restarts. \
If anything is wrong (missing or rejected credentials, a missing tool), ask Claude to run \
`zoom_token_status`: it says what to change in these settings.

**Requirements**: macOS or Linux with `bash`, `curl` and `jq` (macOS 15 ships jq; older macOS: \
`brew install jq`; Debian/Ubuntu: `sudo apt-get install curl jq`). Claude Desktop installs Python and \
the Python dependencies itself. Windows is not supported (the token kit is bash).

Nothing but Zoom is contacted: `https://zoom.us/oauth/token` and `https://api.zoom.us/v2`.\
"""


def pyproject(root: Path = ROOT) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]


class _NoToken:
    """Enough of the token monitor for listing tools (no call is made)."""

    def get_token(self):
        return None

    def handle_unauthorized(self, bad_token):
        return None

    def status(self):
        return {}


def server_catalogue() -> tuple[list[dict], bool]:
    """name and description of every tool, as the server's tools/list answers them; and whether it
    has prompts (the manifest cannot list those: it would need their text, which the server builds)."""
    from mcp import Client

    import jq_sandbox
    import zoom_mcp
    from zoom_client import ZoomClient

    pool = jq_sandbox.JqPool()
    server = zoom_mcp.create_server(ZoomClient("", _NoToken()), _NoToken(), jq_pool=pool)

    async def listing() -> tuple[list, bool]:
        tools, cursor = [], None
        async with Client(server) as client:
            while True:
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
            prompts = bool((await client.list_prompts()).prompts)
        return tools, prompts

    try:
        tools, prompts = anyio.run(listing)
    finally:
        pool.close()
    return [{"name": t.name, "description": t.description or t.title or t.name} for t in tools], prompts


def user_config() -> dict:
    config = {}
    for s in bundle_mode.SETTINGS:
        entry = {"type": s.type, "title": s.title, "description": s.description, "required": s.required}
        if s.sensitive:
            entry["sensitive"] = True
        for key in ("default", "min", "max"):
            if getattr(s, key) is not None:
                entry[key] = getattr(s, key)
        config[s.key] = entry
    return config


def mcp_config() -> dict:
    env = {bundle_mode.MARK: "1"}
    env.update({s.env: f"${{user_config.{s.key}}}" for s in bundle_mode.SETTINGS})
    env["UV_PROJECT_ENVIRONMENT"] = f"{CACHE}/venv"
    env["PYTHONPYCACHEPREFIX"] = f"{CACHE}/pycache"
    return {
        "command": "uv",  # Claude Desktop runs its own uv with these args
        "args": ["run", "--frozen", "--directory", "${__dirname}", ENTRY_POINT],
        "env": env,
    }


def build(tools: list[dict] | None = None, root: Path = ROOT) -> dict:
    """The manifest; `tools` given (tests) skips listing the server."""
    tools, prompts = server_catalogue() if tools is None else (tools, False)
    project = pyproject(root)
    licence = project.get("license")
    licence = licence.get("text") if isinstance(licence, dict) else licence
    authors = [a["name"] for a in project.get("authors", []) if a.get("name")]
    urls = project.get("urls", {})
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "name": project["name"],
        "display_name": bundle_mode.DISPLAY_NAME,
        "version": project["version"],
        "description": project["description"],
        "long_description": LONG_DESCRIPTION,
        "author": {"name": ", ".join(authors) or f"The {project['name']} authors"},
        "icon": "icon.png",
        "server": {"type": "uv", "entry_point": ENTRY_POINT, "mcp_config": mcp_config()},
        "tools": tools,
        "keywords": ["zoom", "meetings", "recordings", "transcripts", "webinars", "server-to-server oauth"],
        "privacy_policies": [ZOOM_PRIVACY],  # the one outside service it sends your data to
        "compatibility": {
            "platforms": ["darwin", "linux"],  # the kit is bash + curl + jq: no Windows
            "runtimes": {"python": project.get("requires-python", ">=3.10")},
        },
        "user_config": user_config(),
    }
    if prompts:
        manifest["prompts_generated"] = True
    if licence:
        manifest["license"] = licence
    for field, key in URL_FIELDS.items():
        if urls.get(key):
            manifest[field] = urls[key]
    if urls.get("Repository"):
        manifest["repository"] = {"type": "git", "url": urls["Repository"]}
    return manifest
