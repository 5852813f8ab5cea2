"""The Python tests keep to the rules that make a test fail only for the right reason (issue 11);
tests/test_test_hygiene.py does the same for the bats suites.

- No wall-clock threshold: an assert on a difference of time.monotonic(), time.perf_counter() or
  time.time() (directly, through a variable or a list it was put in) that sets an upper bound. Load
  only lengthens a wait, so a lower bound cannot fail on good code: it is allowed where its line
  says `# hygiene: lower bound`. Speed belongs in bench/; a wait polls a condition under a deadline
  that only bounds a hang (`time.monotonic() < deadline` is such a deadline, not a threshold).
- No sleep as synchronisation: a sleep outside a loop, followed by an assertion, hopes the other
  side got there in time. Poll a condition in a loop instead, or wait for an event.
- No skip that hides a missing product file: a skip guarded by `.exists()`/`.is_file()` of a path
  under the repository (ROOT, RUN_SH, SCRIPTS, project_root...). A missing product file is a failure.
- No escape around assertions: `if ...: continue` in a loop, or `if ...: return` in a test, whose
  condition looks at what the loop or test itself computed (not at its input), before an
  assertion: the case that should have been checked is skipped instead.

The checks read the syntax tree (ast), cheaply and not completely: each rule also runs on small bad
examples below, so that it is known to fire, and on good ones, so that it stays quiet.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}
SLEEPS = {"sleep"}
PRODUCT_PATHS = {"ROOT", "RUN_SH", "SCRIPTS", "project_root", "KIT_SRC_ROOT", "GENERATOR"}
LOWER_BOUND = "hygiene: lower bound"
LOOPS = (ast.For, ast.AsyncFor, ast.While)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def is_clock_call(node: ast.AST) -> bool:
    """time.monotonic() and the like (any module: time, or names imported from it)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else "time"
    return name in CLOCKS and owner == "time"


def _unwrap(node: ast.AST) -> ast.AST:
    """abs(x), round(x), float(x), int(x) -> x."""
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
           and node.func.id in ("abs", "round", "float", "int") and node.args):
        node = node.args[0]
    return node


def is_elapsed(node: ast.AST, timed: set[str]) -> bool:
    """`clock() - x` (time since x), `abs(t - clock())` (how far from now), or a name holding one.
    `deadline - clock()` is the time left before a deadline: bounding a hang, not a threshold."""
    wrapped = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs"
    node = _unwrap(node)
    if isinstance(node, ast.Name):
        return node.id in timed
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        return is_clock_call(node.left) or (wrapped and any(map(is_clock_call, ast.walk(node)))) or any(
            isinstance(side, ast.Name) and side.id in timed for side in (node.left,))
    return False


def has_clock_difference(node: ast.AST, timed: set[str]) -> bool:
    """Whether NODE holds an elapsed time, or reads a name (a list, say) known to hold them."""
    return any(is_elapsed(sub, timed) for sub in ast.walk(node))


def timed_names(func: ast.AST) -> set[str]:
    """Names assigned an elapsed time in FUNC, and lists such times are appended to."""
    timed: set[str] = set()
    for _ in range(2):  # a second pass catches names derived from the first
        for node in ast.walk(func):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if is_elapsed(node.value, timed):
                    timed.update(t.id for t in targets if isinstance(t, ast.Name))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("append", "extend", "insert")
                    and isinstance(node.func.value, ast.Name)
                    and any(is_elapsed(arg, timed) for arg in node.args)):
                timed.add(node.func.value.id)
    return timed


def is_lower_bound(compare: ast.Compare, timed: set[str]) -> bool:
    """`elapsed >= x` or `x <= elapsed`: the timing on the greater side of every operator."""
    sides = [compare.left, *compare.comparators]
    for i, op in enumerate(compare.ops):
        left, right = sides[i], sides[i + 1]
        if isinstance(op, (ast.GtE, ast.Gt)) and has_clock_difference(right, timed):
            return False
        if isinstance(op, (ast.LtE, ast.Lt)) and has_clock_difference(left, timed):
            return False
        if not isinstance(op, (ast.GtE, ast.Gt, ast.LtE, ast.Lt)):
            return False
    return True


def wall_clock_thresholds(source: str) -> list[str]:
    tree, lines = ast.parse(source), source.splitlines()
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, FUNCTIONS):
            continue
        timed = timed_names(func)
        for node in ast.walk(func):
            if not isinstance(node, ast.Assert):
                continue
            for compare in ast.walk(node.test):
                if isinstance(compare, ast.Compare) and has_clock_difference(compare, timed):
                    line = lines[node.lineno - 1]
                    if is_lower_bound(compare, timed) and LOWER_BOUND in line:
                        continue
                    found.append(f"line {node.lineno} in {func.name}: {line.strip()}")
    return sorted(set(found))


