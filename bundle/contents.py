"""Which of the project's files the bundle carries: derived, not listed by hand.

The Python side is every project module the entry point can import, found by following its import
statements (modulefinder, also into function bodies: token_monitor, vtt and bundle_mode are imported
late). Only the project folder is searched, so the SDK and the standard library never come in. Then
the token kit (scripts/, which the server runs), pyproject.toml (uv installs the dependencies from
it), and README/LICENSE when they exist. Tests, bench, the simulator, .venv, .env, dist: never.
"""

from __future__ import annotations

import modulefinder
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = "zoom_mcp.py"
DOCS = ("README.md", "LICENSE", "LICENSE.md", "LICENSE.txt")


def python_files(root: Path = ROOT) -> list[str]:
    """The entry point and every project module it imports, directly or not (relative paths)."""
    finder = modulefinder.ModuleFinder(path=[str(root)])
    finder.run_script(str(root / ENTRY_POINT))
    found = {ENTRY_POINT}
    for module in finder.modules.values():
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(root):
            found.add(Path(file).resolve().relative_to(root).as_posix())
    return sorted(found)


def kit_files(root: Path = ROOT) -> list[str]:
    """scripts/: the kit stays primary (the server refreshes by running get_zoom_token.sh)."""
    return sorted(p.relative_to(root).as_posix() for p in (root / "scripts").rglob("*.sh") if p.is_file())


def files(root: Path = ROOT) -> list[str]:
    """Everything the bundle takes from the project, sorted (manifest.json, icon.png and uv.lock are
    written by the build)."""
    docs = [name for name in DOCS if (root / name).is_file()]
    return sorted({*python_files(root), *kit_files(root), "pyproject.toml", *docs})
