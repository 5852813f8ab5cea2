"""Find jq's module directives (`import`, `include`, `module`) in a filter, as text, before any compile.

jq loads a module while it compiles the filter: `include "m" {search: "/dir"}; .` reads /dir/m.jq, and
its error messages quote lines of that file. A filter from the model may not load anything, so the
server refuses these directives by reading the filter's text (jq itself never runs in the server).

The scan is a small jq lexer: strings (escapes, `\\(...)` interpolation, which holds code again),
`#` comments, field access (`.import`), variables (`$import`), formats (`@text`), numbers and
identifiers (`a::b`). The three keywords are allowed only where jq reads them as names: after a lone
`.` or a `$`, or as an object key (`{import: 1}`, `{a, include}`). Anything else that spells one of
them is refused, even where jq would only see a syntax error.

Where it cannot match jq exactly it errs towards refusing: a comment ends at the first newline here,
while jq continues a comment whose line ends in a backslash, so text after that newline is still
scanned (jq's comment is never shorter than ours, so no code hides in what we skip).
"""

from __future__ import annotations

KEYWORDS = frozenset({"import", "include", "module"})
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT = _IDENT_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_INTERPOLATION = "\\("  # on the bracket stack: an interpolation, whose `)` goes back into its string


def find_directive(expr: str) -> str | None:
    """The first of import/include/module that jq could read as a directive, or None."""
    n = len(expr)
    stack: list[str] = []  # open brackets of the code we are in: ( [ { or an interpolation
    prev = ""  # the previous token of code, for telling an object key apart
    i = 0
    in_string = False
    while i < n:
        c = expr[i]
        if in_string:
            if c == "\\":
                if expr.startswith("(", i + 1):  # interpolation: code until its matching ")"
                    stack.append(_INTERPOLATION)
                    in_string, prev = False, "("
                i += 2  # an escape is one character after the backslash (\u's hex digits are text)
            elif c == '"':
                in_string, prev = False, '"'
                i += 1
            else:
                i += 1
            continue
        if c == "#":
            end = expr.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            in_string = True
            i += 1
        elif c in " \t\r\n":
            i += 1
        elif c in "([{":
            stack.append(c)
            prev = c
            i += 1
        elif c in ")]}":
            top = stack.pop() if stack else ""
            in_string = top == _INTERPOLATION  # (a mismatch is a syntax error for jq: nothing loads)
            prev = c
            i += 1
        elif c == "." and expr.startswith(".", i + 1):
            i += 2  # `..` (then `.x` is a field again)
            prev = ".."
        elif c == "." and i + 1 < n and expr[i + 1] in _IDENT_START:
            i = _word_end(expr, i + 1, qualified=False)  # a field, .import included
            prev = "field"
        elif c in _DIGITS or (c == "." and i + 1 < n and expr[i + 1] in _DIGITS):
            i = _number_end(expr, i)
            prev = "number"
        elif c in "$@" and i + 1 < n and expr[i + 1] in _IDENT:
            i = _word_end(expr, i + 1, qualified=False)  # $variable, @format: names, whatever they spell
            prev = "name"
        elif c in _IDENT_START:
            end = _word_end(expr, i)
            word = expr[i:end]
            if word in KEYWORDS and not _object_key(expr, end, stack, prev):
                return word
            i = end
            prev = "word"
        else:
            prev = c
            i += 1
    return None


def _word_end(expr: str, i: int, qualified: bool = True) -> int:
    """End of an identifier starting at i; with `qualified`, module parts (a::b::c) included."""
    n = len(expr)
    while True:
        while i < n and expr[i] in _IDENT:
            i += 1
        if qualified and expr.startswith("::", i) and i + 2 < n and expr[i + 2] in _IDENT_START:
            i += 2
            continue
        return i


def _number_end(expr: str, i: int) -> int:
    n = len(expr)
    while i < n and (expr[i] in _DIGITS or expr[i] == "."):
        i += 1
    if i < n and expr[i] in "eE":
        j = i + 1
        if j < n and expr[j] in "+-":
            j += 1
        if j < n and expr[j] in _DIGITS:
            i = j
            while i < n and expr[i] in _DIGITS:
                i += 1
    return i


def _object_key(expr: str, end: int, stack: list[str], prev: str) -> bool:
    """A keyword right inside `{` or after a `,` of an object, followed by `:`, `,` or `}`."""
    if not stack or stack[-1] != "{" or prev not in ("{", ","):
        return False
    n = len(expr)
    i = end
    while i < n:
        if expr[i] in " \t\r\n":
            i += 1
        elif expr[i] == "#":
            nl = expr.find("\n", i)
            i = n if nl < 0 else nl
        else:
            return expr[i] in ":,}"
    return False