def _is_sleep(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in SLEEPS


def _statements(body: list[ast.stmt], in_loop: bool):
    """(statement, inside a loop?) in order, into if/with/try blocks but not into nested functions."""
    for stmt in body:
        yield stmt, in_loop
        if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)):
            continue
        loop = in_loop or isinstance(stmt, LOOPS)
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(stmt, field, []) or [], loop)
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _statements(handler.body, loop)


def sleeps_before_assertions(source: str) -> list[str]:
    tree, lines = ast.parse(source), source.splitlines()
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, FUNCTIONS):
            continue
        statements = list(_statements(func.body, False))
        for i, (stmt, in_loop) in enumerate(statements):
            if in_loop or not _is_sleep(stmt):
                continue
            if any(isinstance(later, ast.Assert) for later, _ in statements[i + 1:]):
                found.append(f"line {stmt.lineno} in {func.name}: {lines[stmt.lineno - 1].strip()}")
    return found


def _is_skip(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("skip", "skipif", "importorskip"))


def _names_a_product_path(node: ast.AST) -> bool:
    checks = [sub for sub in ast.walk(node)
              if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
              and sub.func.attr in ("exists", "is_file", "is_dir", "isfile", "isdir")]
    return any(isinstance(name, ast.Name) and name.id in PRODUCT_PATHS
               for check in checks for name in ast.walk(check))


def skips_on_missing_product_files(source: str) -> list[str]:
    tree, lines = ast.parse(source), source.splitlines()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _names_a_product_path(node.test) and any(
                _is_skip(sub) for stmt in node.body for sub in ast.walk(stmt)):
            found.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()}")
        if (_is_skip(node) and node.func.attr == "skipif" and node.args
                and _names_a_product_path(node.args[0])):
            found.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def _assigned_names(stmts: list[ast.stmt]) -> set[str]:
    names = set()
    for stmt in stmts:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
    return names


def _escapes(body: list[ast.stmt], kind: type) -> list[tuple[ast.If, set[str]]]:
    """`if ...: continue/return` statements directly in BODY that check nothing on the way out, with
    the names assigned before each."""
    out = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], kind) and (
                kind is not ast.Return or stmt.body[-1].value is None) and not any(
                isinstance(sub, ast.Assert) for inner in stmt.body for sub in ast.walk(inner)):
            out.append((stmt, _assigned_names(body[:i])))
    return out


def _reads(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)}


def escapes_around_assertions(source: str) -> list[str]:
    tree, lines = ast.parse(source), source.splitlines()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, LOOPS) and any(isinstance(sub, ast.Assert) for sub in ast.walk(node)):
            for stmt, computed in _escapes(node.body, ast.Continue):
                if _reads(stmt.test) & computed:
                    found.append(f"line {stmt.lineno}: {lines[stmt.lineno - 1].strip()}")
        if isinstance(node, FUNCTIONS) and node.name.startswith("test"):
            for stmt, computed in _escapes(node.body, ast.Return):
                after = node.body[node.body.index(stmt) + 1:]
                if _reads(stmt.test) & computed and any(
                        isinstance(sub, ast.Assert) for later in after for sub in ast.walk(later)):
                    found.append(f"line {stmt.lineno}: {lines[stmt.lineno - 1].strip()}")
    return found


RULES = {
    "wall-clock threshold": wall_clock_thresholds,
    "sleep as synchronisation": sleeps_before_assertions,
    "skip on a missing product file": skips_on_missing_product_files,
    "escape around assertions": escapes_around_assertions,
}

TEST_FILES = sorted(TESTS.glob("test_*.py")) + [TESTS / "conftest.py"]


# ---------------------------------------------------------------------- the suite itself


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_the_python_tests_keep_the_rule(path, rule):
    assert RULES[rule](path.read_text(encoding="utf-8")) == []


def test_the_lower_bounds_kept_are_the_known_ones():
    """Each wall-clock lower bound left is deliberate; the report of issue 11 lists them."""
    kept = {(path.name, number) for path in TEST_FILES if path.name != Path(__file__).name
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if LOWER_BOUND in line}
    assert {name for name, _ in kept} == {"test_server.py", "test_simulator.py"}, kept
    assert len(kept) == 2, kept


# ---------------------------------------------------------------------- the rules fire

