"""make conformance's verdict (conformance/suite.py): the expected-failures files and the judge.

The suite itself runs in `make conformance` (it needs Node and npm); here a stand-in CLI writes the
suite's output format, so parsing and judging are checked without them.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from conformance import suite


def check(cid: str, status: str = "SUCCESS") -> dict:
    return {"id": cid, "status": status, "errorMessage": None if status == "SUCCESS" else "why"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expected.yml"
    path.write_text(textwrap.dedent(text))
    return path


# -- the files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("leg", suite.LEGS, ids=lambda leg: leg.name)
def test_the_committed_files_parse_and_every_entry_has_a_reason(leg):
    entries = suite.load_expected(leg.expected_file)
    assert entries
    assert all(len(reason) >= 10 for reason in entries.values())


def test_entries_and_reasons_are_read(tmp_path):
    path = write(tmp_path, """\
        # a comment
        server:
          # a section comment
          - tools-call-image  # needs the reference server's test_image_content tool
          - server-stateless:sep-2575-x  # one check only
        """)
    assert suite.load_expected(path) == {
        "tools-call-image": "needs the reference server's test_image_content tool",
        "server-stateless:sep-2575-x": "one check only",
    }


@pytest.mark.parametrize(("text", "message"), [
    ("server:\n  - tools-call-image\n", "one-line reason"),
    ("server:\n  - tools-call-image  #\n", "one-line reason"),
    ("server:\n  - a  # x\n  - a  # y\n", "listed twice"),
    ("server:\n  - a  # x\n  - a:b  # y\n", "redundant"),
    ("client:\n  - a  # x\n", "under 'server:'"),
    ("server:\n  - a: b  # a mapping, not an entry\n", "one-line reason"),
])
def test_a_malformed_file_is_refused_with_its_line(tmp_path, text, message):
    with pytest.raises(suite.SetupError, match=message):
        suite.load_expected(write(tmp_path, text))


# -- the judge --------------------------------------------------------------------------------------


def test_clean_scenarios_pass_and_covered_failures_are_expected():
    results = {
        "ping": [check("ping")],
        "tools-call-image": [check("tools-call-image", "FAILURE"), check("wire-schema-valid")],
        "server-stateless": [check("a"), check("b", "WARNING"), check("c", "SKIPPED")],
    }
    verdict = suite.judge(results, {"tools-call-image": "r", "server-stateless:b": "r"})
    assert verdict.ok and verdict.ran == 3
    assert verdict.passed == ["ping"]
    assert verdict.expected == {
        "tools-call-image": ["tools-call-image"], "server-stateless": ["server-stateless:b"],
    }


def test_a_failure_outside_the_file_fails_the_run_warnings_included():
    results = {"tools-list": [check("tools-list", "FAILURE")], "caching": [check("x", "WARNING")],
               "server-stateless": [check("b", "FAILURE"), check("d", "FAILURE")]}
    verdict = suite.judge(results, {"server-stateless:b": "r"})
    assert not verdict.ok
    assert set(verdict.unexpected) == {"tools-list", "caching", "server-stateless"}
    assert [c["id"] for c in verdict.unexpected["server-stateless"] if isinstance(c, dict)] == ["d"]


@pytest.mark.parametrize(("results", "entry", "why"), [
    ({"tools-call-image": [check("tools-call-image")]}, "tools-call-image", "passes now"),
    ({"s": [check("b")]}, "s:b", "passes now"),
    ({"s": [check("b", "SKIPPED")]}, "s:b", "passes now (or was skipped)"),
    ({"s": [check("a")]}, "s:b", "no such check"),
    ({"ping": [check("ping")]}, "logging-set-level", "did not run"),
])
def test_an_entry_that_did_not_fail_is_stale(results, entry, why):
    verdict = suite.judge(results, {entry: "reason"})
    assert not verdict.ok
    assert why in verdict.stale[entry]


# -- reading a run (a stand-in for the suite's CLI) --------------------------------------------------

FAKE_CLI = """\
import json, os, sys
args = sys.argv[1:]
out = args[args.index("-o") + 1]
runs = {"ping": [{"id": "ping", "status": "SUCCESS"}],
        "tools-call-image": [{"id": "tools-call-image", "status": "FAILURE"}]}
if os.environ.get("FAKE_LOSE"):
    runs.pop("ping")
for name, checks in runs.items():
    d = os.path.join(out, f"server-{name}-2026-12-01T10-00-00-000Z")
    os.makedirs(d)
    with open(os.path.join(d, "checks.json"), "w") as f:
        json.dump(checks, f)
if not os.environ.get("FAKE_CRASH"):
    print("=== SUMMARY ===")
    print("✓ ping: 1 passed, 0 failed")
    print("✗ tools-call-image: 0 passed, 1 failed")
    print("Total: 1 passed, 1 failed")
sys.exit(1)
"""


@pytest.fixture
def fake_tools(tmp_path):
    cli = tmp_path / "fake_cli.py"
    cli.write_text(FAKE_CLI)
    return suite.Tools(node=Path(sys.executable), cli=cli, suite_version="0", node_version="v0")


def test_a_run_yields_every_scenario_of_the_summary_with_its_checks(fake_tools, tmp_path):
    results = suite.run_leg(fake_tools, "http://127.0.0.1:1/mcp", suite.LEGS[0], tmp_path / "run")
    assert results == {"ping": [{"id": "ping", "status": "SUCCESS"}],
                       "tools-call-image": [{"id": "tools-call-image", "status": "FAILURE"}]}
    assert "=== SUMMARY ===" in (tmp_path / "run" / "suite.log").read_text()


@pytest.mark.parametrize(("env", "message"), [
    ("FAKE_CRASH", "without its summary"), ("FAKE_LOSE", "no checks.json"),
])
def test_a_run_that_lost_results_is_a_setup_error(fake_tools, tmp_path, monkeypatch, env, message):
    monkeypatch.setenv(env, "1")
    with pytest.raises(suite.SetupError, match=message):
        suite.run_leg(fake_tools, "http://127.0.0.1:1/mcp", suite.LEGS[0], tmp_path / "run")
