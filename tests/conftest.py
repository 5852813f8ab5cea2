"""Shared pytest fixtures: the Zoom simulator (in-process and as a subprocess) and a .env for it.

- ``sim``: a fresh in-process ``zoomsim.ZoomSimulator`` per test, stopped afterwards.
- ``sim_process``: ``python -m zoomsim --port 0`` in a subprocess (``zoomsim.control.SimProcess``),
  with the same helpers as ``sim`` driven over the /_sim/ control API.
- ``env_file``: a .env (mode 0600) holding the simulator's credentials, ZOOM_OAUTH_URL and
  ZOOM_API_BASE_URL, with no token yet; returns its path.
- ``project_root``: the repository root (a pathlib.Path).

Zoom's OpenAPI files (for the contract tests) are found without being named: ZOOM_OPENAPI_DIR
defaults to ../shared/zoom-openapi beside the checkout when that folder holds them, and a run that
found none says so at the end of its summary.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from zoomsim import ZoomSimulator  # noqa: E402 - needs the path above
from zoomsim.control import SimProcess, write_env_file  # noqa: E402

SPEC_FILES = ("Meetings.json", "Users.json")
SHARED_SPEC_DIR = ROOT.parent / "shared" / "zoom-openapi"


def _holds_spec(folder: str | os.PathLike) -> bool:
    return all((Path(folder) / name).is_file() for name in SPEC_FILES)


def pytest_configure(config):
    # In os.environ, not a fixture: the generator the rate-limit tests start inherits it too.
    if not os.environ.get("ZOOM_OPENAPI_DIR") and _holds_spec(SHARED_SPEC_DIR):
        os.environ["ZOOM_OPENAPI_DIR"] = str(SHARED_SPEC_DIR)


def pytest_terminal_summary(terminalreporter):
    folder = os.environ.get("ZOOM_OPENAPI_DIR")
    if not (folder and _holds_spec(folder)):
        terminalreporter.write_line(
            f"NOTE: Zoom's OpenAPI files not found (ZOOM_OPENAPI_DIR={folder or 'unset'}, nor in "
            f"{SHARED_SPEC_DIR}): the contract tests were skipped", yellow=True)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture
def sim():
    with ZoomSimulator(host="127.0.0.1", port=0) as simulator:
        yield simulator


@pytest.fixture
def sim_process():
    proc = SimProcess(env={"PYTHONPATH": str(ROOT)})
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def env_file(tmp_path, sim) -> Path:
    return write_env_file(tmp_path / ".env", sim)