BAD = {
    "wall-clock threshold": [
        """
        def test_x():
            t0 = time.monotonic()
            work()
            assert time.monotonic() - t0 < 1
        """,
        """
        def test_x():
            started = time.perf_counter()
            work()
            elapsed = time.perf_counter() - started
            assert elapsed < 0.5, elapsed
        """,
        """
        def test_x():
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                work()
                timings.append(time.perf_counter() - started)
            assert sorted(timings)[2] < 0.02
        """,
        """
        async def test_x():
            quick = []
            t = time.monotonic()
            quick.append(time.monotonic() - t)
            assert max(quick) < 0.5, quick
        """,
        """
        def test_x():
            assert abs(payload["iat"] - time.time()) < 5
        """,
        """
        def test_x():
            assert abs(int(values["EXPIRES_AT"]) - (time.time() + ttl)) < 30
        """,
        """
        def test_x():
            t0 = time.monotonic()
            assert time.monotonic() - t0 >= 0.6
        """,  # a lower bound, but not marked as one
        """
        def test_x():
            t0 = time.monotonic()
            assert time.monotonic() - t0 < 5  # hygiene: lower bound
        """,  # marked, but an upper bound
    ],
    "sleep as synchronisation": [
        """
        def test_x():
            start_thing()
            time.sleep(0.3)  # it is running now
            assert thing.running
        """,
        """
        async def test_x(server):
            async with anyio.create_task_group() as tg:
                tg.start_soon(spin)
                await anyio.sleep(0.3)
                assert not (await server.call("x")).is_error
        """,
        """
        def helper(proc):
            proc.call("spin")
            time.sleep(0.3)
            assert len(children(proc.pid)) == 2
        """,
    ],
    "skip on a missing product file": [
        """
        async def test_x(server):
            if not (ROOT / "scripts" / "get_zoom_token.sh").exists():
                pytest.skip("the token kit is not there yet")
            assert True
        """,
        """
        @pytest.mark.skipif(not (ROOT / "token_monitor.py").is_file(), reason="not written yet")
        def test_x():
            assert True
        """,
    ],
    "escape around assertions": [
        """
        async def test_x(server):
            for name in names:
                result = await server.call(name)
                if result.is_error and "3001" in text_of(result):
                    continue
                assert not result.is_error
        """,
        """
        def test_x():
            answer = compute()
            if answer is None:
                return
            assert answer == 3
        """,
    ],
}

GOOD = {
    "wall-clock threshold": [
        """
        def wait_until(predicate, timeout=5):
            deadline = time.monotonic() + timeout
            while not predicate():
                assert time.monotonic() < deadline, "condition not met in time"
                time.sleep(0.01)
        """,
        """
        def test_x():
            started = time.monotonic()
            work()
            assert time.monotonic() - started >= 0.5  # hygiene: lower bound
        """,
        """
        def test_x():
            before = int(time.time())
            issue()
            after = time.time()
            assert before <= payload["iat"] <= after
        """,
        """
        def test_x():
            start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 100 * 86400))
            result = call({"from": start})
            assert result == 4
        """,
        """
        def test_x():
            deadline = time.monotonic() + 30
            left = deadline - time.monotonic()
            assert left > 0, "bounds a hang"
        """,
    ],
    "sleep as synchronisation": [
        """
        def test_x():
            deadline = time.monotonic() + 5
            while not done():
                assert time.monotonic() < deadline
                time.sleep(0.05)  # polling
            assert result() == 1
        """,
        """
        def test_x():
            def slow_fake():
                time.sleep(1)
                return 2
            assert run(slow_fake) == 2
        """,
        """
        def test_x():
            assert thing()
            time.sleep(0.1)  # nothing is asserted after it
        """,
    ],
    "skip on a missing product file": [
        """
        @pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
        def test_x():
            assert True
        """,
        """
        def test_x():
            if not (spec_dir and Path(spec_dir, "Meetings.json").exists()):
                pytest.skip("Zoom's OpenAPI files not found")
            assert True
        """,
    ],
    "escape around assertions": [
        """
        async def test_x(server, tools):
            for name, tool in tools.items():
                if name in WRITE_TOOLS:
                    continue
                result = await server.call(name)
                assert not result.is_error
        """,
        """
        def test_x():
            for line in text.splitlines():
                if not line:
                    continue
                assert line.startswith("[")
        """,
        """
        def test_x():
            for case in cases:
                status = send(case)
                if status == 204:
                    assert body(case) == b""
                    continue
                assert status < 400
        """,
    ],
}


@pytest.mark.parametrize(("rule", "example"), [(rule, example) for rule, examples in BAD.items()
                                               for example in examples])
def test_each_rule_fires_on_its_bad_examples(rule, example):
    assert RULES[rule](textwrap.dedent(example)), example


@pytest.mark.parametrize(("rule", "example"), [(rule, example) for rule, examples in GOOD.items()
                                               for example in examples])
def test_each_rule_stays_quiet_on_good_code(rule, example):
    assert RULES[rule](textwrap.dedent(example)) == [], example
