"""The real server over streamable HTTP (./run.sh, ZOOM_MCP_TRANSPORT=http) against a Zoom simulator,
for make conformance and for the raw-protocol tests.

Everything stays on 127.0.0.1 and in one temporary folder: the .env (mode 0600), the Claude config
(ZOOM_RESTART_CLAUDE=0, so nothing is restarted) and the server's log. The bearer token for the HTTP
transport goes to the server in its environment (ZOOM_MCP_HTTP_TOKEN), never on a command line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "run.sh"

# Passed through from the caller's environment; every ZOOM_*/CLAUDE_* setting is ours alone, so a
# developer's real credentials or token never reach the server under test.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SHELL", "USER", "LOGNAME", "TERM")


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(env_file: Path, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _INHERITED}
    env.update(
        ZOOM_ENV_FILE=str(env_file),
        CLAUDE_CONFIG_FILE=str(workdir / "claude_desktop_config.json"),
        ZOOM_RESTART_CLAUDE="0",
        ZOOM_TOKEN_DISPLAY_INTERVAL="0",
        ZOOM_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class HttpServer:
    """./run.sh serving streamable HTTP on a free loopback port; stderr goes to `log_path`."""

    def __init__(self, env_file: Path, workdir: Path, token: str, log_path: Path | None = None,
                 **extra_env: str):
        self.port = free_port()
        self.token = token
        self.log_path = log_path or workdir / "server.log"
        env = server_env(env_file, workdir, ZOOM_MCP_TRANSPORT="http", ZOOM_MCP_PORT=str(self.port),
                         ZOOM_MCP_HTTP_TOKEN=token, **extra_env)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([str(RUN_SH)], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def wait_ready(self, deadline: float = 60.0) -> HttpServer:
        """Until the port accepts connections (uvicorn binds only after the app's start-up), the
        process exits, or `deadline` seconds pass (a bound on a hang, not a pace)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not listen on port {self.port} within {deadline:.0f} s; "
                           f"see {self.log_path}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM to the whole process group (run.sh execs the server), then SIGKILL after 10 s."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
