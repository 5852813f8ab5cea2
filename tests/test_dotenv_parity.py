"""The scripts' .env reader and writer (scripts/lib/dotenv*.sh) against python-dotenv (issue 10, item 8).

The token monitor reads .env with ``dotenv_values(interpolate=False)``; the scripts read and rewrite
it in bash. Both must see the same keys and values in every file, multi-line quoted values included,
or a rewrite can land inside another key's value. Here, on hand-picked edge cases and on thousands of
generated files (fixed seeds, so a failure is reproducible):

- the shell reader gives exactly python-dotenv's dict (keys, values, order; ``KEY`` alone is None);
- a rewrite of ZOOM_ACCESS_TOKEN and ZOOM_TOKEN_EXPIRES_AT changes those two and keeps every other key's
  value byte-identical, as python-dotenv reads the file before and after.

One bash process runs all files of a test; ``bash`` is the first on PATH, so
``../shared/macos-like/run .venv/bin/python -m pytest tests/test_dotenv_parity.py`` runs it under
bash 3.2. Files hold valid UTF-8 and no NUL byte: python-dotenv cannot read the first, bash cannot
hold the second (the writer refuses such a file: bats/env_file.bats).
"""

from __future__ import annotations

import io
import os
import random
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent

# Print every binding python-dotenv keeps (broken ones are skipped) of each file, NUL-separated;
# "E" ends a file.
READER = r"""
set -euo pipefail
. "$ZOOM_TEST_ROOT/scripts/lib/common.sh"
for f in "$@"; do
  zoom_env_read "$f"
  b=0
  while [ "$b" -lt "$_zbn" ]; do
    if [ "${_zbx[b]}" = 0 ]; then
      if [ "${_zbh[b]}" = 1 ]; then
        printf 'V%s\0%s\0' "${_zbk[b]}" "${_zbv[b]}"
      else
        printf 'N%s\0' "${_zbk[b]}"
      fi
    fi
    b=$((b + 1))
  done
  printf 'E\0'
done
"""

REWRITER = r"""
set -euo pipefail
. "$ZOOM_TEST_ROOT/scripts/lib/common.sh"
. "$ZOOM_TEST_ROOT/scripts/lib/dotenv_write.sh"
zoom_on_exit
for f in "$@"; do
  zoom_env_rewrite "$f" ZOOM_ACCESS_TOKEN "$NEW_TOKEN" ZOOM_TOKEN_EXPIRES_AT 4000000000
done
"""

NEW_TOKEN = "eyJhbGciOiJIUzUxMiJ9.bmV3LXRva2Vu.c2ln-_new"
TARGETS = ("ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT")


def run_bash(script: str, files: list[Path], extra_env: dict[str, str] | None = None) -> bytes:
    env = {"PATH": os.environ["PATH"], "ZOOM_TEST_ROOT": str(ROOT), **(extra_env or {})}
    res = subprocess.run(["bash", "-c", script, "harness", *map(str, files)], env=env,
                         capture_output=True, check=False, timeout=600)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res.stdout


def shell_dicts(files: list[Path]) -> list[dict[str, str | None]]:
    """What the scripts read: for each file, the bindings in order, a later one replacing an earlier."""
    out, current = [], {}
    fields = run_bash(READER, files).split(b"\0")
    it = iter(fields[:-1])
    for field in it:
        tag, key = field[:1], field[1:].decode()
        if tag == b"E":
            out.append(current)
            current = {}
        elif tag == b"V":
            current[key] = next(it).decode()
        else:
            current[key] = None
    return out


def dotenv_dict(path: Path) -> dict[str, str | None]:
    """What the monitor reads (token_monitor._read_env_file)."""
    return dict(dotenv_values(path, interpolate=False))


def bash_version() -> str:
    return subprocess.run(["bash", "-c", "echo $BASH_VERSION"], capture_output=True, text=True,
                          check=True).stdout.strip()


# ------------------------------------------------------------------------------------ edge cases

