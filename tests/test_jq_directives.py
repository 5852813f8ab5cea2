"""jq_directives: import/include/module are found by reading the filter's text, whatever hides them.

Each refused filter is one way to slip a directive past a scanner that does not know jq's strings,
interpolation and comments; each allowed one is a name jq accepts where the keyword is no directive.
The last test compares the scanner with jq itself over many generated filters: whenever jq would
try to load a module or data file, the scanner must have refused the filter.
"""

from __future__ import annotations

import random

import pytest

from jq_directives import find_directive

REFUSED = [
    ('include "leakmod" {search: "/tmp"}; .', "include"),
    ('import "leakmod" as m {search: "/tmp"}; .', "import"),
    ('import "data" as $d {search: "/tmp"}; $d', "import"),
    ("module {search: \"/tmp\"}; .", "module"),
    (' \n\t\r module {}; .', "module"),
    ('# a comment first\ninclude "x"; .', "include"),
    # jq continues a comment whose line ends in a backslash: we end it at the newline and so still
    # see (and refuse) what follows, where jq would not even load it.
    ('# note \\\ninclude "x"; .', "include"),
    ('"\\(include "x"; .)"', "include"),  # interpolation is code again
    ('"a" + "\\("\\(import "x" as y; .)")"', "import"),  # nested interpolation
    ('"\\\\" | include', "include"),  # an escaped backslash does not swallow the closing quote
    ('"\\"" | include', "include"),  # nor does an escaped quote end the string early
    ('.a | include "x"', "include"),
    ('(import "x" as y; .)', "import"),
    ("[1, module]", "module"),
    ("{a: (1, import)}", "import"),  # a keyword inside a value is not an object key
    ('{(include): 1}', "include"),
    ("1.import", "import"),  # `1.` is a number, then a bare keyword
    ("..import", "import"),  # `..` then a bare keyword (not the field .import)
    (".a::include", "include"),  # a field has no module part: `::` then a bare keyword
    ("$a::import", "import"),
    ("{a: 1} | .a import", "import"),
    ('@base64 "x" | include', "include"),
    ('{"a": 1, import}' + " | include", "include"),  # the key is fine, the second one is not
]

ALLOWED = [
    ".import", '."include"', ".a.module", ".a?.import", '.["import"]', "...import",
    "{import: 1}", "{ import : 1 }", "{a: 1, include: 2}", "{module}", "{a, include}",
    "{import # a key\n: 1}", ". as {import: $x} | $x", ". as {$import} | $import",
    "1 as $import | $import", "reduce .[] as $include (0; . + 1)", "label $module | 1",
    "def f($import): $import; f(1)", '"import include module"', '"\\(.import)"',
    '@text "\\("\\(.include)")"', '. # import "x" as y;', '"\\\\(include)"',
    "def imports: 1; imports", "def _include: 1; _include", "def module_: 1; module_",
    '{"a": "b\\"import"}', "$__loc__", '@json "x"', "1e3 + .5 + 1.5e-2",
]
# Names, not directives, that jq refuses for other reasons (an undefined function, a bad escape).
ALSO_NAMES = ["x::import", "import::x", '"\\u(include)"']


@pytest.mark.parametrize(("expr", "word"), REFUSED)
def test_directives_are_found_however_they_hide(expr, word):
    assert find_directive(expr) == word


@pytest.mark.parametrize("expr", ALLOWED + ALSO_NAMES)
def test_names_that_merely_spell_a_keyword_pass(expr):
    assert find_directive(expr) is None


def test_the_allowed_names_are_ones_jq_really_accepts():
    """Passing them would mean little if jq refused them anyway (then nothing could be loaded)."""
    import jq

    for expr in ALLOWED:
        jq.compile(expr)


# -- against jq itself --------------------------------------------------------------------------------

# Pieces a filter is built from: things that open or close strings, comments and interpolations, and
# the keywords in every position.
PIECES = [
    '"', '\\', '\\(', ')', '(', '{', '}', '[', ']', '#', '\n', '\r', ' ', '.', '..', '$', '@text', ',', ':',
    ';', '|', '1', '1.', 'x', '::', 'import', 'include', 'module', '"a"', '"\\""', '"\\\\"', '"\\("', '")"',
    '# c\n', '# c \\\n', 'as', 'm', '$d', '{a: 1}', '.a', 'def f: .;',
]
MARKER = "LOADED_FROM_DISK"
DIRECTIVES = [
    'include "mod";', 'include "mod" {search: SEARCH};', 'import "mod" as m;',
    'import "mod" as m {search: SEARCH};', 'import "data" as $d {search: SEARCH};', 'module {a: 1};',
    'module {a: 1}; include "mod" {search: SEARCH};',
]


def loads_something(jq, expr: str) -> bool:
    """Whether jq, compiling expr, went looking for a module or data file. Any load fails, on
    purpose: mod.jq does not parse (and its error quotes its line, MARKER), data.json is not JSON."""
    try:
        jq.compile(expr)
    except ValueError as exc:
        text = str(exc)
        return MARKER in text or "module not found" in text or "data file" in text
    return False


def test_whenever_jq_would_load_a_file_the_filter_was_refused(tmp_path):
    import jq

    (tmp_path / "mod.jq").write_text(MARKER + " }{\n")
    (tmp_path / "data.json").write_text("not json {\n")
    search = '"' + str(tmp_path) + '"'
    rng = random.Random(1029)  # noqa: S311 - fixed seed: the same filters every run
    loading = 0
    for _ in range(6000):
        before = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
        after = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
        middle = rng.choice(DIRECTIVES).replace("SEARCH", search) if rng.random() < 0.7 else ""
        expr = before + middle + " ." + after
        if loads_something(jq, expr):
            loading += 1
            assert find_directive(expr) is not None, expr
    assert loading > 100  # the generator does reach jq's module loading, often
