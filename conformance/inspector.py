"""Every tool called once through the MCP Inspector's CLI (@modelcontextprotocol/inspector, pinned in
conformance/package.json): a second official client, on the lean schemas the model sees (issue 16).
The Inspector turns each `--tool-arg key=value` into the type the tool's input schema names, so a
schema that misleads a client shows up here as a failed call.

The arguments come from the answers of earlier calls (a meeting id from the list, a recording's
UUID, ...), and the simulator's own seed table for the one instance that has an AI summary; the
write tools run in order on a meeting they create. Exit code 0 is an answer, 5 a tool error.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from zoomsim.data import PAST

PACKAGE = "@modelcontextprotocol/inspector"
TOOL_ERROR = 5  # the CLI's exit code when the tool answered isError


@dataclass
class Outcome:
    tool: str
    ok: bool
    detail: str


class Inspector:
    def __init__(self, node: Path, cache: Path, url: str):
        self.node, self.url = node, url
        self.cli = cache / "node_modules" / PACKAGE / "clients" / "launcher" / "build" / "index.js"
        if not self.cli.is_file():
            raise RuntimeError(f"{self.cli} is missing: remove {cache} and run again")

    def run(self, *args: str) -> tuple[int, dict | None, str]:
        cp = subprocess.run([str(self.node), str(self.cli), "--cli", self.url, "--transport", "http", *args],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        try:
            return cp.returncode, json.loads(cp.stdout), cp.stderr
        except ValueError:
            return cp.returncode, None, (cp.stderr or cp.stdout)[-500:]

    def call(self, tool: str, **args) -> dict:
        argv = ["--method", "tools/call", "--tool-name", tool]
        for key, value in args.items():
            argv += ["--tool-arg", f"{key}={value}"]
        code, answer, err = self.run(*argv)
        if code != 0 or answer is None:
            text = " ".join(c.get("text", "") for c in (answer or {}).get("content", []))[:300]
            why = "a tool error" if code == TOOL_ERROR else f"exit {code}"
            raise CallFailed(f"{why}: {text or err.strip()[-300:]}")
        return answer.get("structuredContent") or {}


class CallFailed(Exception):
    pass


def call_every_tool(inspector: Inspector, expected: set[str]) -> list[Outcome]:
    """tools/list, then each tool once; an Outcome per tool (and one for the list itself)."""
    code, listed, err = inspector.run("--method", "tools/list")
    names = {t["name"] for t in (listed or {}).get("tools", [])}
    same = code == 0 and names == expected
    detail = f"{len(names)} tools" if same else f"exit {code}: {sorted(names)} {err}"
    outcomes = [Outcome("tools/list", same, detail)]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    month_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 25 * 86400))
    summarised = next(row[6] for row in PAST if row[9])  # (.., uuid, participants, recorded, summary)
    found: dict = {}

    def step(tool: str, remember=None, **args) -> None:
        try:
            answer = inspector.call(tool, **args)
            if remember:
                found.update(remember(answer))
            outcomes.append(Outcome(tool, True, ", ".join(f"{k}={v}" for k, v in args.items()) or "-"))
        except CallFailed as exc:
            outcomes.append(Outcome(tool, False, str(exc)))

    step("zoom_token_status")
    step("zoom_get_user")
    step("zoom_list_users", page_size=2)
    step("zoom_list_meetings", lambda a: {"meeting": a["meetings"][0]["id"]}, page_size=1)
    step("zoom_get_meeting", meeting_id=found.get("meeting", 1))
    step("zoom_create_meeting", lambda a: {"created": a["id"]}, topic="Inspector check",
         start_time="2030-01-02T15:00:00Z", duration=30, settings='{"waiting_room": true}')
    step("zoom_update_meeting", meeting_id=found.get("created", 1), topic="Inspector check, renamed")
    step("zoom_delete_meeting", meeting_id=found.get("created", 1))
    step("zoom_list_recordings", lambda a: {"recorded": next(m["uuid"] for m in a["meetings"]
                                                              if "/" not in m["uuid"])})
    recorded = found.get("recorded", "-")
    step("zoom_get_meeting_recordings", meeting_id=recorded)
    step("zoom_get_meeting_transcript", meeting_id=recorded)
    step("zoom_list_past_meeting_participants", meeting_id=recorded)
    step("zoom_get_meeting_summary", meeting_id=summarised)
    step("zoom_search_transcripts", query="release")
    step("zoom_recent_attendance", last=2)
    step("zoom_list_webinars", lambda a: {"webinar": a["webinars"][0]["id"]})
    step("zoom_get_webinar", webinar_id=found.get("webinar", 1))
    step("zoom_report_meetings", **{"from": month_ago, "to": today})
    called = {o.tool for o in outcomes}
    outcomes += [Outcome(name, False, "not called: add it to conformance/inspector.py")
                 for name in sorted(expected - called)]
    return outcomes
