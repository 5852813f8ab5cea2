"""The bats suites keep to the rules that make a test fail only for the right reason, on every
platform the kit supports (issues 11 and 14):

- no `! cmd` that is not the last command of its test or function: bash ignores `set -e` for a
  `!` pipeline, so such a line can never fail (write `! cmd || flunk ...` or `run ...`);
- no wall-clock threshold: `$SECONDS` arithmetic and `date +%s%N` (speed belongs in bench/;
  a wait uses wait_until, whose deadline only bounds a hang);
- nothing a Mac lacks (the suites run under macOS's bash 3.2 and BSD tools): setsid, tac,
  timeout, stdbuf, `date +%N`, `date -d`, `sed -i` without a suffix, `readlink -f`, and
  bash 4 features (associative arrays, mapfile, case conversion, |&);
- no skip that hides a missing or broken product file.

The scanner is a few regular expressions over the shell text, not a parser: each rule is also
run on a small bad example below, so that it is known to fire.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BATS_DIR = ROOT / "bats"

BLOCK_START = re.compile(r"^(@test\s.*|[A-Za-z_][\w-]*\s*\(\)\s*)\{\s*(#.*)?$")
BLOCK_END = re.compile(r"^\}\s*$")

NOT_ON_A_MAC = [
    (re.compile(r"(?<![\w./-])setsid(?![\w.-])"), "setsid (Linux-only; new_session in test_helper.bash)"),
    (re.compile(r"(?<![\w./-])tac(?![\w.-])"), "tac (GNU-only)"),
    (re.compile(r"(?<![\w./-])timeout\s+-?\d"), "timeout (GNU-only; bounded in test_helper.bash)"),
    (re.compile(r"(?<![\w./-])stdbuf(?![\w.-])"), "stdbuf (GNU-only)"),
    (re.compile(r"%N"), "date's %N (BSD date prints a plain N)"),
    (re.compile(r"\bdate\s+(-\w*\s+)*(-d|--date)\b"), "date -d (BSD date: -r SECONDS)"),
    (re.compile(r"\bsed\s+(-\w+\s+)*-i\s"), "sed -i without a suffix (BSD sed takes the next word)"),
    (re.compile(r"\breadlink\s+-f\b"), "readlink -f (not on older macOS)"),
    (re.compile(r"\b(declare|local|typeset)\s+-\w*A"), "associative arrays (bash 4)"),
    (re.compile(r"\b(mapfile|readarray)\b"), "mapfile (bash 4)"),
    (re.compile(r"\$\{\w+(,,?|\^\^?)\}"), "case conversion ${x,,} (bash 4)"),
    (re.compile(r"\|&"), "|& (bash 4)"),
]
WALL_CLOCK = [
    (re.compile(r"\$\{?SECONDS\b|\(\(\s*SECONDS\b|\bSECONDS\s*[-+]"),
     "$SECONDS arithmetic (a wall-clock threshold)"),
    (re.compile(r"date\s+\+%s%N"), "date +%s%N (a wall-clock threshold)"),
]
SKIP_HIDES_BREAKAGE = [
    (re.compile(r"KIT_SRC_ROOT[^\n]*\|\|\s*skip\b"), "a skip when a product file is missing (fail instead)"),
    (re.compile(r"\|\|\s*skip\s+\"[^\"]*(does not import|not written yet)"),
     "a skip when product code is broken"),
]


def without_comment(line: str) -> str:
    """LINE up to a `#` that starts a word outside quotes (a shell comment)."""
    quote, escaped = "", False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def code_of(line: str, messages: bool = False) -> str:
    """LINE without its comment, and (MESSAGES) without "double-quoted" text that runs nothing:
    a skip or flunk message may name what it avoids. Code that runs later is single-quoted or
    a $(...) and stays."""
    line = without_comment(line)
    if messages:
        line = re.sub(r'"(\\.|[^"\\$`]|\$(?!\())*"', '""', line)
    return line


def logical_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(first line number, text) of each command line, continuation lines joined, blanks and
    comments left out."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in lines:
        text = raw.strip()
        if pending is None and (not text or text.startswith("#")):
            continue
        pending = (number, text) if pending is None else (pending[0], pending[1] + " " + text)
        if not text.endswith("\\"):
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def vacuous_negations(text: str) -> list[str]:
    """`! cmd` lines that are not the last command of their @test or function, with no
    `|| ...` to act on the result."""
    found = []
    block: list[tuple[int, str]] | None = None
    name = ""
    for number, line in enumerate(text.splitlines(), 1):
        if block is None:
            if BLOCK_START.match(line):
                block, name = [], line.rstrip("{ ")
            continue
        if BLOCK_END.match(line):
            commands = logical_lines(block)
            for first, command in commands[:-1]:
                if re.match(r"!\s", command) and "||" not in code_of(command):
                    found.append(f"line {first} in {name}: {command}")
            block = None
            continue
        block.append((number, line))
    return found


def rule_hits(text: str, rules, messages: bool = False) -> list[str]:
    return [f"line {number}: {why}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), 1)
            for pattern, why in rules if pattern.search(code_of(line, messages))]


def bats_files(pattern: str) -> list[Path]:
    files = sorted(BATS_DIR.glob(pattern))
    assert files, f"no {pattern} in {BATS_DIR}"
    return files


# ---------------------------------------------------------------------- the suites themselves


@pytest.mark.parametrize("path", bats_files("*.bats") + bats_files("*.bash"), ids=lambda p: p.name)
def test_every_negated_command_can_fail(path):
    assert vacuous_negations(path.read_text()) == []


@pytest.mark.parametrize("path", bats_files("*.bats") + bats_files("*.bash"), ids=lambda p: p.name)
def test_nothing_a_mac_lacks(path):
    assert rule_hits(path.read_text(), NOT_ON_A_MAC, messages=True) == []


@pytest.mark.parametrize("path", bats_files("*.bats"), ids=lambda p: p.name)
def test_no_wall_clock_threshold(path):
    # test_helper.bash's wait_until reads $SECONDS for the deadline that bounds a hang; the
    # .bats files themselves never time anything.
    assert rule_hits(path.read_text(), WALL_CLOCK) == []


@pytest.mark.parametrize("path", bats_files("*.bats"), ids=lambda p: p.name)
def test_no_skip_hides_a_missing_or_broken_product_file(path):
    assert rule_hits(path.read_text(), SKIP_HIDES_BREAKAGE) == []


# ---------------------------------------------------------------------- the rules fire


def test_a_negation_that_is_not_last_is_found_and_the_harmless_forms_are_not():
    bad = '@test "x" {\n  run thing\n  ! grep -q open "$LOG"\n  [ "$status" -eq 1 ]\n}\n'
    assert vacuous_negations(bad) == ['line 3 in @test "x": ! grep -q open "$LOG"']
    in_function = 'helper() {\n  ! grep -q a \\\n    "$f"\n  echo done\n}\n'
    assert vacuous_negations(in_function) == ['line 2 in helper(): ! grep -q a \\ "$f"']
    fine = ('@test "y" {\n  ! grep -q a f || flunk "found"\n  run ! false\n  if ! true; then :; fi\n'
            '  ! grep -qx "v  # not a comment" f || flunk "kept"\n'
            '  # ! a comment\n  ! grep -q b f\n}\nlock_held() { # one line\n  ! flock -n f true\n}\n')
    assert vacuous_negations(fine) == []


@pytest.mark.parametrize("line", [
    "  setsid bash -c 'x' &", "  tac \"$UNDO\" | while read -r c; do :; done", "  start=$(date +%s%N)",
    "  timeout 5 cmd", "  t=$(date -d @1 +%s)", "  sed -i 's/a/b/' f", "  p=$(readlink -f x)",
    "  declare -A seen", "  mapfile -t lines <f", "  echo ${name,,}", "  cmd |& tee log",
    '  start="$(date +%s%N)"',
])
def test_each_mac_rule_fires(line):
    assert rule_hits(line, NOT_ON_A_MAC, messages=True), line


@pytest.mark.parametrize("line", [
    "  new_session bash -c 'x' &", "  # tac is GNU-only", '  skip "macOS has no tac"',
    "  sed -i.orig 's/a/b/' f", "  local -a keys", "  python -c 'import os; os.setsid()'", "  n=${#name}",
    "  [ -n \"${x:-}\" ] || :",
])
def test_portable_lines_pass_the_mac_rules(line):
    assert rule_hits(line, NOT_ON_A_MAC, messages=True) == [], line


@pytest.mark.parametrize("line", [
    "  start=$SECONDS", "  [ $((SECONDS - start)) -le 5 ]", "  ms=$((($(date +%s%N) - start) / 1000000))",
    '  [ "$SECONDS" -lt "$end" ] || flunk "slow"',
])
def test_each_wall_clock_rule_fires(line):
    assert rule_hits(line, WALL_CLOCK), line


def test_usage_text_naming_seconds_is_not_a_clock():
    assert rule_hits('  assert_line 0 "Usage: x [-t SECONDS]"', WALL_CLOCK) == []
    assert rule_hits("  export DEMO_SECONDS=5", WALL_CLOCK) == []


def test_each_skip_rule_fires():
    missing = '  [ -f "$KIT_SRC_ROOT/token_monitor.py" ] || skip "not written yet"'
    assert rule_hits(missing, SKIP_HIDES_BREAKAGE)
    assert rule_hits('  py=$(python -c x) || skip "token_monitor does not import: $py"', SKIP_HIDES_BREAKAGE)
    assert rule_hits('  command -v flock >/dev/null || skip "no flock here"', SKIP_HIDES_BREAKAGE) == []
