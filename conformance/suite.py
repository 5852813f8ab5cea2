"""The official MCP conformance suite: pinned install, one run per leg, and the verdict against the
expected-failures files kept beside this module.

Verdict (per leg): a scenario passes when none of its checks is a FAILURE or a WARNING (the suite
counts both as failing). A failing check must be covered by an entry of the leg's expected-failures
file: ``<scenario>`` covers the whole scenario, ``<scenario>:<check-id>`` one check. An entry that
did not fail in this run - it passes now, was skipped, or names a scenario or check that did not
run - is stale, and fails the run as an unexpected failure does. Every entry carries a one-line
reason after ``#``. The files use the suite's own format, so they also work with its
``--expected-failures`` option by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / ".cache" / "conformance"
PACKAGE = "@modelcontextprotocol/conformance"
MIN_NODE = 22


class SetupError(Exception):
    """Something to fix before the suite can run (exit 2)."""


@dataclass(frozen=True)
class Leg:
    name: str
    args: tuple[str, ...]
    expected_file: Path
    about: str


LEGS = (
    Leg("default", ("--suite", "all"), HERE / "expected-failures.yml",
        "--suite all: each scenario at the spec version it was written for (2025-11-25; 2026-07-28 "
        "for the scenarios only it has; extensions included)"),
    Leg("2026-07-28", ("--suite", "all", "--spec-version", "2026-07-28"),
        HERE / "expected-failures.2026-07-28.yml",
        "--suite all --spec-version 2026-07-28: every scenario 2026-07-28 has, on its stateless wire"),
)


# -- installation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    node: Path
    cli: Path
    suite_version: str
    node_version: str
    inspector_version: str = ""

    def command(self, *args: str) -> list[str]:
        return [str(self.node), str(self.cli), *args]


def _node_version(node: Path | str) -> tuple[int, str] | None:
    try:
        out = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    m = re.match(r"v(\d+)\.", out.strip())
    return (int(m.group(1)), out.strip()) if m else None


def install(cache: Path = CACHE, log=print) -> Tools:
    """The pinned suite and Node (conformance/package-lock.json) in `cache`, installed when the lock
    changed; the Node from npm where it has one for this platform, else a Node >= 22 on PATH."""
    manifest = [HERE / "package.json", HERE / "package-lock.json"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in manifest)).hexdigest()[:16]
    stamp = cache / f".stamp-{digest}"
    if not stamp.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SetupError("npm is not installed; it installs the suite and Node 22 into .cache/. Install "
                             "it: sudo apt-get install -y npm (Debian/Ubuntu) or brew install node (macOS)")
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(".stamp-*"):
            old.unlink()
        for path in manifest:
            shutil.copyfile(path, cache / path.name)
        where = cache.relative_to(ROOT) if cache.is_relative_to(ROOT) else cache
        log(f"conformance: installing {PACKAGE} and Node {MIN_NODE} (pinned) into {where} ...")
        with open(cache / "npm.log", "w") as out:
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=cache,
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            tail = (cache / "npm.log").read_text(errors="replace").strip().splitlines()[-15:]
            raise SetupError(f"npm ci failed (exit {done.returncode}):\n    " + "\n    ".join(tail))
        stamp.touch()
    cli = cache / "node_modules" / PACKAGE / "dist" / "index.js"
    if not cli.is_file():
        raise SetupError(f"{cli} is missing: remove {cache} and run again")
    suite_version = json.loads((cli.parent.parent / "package.json").read_text())["version"]
    inspector_json = cache / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
    inspector_version = json.loads(inspector_json.read_text())["version"] if inspector_json.is_file() else ""
    for node in (cache / "node_modules" / ".bin" / "node", shutil.which("node")):
        found = _node_version(node) if node and Path(node).exists() else None
        if found and found[0] >= MIN_NODE:
            return Tools(Path(node), cli, suite_version, found[1], inspector_version)
    raise SetupError(f"no Node >= {MIN_NODE}: npm has no pinned build for this platform (conformance/"
                     f"package.json); install Node {MIN_NODE} (e.g. brew install node@{MIN_NODE})")


def stdio_mode(tools: Tools) -> str | None:
    """The suite's option for testing a server over stdio, if its server mode has one."""
    out = subprocess.run(tools.command("server", "--help"), capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"^\s+(--(?:command|stdio)\b\S*)", out, re.M)
    return m.group(1) if m else None


# -- expected failures ----------------------------------------------------------------------------

_ENTRY = re.compile(r"^\s+-\s+([A-Za-z0-9_./-]+(?::[A-Za-z0-9_./-]+)?)\s+#\s*(\S.*)$")
_SECTION = re.compile(r"^([a-z]+):\s*(#.*)?$")