EDGE_CASES = {
    "issue_multiline_double": 'A=1\nMULTI="line one\nZOOM_ACCESS_TOKEN=inside\nline three"\nB=2\n',
    "multiline_single": "MULTI='one\nZOOM_ACCESS_TOKEN=inside'\n",
    "multiline_crlf": 'MULTI="one\r\nZOOM_ACCESS_TOKEN=inside\r\nthree"\r\nB=2\r\n',
    "multiline_lone_cr": 'MULTI="one\rtwo"\rB=2\r',
    "lone_cr_splits_lines": "A=x\ry\rB=2",
    "lone_cr_mid_file": "A=x\ry\nB=2\n",
    "multiline_then_comment": 'MULTI="a\nb" # comment\nC=3\n',
    "multiline_then_junk": 'MULTI="a\nZOOM_ACCESS_TOKEN=x\nb" junk\nC=3\n',
    "unclosed_double_at_eof": 'A=1\nMULTI="never closed\nZOOM_ACCESS_TOKEN=seen\nB=2\n',
    "unclosed_single_at_eof": "MULTI='never closed\nZOOM_ACCESS_TOKEN=seen",
    "unclosed_then_other_quote": "A=\"x\nB='y'\nC=3\n",
    "escaped_quote_spans": 'A="a\\"\nZOOM_ACCESS_TOKEN=in\n"\nB=2\n',
    "backslash_newline": 'A="a\\\nb"\nB=2\n',
    "backslash_at_eof": 'A="a\\',
    "bare_key": "ZOOM_ACCESS_TOKEN\nA=1\n",
    "bare_key_overrides": "A=1\nA\nB=2\nB\nB=3\n",
    "bare_key_comment": "A # comment\nB#c\n",
    "bare_key_junk": "A junk\nB=2\n",
    "export_forms": "export A=1\nexport\tB=2\nexportC=3\nexport=4\nexport\nexport #c\nexport  \n",
    "export_nbsp": "export\u00a0A=1\n",
    "quoted_key": "'A B'=1\n'C'=2\n''=3\n'D\nE'=4\n'unclosed=5\nF=6\n",
    "no_key": "=1\n =2\nA=3\n",
    "bom": "\ufeffA=1\nB=\ufeff2\n",
    "bom_then_blank": "\ufeff\nA=1\n",
    "unicode_blanks": "\u00a0A=1\nB\u00a0=\u00a02\nC=3\u3000#c\nD=4\u2003\nE=5\x1c\nF\x1f=6\n",
    "unicode_in_values": "A=é ü\nB=\"日本\"\nC='😀'\nD=x\u200by\n",
    "comment_rules": "A=1 #c\nB=1#c\nC= #c\nD=#c\nE=\t#c\nF=\"1\"#c\nG='1' #c\nH=\"a # b\"\n",
    "double_escapes": r'A="\\ \' \" \a \b \f \n \r \t \v \x \u00e9 \\n"' + "\n",
    "single_escapes": r"A='\\ \' \" \n \x'" + "\n",
    "unquoted_backslashes": "A=a\\b\\'c\\\n",
    "empty_values": "A=\nB=''\nC=\"\"\nD= \nE=   \n",
    "trailing_blanks": "A=1   \nB=\"2\"   \nC='3'\t\n",
    "equals_in_values": "A=b=c==\nB==x\n",
    "control_chars": "A=a\x01b\x7fc\nB=\"\x01\"\n",
    "vt_ff": "A=\x0b1\x0c\nB=x\x0c#c\n",
    "last_line_no_newline": "A=1\nB=2",
    "only_blank_lines": "\n\n  \n\t\n",
    "empty": "",
    "quote_in_middle": "A=a\"b\nB=a'b\nC=\"x\"y\n",
    "many_duplicates": "K=1\nK=2\nK='3'\nK\nK=\"4\"\n",
}


@pytest.fixture(scope="module")
def edge_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("edge")
    files = {}
    for name, text in EDGE_CASES.items():
        files[name] = d / f"{name}.env"
        files[name].write_bytes(text.encode())
    return files


def test_the_issue_example_reads_as_one_value():
    """The case from issue 10: python-dotenv reads MULTI as one three-line value, no token in it."""
    values = dotenv_values(stream=io.StringIO(EDGE_CASES["issue_multiline_double"]), interpolate=False)
    assert values == {"A": "1", "MULTI": "line one\nZOOM_ACCESS_TOKEN=inside\nline three", "B": "2"}


def test_edge_cases_read_as_python_dotenv_reads_them(edge_files):
    names = list(edge_files)
    got = shell_dicts([edge_files[n] for n in names])
    version = bash_version()
    for name, shell in zip(names, got, strict=True):
        expected = dotenv_dict(edge_files[name])
        assert list(shell.items()) == list(expected.items()), f"{name} (bash {version})"


def test_edge_cases_rewrite_keeps_every_other_key(edge_files, tmp_path):
    copies = []
    for name, path in edge_files.items():
        copy = tmp_path / f"{name}.env"
        copy.write_bytes(path.read_bytes())
        copies.append((name, path, copy))
    run_bash(REWRITER, [c for _, _, c in copies], {"NEW_TOKEN": NEW_TOKEN})
    for name, before, after in copies:
        assert_rewritten(name, before, after)


