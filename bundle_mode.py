"""Extension mode: zoom-mcp installed in Claude Desktop from its MCP Bundle (.mcpb), not from a checkout.

Claude Desktop starts zoom_mcp.py itself (through uv) with the user's extension settings in the
environment, and ZOOM_MCP_BUNDLE=1 marks that start. Then:
- the token state (.env with the token pair only) lives in a per-user folder that survives an update
  of the extension, never in the extension's own folder;
- the credentials stay in the environment Claude passes (it keeps the secret in the OS keychain):
  they are never written to disk;
- Claude holds no copy of the token, so the monitor skips the Claude config update and the restart;
- what is wrong is said in terms of the extension's settings, as Claude Desktop shows them.

SETTINGS is the one description of those settings: bundle/manifest.py turns it into the manifest's
user_config and mcp_config.env, and explain() names them by the same titles.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

MARK = "ZOOM_MCP_BUNDLE"  # set to 1 by the manifest's mcp_config.env
DISPLAY_NAME = "Zoom (Server-to-Server OAuth)"  # the manifest's display_name: what Claude lists
SETTINGS_PLACE = f"Claude Desktop → Settings → Extensions → {DISPLAY_NAME} → Configure"
# Claude starts servers with a minimal PATH (perhaps /usr/bin:/bin): run.sh adds these for curl and jq.
EXTRA_PATH = ("/usr/local/bin", "/opt/homebrew/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")
TOOLS = ("bash", "curl", "jq")  # what scripts/get_zoom_token.sh needs
RECOVER = "call zoom_token_status: it says what to change in the extension's settings"  # tool errors


class Setting(NamedTuple):
    key: str  # user_config key
    env: str  # the variable the kit already reads
    type: str  # user_config type
    title: str
    description: str
    required: bool = False
    sensitive: bool = False
    default: int | None = None
    min: int | None = None
    max: int | None = None


_APP = "your Server-to-Server OAuth app in the Zoom App Marketplace (Develop → your app → App Credentials)"
SETTINGS = (
    Setting("account_id", "ZOOM_ACCOUNT_ID", "string", "Account ID", f"The Account ID of {_APP}.",
            required=True),
    Setting("client_id", "ZOOM_CLIENT_ID", "string", "Client ID", f"The Client ID of {_APP}.",
            required=True),
    Setting("client_secret", "ZOOM_CLIENT_SECRET", "string", "Client Secret",
            f"The Client Secret of {_APP}. Kept in your system's keychain; never written to a file.",
            required=True, sensitive=True),
    Setting("display_interval", "ZOOM_TOKEN_DISPLAY_INTERVAL", "number", "Status line interval (seconds)",
            "How often the token's status line is written to this extension's log; 0: only at changes.",
            default=60, min=0, max=86400),
    Setting("refresh_threshold", "ZOOM_AUTO_REFRESH_THRESHOLD", "number", "Refresh ahead (seconds)",
            "How long before the token expires (Zoom's last an hour) a new one is fetched.",
            default=300, min=30, max=1800),
)
CREDENTIALS = SETTINGS[:3]


def active(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get(MARK, "").strip().lower() in ("1", "true", "yes")


def state_dir(environ=None, platform: str = sys.platform) -> Path:
    """Where the token state lives: per user, outside the extension (an update replaces that folder).
    macOS: ~/Library/Application Support/zoom-mcp; elsewhere ${XDG_STATE_HOME:-~/.local/state}/zoom-mcp
    (a relative XDG_STATE_HOME is ignored, as the XDG spec says)."""
    environ = os.environ if environ is None else environ
    home = Path(environ.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "zoom-mcp"
    xdg = environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "state"
    return base / "zoom-mcp"


def _value(environ, name: str) -> str:
    """A setting's value; a placeholder the host left unsubstituted counts as empty."""
    value = (environ.get(name) or "").strip()
    return "" if value.startswith("${user_config.") else value


def prepare(environ=None) -> Path:
    """Make the environment of an extension start what the kit expects; returns the state's .env.

    Creates the state folder (0700), points ZOOM_ENV_FILE at its .env (the scripts write it 0600),
    adds the usual tool folders to PATH, drops unsubstituted placeholders and rounds the two number
    settings to whole seconds (a number field may arrive as "300.0", which the kit would refuse)."""
    environ = os.environ if environ is None else environ
    folder = state_dir(environ)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # also an older folder made under a looser umask
    env_file = folder / ".env"
    environ["ZOOM_ENV_FILE"] = str(env_file)
    parts = [p for p in (environ.get("PATH") or "").split(os.pathsep) if p]
    environ["PATH"] = os.pathsep.join(parts + [p for p in EXTRA_PATH if p not in parts])
    for setting in SETTINGS:
        if setting.env not in environ:
            continue
        value = _value(environ, setting.env)
        if setting.type == "number" and value:
            with contextlib.suppress(ValueError, OverflowError):  # else the monitor says what is wrong
                value = str(round(float(value)))
        if value:
            environ[setting.env] = value
        else:
            environ.pop(setting.env)
    return env_file


def missing_tools(environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
    return [t for t in TOOLS if shutil.which(t, path=environ.get("PATH")) is None]


def _join(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def explain(status: dict, environ=None) -> dict:
    """zoom_token_status's words in extension mode: what is wrong ("problem") and what to change
    ("fix"), naming the settings as Claude shows them; {} when nothing is wrong. Reads the missing
    settings and tools itself, and the last failed refresh from `status`. The kit's own message is
    dropped from last_error (it names files the user never saw)."""
    environ = os.environ if environ is None else environ
    error = status.get("last_error")
    extra: dict = {}
    if error:
        extra["last_error"] = {k: v for k, v in error.items() if k != "message"}
    missing = [s.title for s in CREDENTIALS if not _value(environ, s.env)]
    tools = missing_tools(environ)
    if missing:
        extra["problem"] = f"{_join(missing)} {'is' if len(missing) == 1 else 'are'} not set."
        extra["fix"] = (f"In {SETTINGS_PLACE}, fill in {_join(missing)} (from {_APP}) and save; "
                        "then turn the extension off and on.")
    elif tools:
        extra["problem"] = f"{_join(tools)} {'is' if len(tools) == 1 else 'are'} not installed."
        extra["fix"] = (f"Install {' '.join(tools)} (macOS: brew install {' '.join(tools)}; Debian/Ubuntu: "
                        f"sudo apt-get install {' '.join(tools)}), then turn the extension off and on in "
                        "Claude Desktop → Settings → Extensions.")
    elif error and error.get("exit_code") == 3:
        reason = error.get("message") or "Zoom rejected the credentials"
        extra["problem"] = f"{reason}."
        extra["fix"] = (f"In {SETTINGS_PLACE}, check {_join([s.title for s in CREDENTIALS])}: copy them "
                        f"again from {_APP}, and make sure the app is activated; save, then turn the "
                        "extension off and on.")
    elif error:
        extra["problem"] = (f"The last token request failed ({error.get('message') or 'no reason given'})."
                            if error.get("exit_code") == 1 else
                            f"Getting a token failed: {error.get('message') or 'see the extension log'}.")
        extra["fix"] = ("Nothing to change in the settings if this passes: the extension tries again by "
                        "itself. If it persists, check the network (proxy, VPN, firewall) and Claude "
                        "Desktop's log for this extension.")
    return extra
