"""Drive a simulator running in another process: ``SimProcess`` starts ``python -m zoomsim`` and
``SimControl`` speaks the /_sim/ control API. Both expose the same helpers as ``ZoomSimulator``
(add_fault, clear_faults, requests, clear_requests, stats, revoke_all, set_token_ttl, set_latency,
set_rate_limits, config, seed_meetings, seed_recordings, issue_token), so a test can use either kind of
simulator alike. Stdlib only (urllib).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

from zoomsim.server import DEFAULT_ACCOUNT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

BANNER = "Zoom simulator listening on "


def write_env_file(path, sim) -> object:
    """A .env (mode 0600, written whole) holding `sim`'s credentials and URLs and no token yet, for
    the kit and the server; `sim` is a ZoomSimulator or a SimControl. Returns the path."""
    from pathlib import Path

    path = Path(path)
    text = (
        f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
        f"ZOOM_CLIENT_SECRET={sim.client_secret}\nZOOM_ACCESS_TOKEN=\nZOOM_TOKEN_EXPIRES_AT=\n"
        f"ZOOM_OAUTH_URL={sim.oauth_url}\nZOOM_API_BASE_URL={sim.api_url}\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return path


class SimControl:
    """Client for the control endpoints of the simulator at ``url``."""

    def __init__(self, url: str, account_id: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None):
        self.url = url.rstrip("/")
        self.account_id = account_id or os.environ.get("ZOOMSIM_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID
        self.client_id = client_id or os.environ.get("ZOOMSIM_CLIENT_ID") or DEFAULT_CLIENT_ID
        self.client_secret = (client_secret or os.environ.get("ZOOMSIM_CLIENT_SECRET")
                              or DEFAULT_CLIENT_SECRET)

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or 80

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310 - loopback URL
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback URL
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("error", err.reason)
            raise ValueError(f"{method} {path}: {detail}") from None

    def add_fault(self, target: str = "api", mode: str = "error", **options) -> int:
        return self._call("POST", "/_sim/faults", {"target": target, "mode": mode, **options})["id"]

    def faults(self) -> list[dict]:
        return self._call("GET", "/_sim/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sim/faults")

    def requests(self, route: str | None = None, method: str | None = None) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in (("route", route), ("method", method)) if v)
        return self._call("GET", "/_sim/requests" + (f"?{query}" if query else ""))["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_sim/requests")

    def stats(self) -> dict:
        return self._call("GET", "/_sim/stats")

    def revoke_all(self) -> None:
        self._call("POST", "/_sim/revoke")

    def set_token_ttl(self, seconds: int) -> None:
        self._call("POST", "/_sim/config", {"token_ttl": seconds})

    def set_latency(self, ms: float, jitter_ms: float | None = None, seed: int | None = None) -> None:
        payload = {"latency_ms": ms}
        if jitter_ms is not None:
            payload["latency_jitter_ms"] = jitter_ms
        if seed is not None:
            payload["seed"] = seed
        self._call("POST", "/_sim/config", payload)

    def set_rate_limits(self, plan: str | None) -> None:
        self._call("POST", "/_sim/config", {"rate_limits": plan})

    def config(self) -> dict:
        return self._call("GET", "/_sim/config")

    def seed_meetings(self, user_id: str = "me", n: int = 1) -> int:
        return self._call("POST", "/_sim/seed", {"user_id": user_id, "meetings": n})["meetings"]

    def seed_recordings(self, user_id: str = "me", n: int = 1, days: int = 90) -> int:
        return self._call("POST", "/_sim/seed", {"user_id": user_id, "recordings": n,
                                                 "days": days})["recordings"]

    def issue_token(self) -> tuple[str, int]:
        answer = self._call("POST", "/_sim/token")
        return answer["access_token"], answer["expires_in"]


class SimProcess(SimControl):
    """``python -m zoomsim --port 0`` in a subprocess; the URL comes from its first stdout line."""

    def __init__(self, *args: str, env: dict | None = None, python: str = sys.executable,
                 timeout: float = 15.0):
        self.proc = subprocess.Popen([python, "-m", "zoomsim", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        line = self._first_line(timeout)
        if not line.startswith(BANNER):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
            raise RuntimeError(f"zoomsim did not start: {line!r} {err.strip()}")
        merged = {**os.environ, **(env or {})}
        super().__init__(line[len(BANNER):].strip(), merged.get("ZOOMSIM_ACCOUNT_ID"),
                         merged.get("ZOOMSIM_CLIENT_ID"), merged.get("ZOOMSIM_CLIENT_SECRET"))

    def _first_line(self, timeout: float) -> str:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not box:
            self.proc.kill()
            raise RuntimeError(f"zoomsim printed no URL within {timeout} s")
        return box[0]

    def stop(self) -> int:
        """SIGTERM, wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return self.proc.returncode

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
