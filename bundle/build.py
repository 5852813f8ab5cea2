"""`make bundle`: stage the bundle's files, lock its dependencies, validate and pack it.

    python -m bundle [--out DIR]     # default DIR: dist/

The stage (.cache/bundle/stage) holds exactly what the bundle carries: the files contents.py
derives, manifest.json, icon.png and uv.lock. uv.lock pins every package at the version of
requirements.txt / requirements-dev.txt (their pins are uv's constraints), resolved against PyPI for
every platform, so Claude Desktop installs what the tests ran. Exit codes: 0 built, 1 failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bundle import contents, icon, manifest, mcpb
from bundle.manifest import tomllib
from bundle.mcpb import BuildError

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".cache" / "bundle"
PYPI = "https://pypi.org/simple"  # never a local mirror: the lock is what users install from
LOCKS = ("requirements.txt", "requirements-dev.txt")
INDEX_VARS = ("UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_FIND_LINKS")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def pins(root: Path = ROOT) -> list[str]:
    """`name==version` for every package the project's lock files pin."""
    found: dict[str, str] = {}
    for name in LOCKS:
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            m = _PIN.match(line.strip())
            if m:
                found[m.group(1).lower()] = f"{m.group(1)}=={m.group(2)}"
    return sorted(found.values())


def stage(root: Path = ROOT, work: Path = WORK) -> Path:
    """A fresh folder with the bundle's files, manifest.json and icon.png (not yet uv.lock)."""
    folder = work / "stage"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel in contents.files(root):
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
        # The kit runs its scripts directly: executable whatever the checkout's umask made them.
        os.chmod(target, 0o755 if rel.endswith(".sh") and rel.count("/") == 1 else 0o644)
    _drop_dev_extras(folder / "pyproject.toml")
    (folder / "manifest.json").write_text(
        json.dumps(manifest.build(root=root), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    icon.write(folder / "icon.png")
    return folder


def _drop_dev_extras(path: Path) -> None:
    """The bundle's pyproject.toml without [project.optional-dependencies]: the tools a developer
    needs are no user's, and locking them for every platform would triple uv.lock."""
    text = path.read_text(encoding="utf-8")
    kept = re.sub(r"(?ms)^\[project\.optional-dependencies\]\n.*?(?=^\[)", "", text)
    before, after = tomllib.loads(text)["project"], tomllib.loads(kept)["project"]
    before.pop("optional-dependencies", None)
    if before != after:  # the cut took more than that table
        raise BuildError(f"could not drop [project.optional-dependencies] from {path} cleanly")
    path.write_text(kept, encoding="utf-8")


def lock(folder: Path, root: Path = ROOT, work: Path = WORK) -> Path:
    """uv.lock for the staged pyproject.toml, with the lock files' versions as constraints."""
    uv = shutil.which("uv", path=str(root / ".venv" / "bin")) or shutil.which("uv")
    if not uv:
        raise BuildError("uv is not installed; run make setup (it installs the pinned uv into .venv)")
    config = work / "uv-constraints.toml"
    config.write_text(f"constraint-dependencies = {json.dumps(pins(root))}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in INDEX_VARS}
    res = subprocess.run([uv, "lock", "--config-file", str(config), "--default-index", PYPI],
                         cwd=folder, env=env, stdin=subprocess.DEVNULL, check=False)
    if res.returncode != 0:
        raise BuildError(f"uv lock failed (exit {res.returncode}); its message is above")
    return folder / "uv.lock"


def build(out_dir: Path, root: Path = ROOT, work: Path = WORK) -> Path:
    version = manifest.pyproject(root)["version"]
    out = out_dir / f"zoom-mcp-{version}.mcpb"
    folder = stage(root, work)
    mcpb.validate(folder)  # first: a bad manifest fails fast, before any network
    lock(folder, root, work)
    mcpb.pack(folder, out)  # (pack validates again, with uv.lock in place)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bundle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the .mcpb (dist/)")
    args = parser.parse_args(argv)
    try:
        out = build(args.out.absolute())
    except BuildError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"✅ {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
          f"({out.stat().st_size / 1024:.1f} KiB)")
    return 0
