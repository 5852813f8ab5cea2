"""How Claude Desktop starts an installed `uv` bundle, mirrored for the tests and the measurements.

What the host does, as MCPB's manifest spec and Claude Desktop's own logs show it: it unpacks the
.mcpb into an extension folder (the MCPB library's unpack, which keeps the files' modes), then runs
ITS OWN uv (the manifest's "command" is not used for type "uv") with mcp_config.args, after
substituting ${__dirname} (the extension folder), ${HOME}, ${/} and ${user_config.KEY} (the user's
value, else the setting's default) there and in mcp_config.env, whose variables it adds to the
environment it starts servers with (a GUI app's: HOME, USER, a minimal PATH).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mcp import StdioServerParameters

from bundle import mcpb
from bundle.mcpb import BuildError

_VAR = re.compile(r"\$\{([^}]+)\}")
GUI_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"  # what a macOS app gets from launchd


def unpack(bundle_file: Path, folder: Path) -> Path:
    """`mcpb unpack`, as the host unpacks an extension."""
    res = mcpb.run("unpack", str(bundle_file), str(folder), capture=True)
    if res.returncode != 0:
        raise BuildError(f"mcpb unpack failed: {res.stdout}{res.stderr}")
    return folder


def substitute(text: str, folder: Path, home: Path, values: dict) -> str:
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name == "__dirname":
            return str(folder)
        if name == "HOME":
            return str(home)
        if name in ("/", "pathSeparator"):
            return os.sep
        if name.startswith("user_config.") and name[len("user_config."):] in values:
            return str(values[name[len("user_config."):]])
        return m.group(0)

    return _VAR.sub(one, text)


def server_params(folder: Path, uv: str, home: Path, user_config: dict, *, extra_env: dict | None = None,
                  cwd: Path | None = None) -> StdioServerParameters:
    """The server's launch as the host makes it; extra_env: what a test adds to the host's own
    environment (the simulator's URLs, uv's cache), never a user setting."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    values = {key: opt["default"] for key, opt in manifest.get("user_config", {}).items() if "default" in opt}
    values.update(user_config)
    config = manifest["server"]["mcp_config"]
    env = {"HOME": str(home), "USER": os.environ.get("USER", "user"), "PATH": GUI_PATH, "LANG": "C.UTF-8"}
    env.update(extra_env or {})
    env.update({k: substitute(v, folder, home, values) for k, v in config.get("env", {}).items()})
    return StdioServerParameters(
        command=uv,  # the host's own uv, whatever "command" says
        args=[substitute(a, folder, home, values) for a in config.get("args", [])],
        env=env,
        cwd=str(cwd or home),
    )
