"""Usage: python -m conformance [-v] [--leg NAME]... (make conformance)

Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server mode) against
./run.sh over streamable HTTP, on the Zoom simulator, behind a loopback proxy that adds the bearer
token; judges each leg against its expected-failures file in conformance/. Then the MCP Inspector's
CLI (@modelcontextprotocol/inspector) calls every tool once (conformance/inspector.py).

  -v, --verbose   list every scenario with its verdict (and the reason for each expected failure)
  --leg NAME      run only this leg (default, 2026-07-28); may be repeated
  -h, --help      this text

Installs the pinned suite and Node 22 from npm into .cache/conformance on first use. Results and
logs: .cache/conformance/runs/. Exit codes: 0 as expected; 1 an unexpected failure or a stale
expected-failures entry; 2 set-up or usage problem.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

from conformance import inspector, suite
from conformance.proxy import BearerProxy
from conformance.stack import HttpServer
from zoomsim.control import SimProcess, write_env_file

RUNS = suite.CACHE / "runs"


def say(text: str = "") -> None:
    print(text, flush=True)


def report(leg: suite.Leg, verdict: suite.Verdict, expected: dict[str, str], verbose: bool) -> None:
    say(f"leg {leg.name} ({leg.about})")
    say(f"  {verdict.ran} scenarios: {len(verdict.passed)} passed, {len(verdict.expected)} expected to fail, "
        f"{len(verdict.unexpected)} unexpected failures; {len(verdict.stale)} stale entries "
        f"[{(RUNS / leg.name / 'suite.log').relative_to(suite.ROOT)}]")
    if verbose:
        for name in verdict.passed:
            say(f"    ✓ {name}")
        for entries in verdict.expected.values():
            for entry in entries:
                say(f"    ~ {entry}: {expected[entry]}")
    else:
        say(f"  passed: {', '.join(verdict.passed) or '-'}")
    for name, checks in verdict.unexpected.items():
        for check in checks:
            if isinstance(check, str):
                continue
            why = (check.get("errorMessage") or check.get("description") or "").splitlines()[0][:200]
            say(f"  ✗ UNEXPECTED {name}:{check.get('id')} ({check.get('status')}): {why}")
    for entry, why in verdict.stale.items():
        say(f"  ✓ STALE {entry} in {leg.expected_file.name}: {why}; remove the entry")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", add_help=False)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--leg", action="append", choices=[leg.name for leg in suite.LEGS])
    parser.add_argument("-h", "--help", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return 2
    if args.help:
        say(__doc__.strip())
        return 0
    legs = [leg for leg in suite.LEGS if not args.leg or leg.name in args.leg]
    started = time.monotonic()
    try:
        expected = {leg.name: suite.load_expected(leg.expected_file) for leg in legs}
        tools = suite.install(log=say)
        say(f"conformance: {suite.PACKAGE} {tools.suite_version} on Node {tools.node_version}")
        stdio = suite.stdio_mode(tools)
        if stdio is None:
            say("conformance: stdio: none - the suite's server mode takes only --url (streamable HTTP); "
                "stdio is checked by tests/test_protocol.py")
        else:
            say(f"conformance: stdio: the suite now has {stdio}: add a stdio leg (conformance/suite.py)")
        verdicts, inspector_failures = run_all(tools, legs, expected, args.verbose)
    except (suite.SetupError, RuntimeError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    passed = sum(len(v.passed) for v in verdicts)
    expected_n = sum(len(v.expected) for v in verdicts)
    problems = sum(len(v.unexpected) + len(v.stale) for v in verdicts) + inspector_failures
    say(f"conformance: {expected_n} scenario runs expected to fail (conformance/expected-failures*.yml); "
        f"{time.monotonic() - started:.0f} s")
    say(f"conformance: {passed} passed, {problems} failed")
    return 0 if problems == 0 else 1


def run_all(tools: suite.Tools, legs, expected, verbose: bool) -> list[suite.Verdict]:
    token = secrets.token_urlsafe(32)  # the server's ZOOM_MCP_HTTP_TOKEN; only the proxy knows it
    RUNS.mkdir(parents=True, exist_ok=True)
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="zoom-mcp-conformance-") as tmp, \
            SimProcess(env={"PYTHONPATH": str(suite.ROOT)}) as sim:
        workdir = Path(tmp)
        env_file = write_env_file(workdir / ".env", sim)
        with HttpServer(env_file, workdir, token, log_path=RUNS / "server.log") as server, \
                BearerProxy(server.port, token) as proxy:
            server.wait_ready()
            log = (RUNS / "server.log").relative_to(suite.ROOT)
            say(f"conformance: ./run.sh on {server.url} (log {log}), tested through the bearer proxy at "
                f"{proxy.url()}")
            for leg in legs:
                results = suite.run_leg(tools, proxy.url(), leg, RUNS / leg.name)
                verdict = suite.judge(results, expected[leg.name])
                report(leg, verdict, expected[leg.name], verbose)
                verdicts.append(verdict)
            inspected = every_tool_through_the_inspector(tools, proxy.url(), verbose)
    return verdicts, inspected


def every_tool_through_the_inspector(tools: suite.Tools, url: str, verbose: bool) -> int:
    """The MCP Inspector's CLI calls each tool once; returns how many calls failed."""
    from zoom_tools import TOOLS

    outcomes = inspector.call_every_tool(inspector.Inspector(tools.node, suite.CACHE, url),
                                         {registered.fn.__name__ for registered in TOOLS})
    failed = [o for o in outcomes if not o.ok]
    say(f"inspector ({inspector.PACKAGE} {tools.inspector_version} CLI): {len(outcomes) - len(failed)} of "
        f"{len(outcomes)} calls answered (tools/list, then every tool once)")
    for o in outcomes:
        if verbose or not o.ok:
            say(f"    {'✓' if o.ok else '✗ FAILED'} {o.tool}: {o.detail}")
    return len(failed)


if __name__ == "__main__":
    sys.exit(main())