def load_expected(path: Path) -> dict[str, str]:
    """The `server:` entries of an expected-failures file, each with its reason."""
    entries: dict[str, str] = {}
    section = None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        where = f"{path.name}:{n}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := _SECTION.match(line):
            section = m.group(1)
            continue
        m = _ENTRY.match(line)
        if m is None:
            raise SetupError(f"{where}: expected '  - <scenario>[:<check-id>]  # <one-line reason>', "
                             f"got {line!r}")
        if section != "server":
            raise SetupError(f"{where}: entries belong under 'server:' (this runner tests the server)")
        entry = m.group(1)
        if entry in entries:
            raise SetupError(f"{where}: {entry} is listed twice")
        entries[entry] = m.group(2).strip()
    for entry in entries:
        if ":" in entry and entry.split(":", 1)[0] in entries:
            raise SetupError(f"{path.name}: {entry} is redundant: its whole scenario is listed")
    return entries


# -- a run ----------------------------------------------------------------------------------------

_RESULT_DIR = re.compile(r"^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")
_SUMMARY_LINE = re.compile(r"^[✓✗] (\S+): \d+ passed, \d+ failed$")


def run_leg(tools: Tools, url: str, leg: Leg, out_dir: Path, timeout: float = 1800) -> dict[str, list[dict]]:
    """Run the suite for one leg; every scenario it ran with its checks. Its log: out_dir/suite.log."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    env = {**os.environ, "PATH": f"{tools.node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "NO_COLOR": "1"}
    log = out_dir / "suite.log"
    with open(log, "w") as out:
        try:
            subprocess.run(tools.command("server", "--url", url, *leg.args, "-o", str(out_dir / "results")),
                           env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                           timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SetupError(f"leg {leg.name}: the suite did not finish within {timeout:.0f} s; "
                             f"see {log}") from None
    text = log.read_text(errors="replace")
    if "=== SUMMARY ===" not in text:
        raise SetupError(f"leg {leg.name}: the suite ended without its summary; see {log}")
    ran = [m.group(1) for line in text.split("=== SUMMARY ===", 1)[1].splitlines()
           if (m := _SUMMARY_LINE.match(line.strip()))]
    found: dict[str, Path] = {}
    for d in (out_dir / "results").iterdir() if (out_dir / "results").is_dir() else ():
        if (m := _RESULT_DIR.match(d.name)) and (d / "checks.json").is_file():
            found[m.group(1)] = d / "checks.json"
    missing = [s for s in ran if s not in found]
    if missing or not ran:
        raise SetupError(f"leg {leg.name}: no checks.json for {missing or 'any scenario'}; see {log}")
    return {s: json.loads(found[s].read_text()) for s in ran}


# -- the verdict ----------------------------------------------------------------------------------

FAILING = ("FAILURE", "WARNING")


@dataclass
class Verdict:
    ran: int = 0  # scenarios run
    passed: list[str] = field(default_factory=list)
    expected: dict[str, list[str]] = field(default_factory=dict)  # scenario -> entries that covered it
    unexpected: dict[str, list[dict]] = field(default_factory=dict)  # scenario -> its uncovered checks
    stale: dict[str, str] = field(default_factory=dict)  # entry -> why it is stale

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.stale


def judge(results: dict[str, list[dict]], expected: dict[str, str]) -> Verdict:
    verdict = Verdict(ran=len(results))
    used: set[str] = set()
    for scenario, checks in results.items():
        failing = [c for c in checks if c.get("status") in FAILING]
        if scenario in expected:
            if failing:
                verdict.expected[scenario] = [scenario]
                used.add(scenario)
            continue
        uncovered, covered = [], []
        for check in failing:
            entry = f"{scenario}:{check.get('id')}"
            (covered if entry in expected else uncovered).append(entry if entry in expected else check)
        used.update(covered)
        if uncovered:
            verdict.unexpected[scenario] = uncovered
        elif covered:
            verdict.expected[scenario] = sorted(set(covered))
        else:
            verdict.passed.append(scenario)
    for entry in expected:
        if entry in used:
            continue
        scenario = entry.split(":", 1)[0]
        if scenario not in results:
            verdict.stale[entry] = "its scenario did not run in this leg"
        elif ":" in entry and not any(c.get("id") == entry.split(":", 1)[1] for c in results[scenario]):
            verdict.stale[entry] = "the scenario emitted no such check"
        else:
            verdict.stale[entry] = "it did not fail: it passes now (or was skipped)"
    return verdict
