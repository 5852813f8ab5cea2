"""SECURITY.md names the test that holds each defence: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "SECURITY.md").read_text()


def test_every_pytest_test_security_md_names_exists():
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", DOC))
    assert len(named) > 30
    missing = [f"{path}::{name}" for path, name in sorted(named)
               if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.M)]
    assert missing == []


def test_every_bats_test_security_md_names_exists():
    named = set(re.findall(r'`(bats/[\w/]+\.bats): "(.+?)"`', DOC))
    assert len(named) > 5
    missing = [f"{path}: {name}" for path, name in sorted(named)
               if f'@test "{name}"' not in (ROOT / path).read_text()]
    assert missing == []
