"""The Makefile: help lists every target, setup is a no-op when nothing changed, and a missing
system tool stops with the exact install commands."""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()


def make(*args, env=None):
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def phony_targets():
    block = re.search(r"^\.PHONY:(.*?)(?<!\\)\n", MAKEFILE, re.S | re.M).group(1)
    return set(block.replace("\\", " ").split())


def test_help_is_the_default_and_lists_every_target_with_a_line():
    result = make()
    assert result.returncode == 0
    listed = dict(re.findall(r"^  (\S+)\s+(\S.*)$", result.stdout, re.M))
    assert phony_targets() == set(listed)
    for target in ("setup", "test", "run", "refresh", "refresh-force", "status", "install-claude",
                   "monitor", "demo", "simulator", "doctor", "soak", "bench"):
        assert listed[target].strip(), target


def test_targets_that_need_python_depend_on_setup():
    for target in ("test", "lint", "test-py", "test-bats", "run", "install-claude", "monitor",
                   "demo", "simulator", "soak", "bench"):
        assert re.search(rf"^{re.escape(target)}: setup\b", MAKEFILE, re.M), target


def test_setup_is_up_to_date_after_setup():
    assert make("setup").returncode == 0
    # -q: exit 0 only when nothing would be rebuilt.
    assert make("-q", "setup").returncode == 0


def test_missing_tool_names_the_apt_and_brew_commands(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Everything make and the recipe need, but no jq.
    for tool in ("bash", "make", "curl", "cat", "cksum", "cut", "awk", "sh", "flock"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    result = make("check-tools", env=env)
    assert result.returncode != 0
    assert "ERROR: 'jq' is not installed" in result.stderr
    assert "sudo apt-get install -y jq" in result.stderr
    assert "brew install jq" in result.stderr
    assert "'curl' is not installed" not in result.stderr
