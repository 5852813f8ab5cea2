"""A small mutation check: apply each mutation of dev/mutations.py alone, run the tests it names,
put the file back, and say whether the tests noticed (killed) or not (survived).

Usage: python dev/mutate.py [--list] [--no-baseline] [--timeout SECONDS] [NAME...]

NAME runs only those mutations (all by default). First the named tests run once on the code as it
is (--no-baseline skips that): a mutation "killed" by a test that fails anyway proves nothing. A run
that outlasts --timeout (600 s) counts as killed (a mutant that hangs is noticed by pytest's and
bats' own limits too) and says so. The tests' output of each run is in .cache/mutate/NAME.log.
The file is restored after each mutation, also on Ctrl-C or SIGTERM; a run killed outright leaves
a journal (.cache/mutate/restore.json) from which the next run restores the file before anything
else. Compiled bytecode of a mutated module is removed before and after its run, so no process,
child processes included, runs a stale one.

Exit codes: 0 every mutation killed, 1 one or more survived or were stale (their original text is
not in the file exactly once), 2 usage error or the baseline failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dev"))

from mutations import MUTATIONS, Mutation  # noqa: E402 - needs the path above

JOURNAL = ROOT / ".cache" / "mutate" / "restore.json"
LOGS = ROOT / ".cache" / "mutate"  # each run's test output: <name>.log, baseline.log
BIN = Path(sys.executable).parent  # the venv's pytest and bats


class Stopped(Exception):
    """SIGTERM: leave as Ctrl-C does, through every finally."""


def command(spec: str) -> list[str]:
    """A test spec of dev/mutations.py as an argv."""
    words = shlex.split(spec)
    if words[0].startswith("bats/"):
        return [str(BIN / "bats"), *words[1:], str(ROOT / words[0])]
    return [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *words]


def run_tests(specs: tuple[str, ...], timeout: float, log: Path) -> tuple[str, float]:
    """'passed', 'failed' or 'timeout', and the seconds it took; the tests' output goes to LOG."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        return _run_tests(specs, timeout, out, started)


def _run_tests(specs, timeout, out, started) -> tuple[str, float]:
    for spec in specs:
        left = timeout - (time.monotonic() - started)
        out.write(f"$ {spec}\n")
        out.flush()
        proc = subprocess.Popen(command(spec), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if proc.poll() is None or code is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if code is None:
            return "timeout", time.monotonic() - started
        if code != 0:
            return "failed", time.monotonic() - started
    return "passed", time.monotonic() - started


def drop_bytecode(path: Path) -> None:
    if path.suffix == ".py":
        for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            pyc.unlink(missing_ok=True)


def write_atomically(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.mutate-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def restore_from_journal() -> None:
    """A run killed outright (kill -9) left a mutated file: put the original back first."""
    if not JOURNAL.exists():
        return
    entry = json.loads(JOURNAL.read_text(encoding="utf-8"))
    path = ROOT / entry["file"]
    write_atomically(path, entry["text"], entry["mode"])
    drop_bytecode(path)
    JOURNAL.unlink()
    print(f"restored {entry['file']} from the journal of an interrupted run", file=sys.stderr)


def apply_and_test(m: Mutation, timeout: float) -> tuple[str, float]:
    path = ROOT / m.file
    text = path.read_text(encoding="utf-8")
    if text.count(m.original) != 1:
        return "stale", 0.0
    mode = path.stat().st_mode & 0o7777
    JOURNAL.parent.mkdir(parents=True, exist_ok=True)
    JOURNAL.write_text(json.dumps({"file": m.file, "text": text, "mode": mode}), encoding="utf-8")
    try:
        write_atomically(path, text.replace(m.original, m.replacement), mode)
        drop_bytecode(path)
        outcome, seconds = run_tests(m.tests, timeout, LOGS / f"{m.name}.log")
    finally:
        write_atomically(path, text, mode)
        drop_bytecode(path)
        JOURNAL.unlink(missing_ok=True)
    return {"failed": "killed", "timeout": "killed (timeout)", "passed": "SURVIVED"}[outcome], seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev/mutate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run on the unmutated code")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutation (600)")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTATIONS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"ERROR: unknown mutation(s): {', '.join(unknown)} (--list names them)", file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.names] if args.names else MUTATIONS
    if args.list:
        for m in chosen:
            print(f"{m.name:30} {m.file}: {m.why}")
        return 0

    def on_sigterm(signum, frame):
        raise Stopped

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        restore_from_journal()
        if not args.no_baseline:
            specs = tuple(dict.fromkeys(spec for m in chosen for spec in m.tests))
            print(f"baseline: {len(specs)} test runs on the unmutated code ...", flush=True)
            outcome, seconds = run_tests(specs, args.timeout * 2, LOGS / "baseline.log")
            if outcome != "passed":
                print(f"ERROR: the tests fail without any mutation ({outcome} after {seconds:.0f} s; "
                      f"see {LOGS / 'baseline.log'}): fix them first", file=sys.stderr)
                return 2
        print("| # | mutation | file | result | s |\n|---|---|---|---|---|", flush=True)
        bad = 0
        for i, m in enumerate(chosen, 1):
            result, seconds = apply_and_test(m, args.timeout)
            bad += not result.startswith("killed")
            print(f"| {i} | {m.name} | {m.file} | {result} | {seconds:.0f} |", flush=True)
    except (KeyboardInterrupt, Stopped):
        print("stopped; the file under mutation was restored", file=sys.stderr)
        return 130
    killed = len(chosen) - bad
    print(f"{killed} of {len(chosen)} mutations killed" + (f", {bad} survived or stale" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