def assert_rewritten(name: str, before: Path, after: Path) -> None:
    old, new = dotenv_dict(before), dotenv_dict(after)
    expected = {**old, "ZOOM_ACCESS_TOKEN": NEW_TOKEN, "ZOOM_TOKEN_EXPIRES_AT": "4000000000"}
    assert new == expected, f"{name}: {before.read_bytes()!r} -> {after.read_bytes()!r}"
    others = [k for k in old if k not in TARGETS]
    assert [k for k in new if k not in TARGETS] == others, name
    assert after.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------------------ generated files

BLANKS = ["", " ", "\t", "  ", "\u00a0", "\u3000", "\x1c", "\u2003", "\x0b"]
KEYS = ["ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT", "ZOOM_CLIENT_ID", "MULTI", "a.b-c", "export",
        "KEY1", "ключ", "x$y", 'q"k', "ZOOM_ACCESS_TOKEN\u00a0X"]
CHARS = list("abcXYZ019 #=\\\"'$.{}-_") + ["\t", "é", "😀", "\u00a0", "\u3000", "\x01", "\x7f", "\x0c"]
QUOTED_CHARS = CHARS + ["\n", "\r\n", "\r", "\\n", '\\"', "\\'", "\\\\", "\\\n",
                        "\nZOOM_ACCESS_TOKEN=inside\n"]
ENDS = ["\n", "\n", "\n", "\r\n", "\r"]
GENERATED = 2000  # files read by both parsers
REWRITTEN = 400  # of those, files rewritten (each costs a temp file and a rename)


def text_of(rng: random.Random, pool: list[str], most: int) -> str:
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, most)))


def gen_line(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.08:
        return rng.choice(["", "# a comment", "  # indented", "#", "   ", "=orphan", "'unclosed key"])
    if kind < 0.12:
        return text_of(rng, CHARS + ["\n"], 12)  # anything at all
    indent = rng.choice(BLANKS[:4] + [rng.choice(BLANKS)])
    export = rng.choice(["", "", "", "export ", "export\t", "export\u00a0", "export"])
    key = rng.choice(KEYS)
    if rng.random() < 0.05:
        key = "'" + rng.choice(["quoted key", "Q", "multi\nkey", ""]) + "'"
    if rng.random() < 0.1:  # "KEY" alone, perhaps with a comment or junk
        return indent + export + key + rng.choice(["", " # c", "#c", " junk", "\t"])
    eq = rng.choice(BLANKS[:3]) + "=" + rng.choice(BLANKS[:3] + [rng.choice(BLANKS)])
    style = rng.random()
    if style < 0.4:
        value = text_of(rng, CHARS, 10)
        if value[:1] in ("'", '"'):
            value = "v" + value
    else:
        q = rng.choice(["'", '"'])
        body = text_of(rng, QUOTED_CHARS, 8).replace(q, "\\" + q if rng.random() < 0.7 else q)
        close = "" if rng.random() < 0.1 else q  # sometimes never closed
        value = q + body + close
    after = rng.choice(["", "", " # comment", "#c", " junk", "\t#x", "\u00a0# c", "   "])
    return indent + export + key + eq + value + after


def gen_file(rng: random.Random) -> str:
    lines = [gen_line(rng) for _ in range(rng.randint(0, 10))]
    text = "".join(line + rng.choice(ENDS) for line in lines)
    if text and rng.random() < 0.2:  # no line break at the end
        text = text.rstrip("\r\n")
    if rng.random() < 0.05:
        text = "\ufeff" + text
    return text


@pytest.fixture(scope="module")
def generated_files(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("generated")
    files = []
    for seed in range(GENERATED):
        path = d / f"{seed}.env"
        path.write_bytes(gen_file(random.Random(seed)).encode())  # noqa: S311 - test data, not secrets
        files.append(path)
    return files


def test_generated_files_read_as_python_dotenv_reads_them(generated_files):
    got = shell_dicts(generated_files)
    version = bash_version()
    mismatches = []
    for path, shell in zip(generated_files, got, strict=True):
        expected = list(dotenv_dict(path).items())
        if list(shell.items()) != expected:
            mismatches.append((path.name, path.read_bytes(), list(shell.items()), expected))
    assert not mismatches, f"bash {version}: {len(mismatches)} files differ, first: {mismatches[0]}"


def test_generated_files_rewrite_keeps_every_other_key(generated_files, tmp_path):
    picked = generated_files[:REWRITTEN]
    copies = []
    for path in picked:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    run_bash(REWRITER, copies, {"NEW_TOKEN": NEW_TOKEN})
    for before, after in zip(picked, copies, strict=True):
        assert_rewritten(before.name, before, after)
