"""zoom_rate_limits.py, the committed table of rate-limit categories, against Zoom's spec and the
simulator's routes.

The spec checks need Zoom's OpenAPI files: set ZOOM_OPENAPI_DIR (.ci/run points it at
../shared/zoom-openapi); without it they are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zoom_rate_limits import CATEGORIES, DOWNLOAD_OP, HEADER_NAMES, OPERATIONS, PLAN_ALIASES, PLANS
from zoomsim.server import ROUTES

GENERATOR = ROOT / "dev" / "gen_rate_limits.py"


def spec_dir() -> Path:
    folder = os.environ.get("ZOOM_OPENAPI_DIR")
    if not folder or not all((Path(folder) / f).is_file() for f in ("Meetings.json", "Users.json")):
        pytest.skip("Zoom's OpenAPI files not found: set ZOOM_OPENAPI_DIR to a folder holding Meetings.json "
                    "and Users.json (e.g. ../shared/zoom-openapi) to check the rate-limit table against them")
    return Path(folder)


def generate(*args: str, env_dir: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ZOOM_OPENAPI_DIR"}
    if env_dir:
        env["ZOOM_OPENAPI_DIR"] = env_dir
    return subprocess.run([sys.executable, str(GENERATOR), *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)


def shape(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


def test_the_committed_table_is_what_zoom_spec_says():
    folder = spec_dir()
    done = generate("--check", env_dir=str(folder))
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stderr


def test_the_check_fails_when_the_spec_says_otherwise(tmp_path):
    folder = spec_dir()
    for name in ("Meetings.json", "Users.json"):
        shutil.copy(folder / name, tmp_path / name)
    doc = json.loads((tmp_path / "Meetings.json").read_text(encoding="utf-8"))
    op = doc["paths"]["/users/{userId}/recordings"]["get"]
    assert "`MEDIUM`" in op["description"]
    op["description"] = op["description"].replace("`MEDIUM`", "`HEAVY`")
    (tmp_path / "Meetings.json").write_text(json.dumps(doc), encoding="utf-8")
    done = generate("--check", "--spec-dir", str(tmp_path))
    assert done.returncode == 1
    assert "differs from Zoom's spec" in done.stderr
    out = tmp_path / "table.py"
    assert generate("--spec-dir", str(tmp_path), "--output", str(out)).returncode == 0
    assert '"GET /users/{userId}/recordings": "HEAVY",' in out.read_text(encoding="utf-8")


def test_an_operation_without_a_label_is_an_error(tmp_path):
    folder = spec_dir()
    for name in ("Meetings.json", "Users.json"):
        shutil.copy(folder / name, tmp_path / name)
    doc = json.loads((tmp_path / "Users.json").read_text(encoding="utf-8"))
    op = doc["paths"]["/users/{userId}"]["get"]
    op["description"] = re.sub(r"\*\*\[Rate Limit Label\].*", "", op["description"], flags=re.S)
    (tmp_path / "Users.json").write_text(json.dumps(doc), encoding="utf-8")
    done = generate("--check", "--spec-dir", str(tmp_path))
    assert done.returncode == 2
    assert "ERROR: GET /users/{userId}: Zoom's spec gives no Rate Limit Label" in done.stderr


def test_the_generator_needs_the_spec_and_says_so():
    done = generate("--check")
    assert done.returncode == 2
    assert "ERROR: no spec folder: set ZOOM_OPENAPI_DIR or pass --spec-dir" in done.stderr
    done = generate("--check", "--spec-dir", "/nonexistent-zoom-spec")
    assert done.returncode == 2 and "ERROR: cannot read /nonexistent-zoom-spec/Meetings.json" in done.stderr


def test_every_simulator_route_has_exactly_one_operation_key():
    for method, template, _ in ROUTES:
        keys = [op for op in OPERATIONS if op.split(" ", 1)[0] == method
                and shape(op.split(" ", 1)[1]) == shape(template)]
        assert len(keys) == 1, f"{method} {template}: {keys}"
    assert len(OPERATIONS) == len(ROUTES) + 1  # and the recording download
    assert OPERATIONS[DOWNLOAD_OP] == "LIGHT"


def test_categories_and_plans_are_complete():
    assert set(OPERATIONS.values()) <= set(CATEGORIES)
    assert set(HEADER_NAMES) == set(CATEGORIES)
    for plan, limits in PLANS.items():
        assert set(limits) == set(CATEGORIES), plan
        assert all(n > 0 and period in (1, 60) for n, period in limits.values()), plan
    assert PLANS["pro"] == {"LIGHT": (30, 1), "MEDIUM": (20, 1), "HEAVY": (10, 1),
                            "RESOURCE-INTENSIVE": (10, 60)}
    assert set(PLAN_ALIASES.values()) <= set(PLANS)
