"""The Makefile: help lists every target, setup is a no-op when nothing changed, a missing
system tool stops with the exact install commands, and every target behaves the same under
GNU make 3.81 (macOS's /usr/bin/make, which ignores .SHELLFLAGS) and 4.x."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
# The macOS-like runner (../shared/macos-like): its bin/make is GNU make 3.81.
MACOS_LIKE = Path(os.environ.get("MACOS_LIKE_ROOT") or ROOT.parent / "shared" / "macos-like")
MAKE_381 = MACOS_LIKE / "bin" / "make"

# Every test that runs a target runs it under both makes.
MAKES = [
    pytest.param("make", id="make"),
    pytest.param(str(MAKE_381), id="make-3.81", marks=pytest.mark.skipif(
        not os.access(MAKE_381, os.X_OK), reason=f"no GNU make 3.81 at {MAKE_381} (the macOS-like runner)")),
]


def make(*args, env=None, make_cmd="make", cwd=ROOT):
    return subprocess.run(
        [make_cmd, "--no-print-directory", "-C", str(cwd), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def phony_targets():
    block = re.search(r"^\.PHONY:(.*?)(?<!\\)\n", MAKEFILE, re.S | re.M).group(1)
    return set(block.replace("\\", " ").split())


def recipe_lines():
    return [line[1:] for line in MAKEFILE.splitlines() if line.startswith("\t")]


def lock_checksum(folder: Path) -> str:
    """The stamp's checksum, computed as the Makefile does."""
    locks = (folder / "requirements.txt").read_bytes() + (folder / "requirements-dev.txt").read_bytes()
    out = subprocess.run(["cksum"], input=locks, capture_output=True, check=True).stdout
    return out.split()[0].decode()


def makefile_copy(tmp_path: Path, layout: str | None) -> Path:
    """The Makefile and its lock files in a folder of their own, with a venv in LAYOUT (bin,
    Scripts or none) that is up to date with the locks: its python is a stub never run."""
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    if layout:
        python = tmp_path / ".venv" / layout / ("python.exe" if layout == "Scripts" else "python")
        python.parent.mkdir(parents=True)
        python.write_text("#!/bin/sh\nexit 1\n")
        python.chmod(0o755)
        (tmp_path / ".venv" / f".stamp-{lock_checksum(tmp_path)}").touch()
    return tmp_path


def test_help_is_the_default_and_lists_every_target_with_a_line():
    result = make()
    assert result.returncode == 0
    listed = dict(re.findall(r"^  (\S+)\s+(\S.*)$", result.stdout, re.M))
    assert phony_targets() == set(listed)
    for target in ("setup", "test", "run", "refresh", "refresh-force", "status", "history", "install-claude",
                   "monitor", "demo", "simulator", "doctor", "soak", "bench", "test-macos"):
        assert listed[target].strip(), target


def test_targets_that_need_python_depend_on_setup():
    for target in ("test", "lint", "test-py", "test-bats", "test-macos", "run", "install-claude", "monitor",
                   "demo", "simulator", "soak", "bench"):
        assert re.search(rf"^{re.escape(target)}: setup\b", MAKEFILE, re.M), target


# ------------------------------------------------------------------ make 3.81 and 4.x alike


def test_no_recipe_relies_on_shellflags_or_anything_newer_than_make_381():
    # make 3.81 ignores .SHELLFLAGS: a recipe that pipes must ask for pipefail itself, or the
    # status of the pipe's last command (sed, tee) hides a failure.
    assert not re.search(r"^\s*\.(SHELLFLAGS|ONESHELL)\b", MAKEFILE, re.M)
    for line in recipe_lines():
        if re.search(r"(?<!\|)\|(?!\|)", line):
            assert re.match(r"[@-]*set -o pipefail;", line), f"a pipe without pipefail: {line}"
    # features 3.82 and later brought: the != assignment, $(file), undefine, .ONESHELL, output sync
    for newer in (r"^\S+\s*!=", r"\$\(file\s", r"^undefine\b", r"--output-sync", r"\$\(guile\s"):
        assert not re.search(newer, MAKEFILE, re.M), newer


def test_the_version_guard_names_381():
    assert "$(error GNU make 3.81 or newer is needed (this is $(MAKE_VERSION))" in MAKEFILE


@pytest.mark.parametrize("make_cmd", MAKES)
def test_help_and_check_tools_run_the_same_under_both_makes(make_cmd):
    ours, system = make(make_cmd=make_cmd), make()
    assert ours.returncode == 0
    assert ours.stdout == system.stdout
    assert make("check-tools", make_cmd=make_cmd).returncode == 0


@pytest.mark.parametrize("make_cmd", MAKES)
def test_make_history_prints_the_history_and_passes_its_args(tmp_path, make_cmd):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "MAKE"))}
    env.update(ZOOM_ENV_FILE=str(tmp_path / ".env"), TZ="UTC")
    lines = [json.dumps({"ts": f"2027-01-15T08:0{i}:00Z", "event": "token_valid", "by": "run.sh",
                         "token_left_s": 3600 - 60 * i}, separators=(",", ":")) for i in range(3)]
    (tmp_path / "zoom-token.log").write_text("\n".join(lines) + "\n")
    shown = make("-s", "history", "ARGS=2", env=env, make_cmd=make_cmd)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.splitlines() == [
        "── Fri 15 Jan 2027 ──",
        "08:01:00  💤 token still valid for 59m; no request (by run.sh)",
        "08:02:00  💤 token still valid for 58m; no request (by run.sh)"]
    raw = make("-s", "history", "ARGS=--json", env=env, make_cmd=make_cmd)
    assert raw.stdout.splitlines() == lines


@pytest.mark.parametrize("make_cmd", MAKES)
def test_setup_is_up_to_date_after_setup(make_cmd):
    assert make("setup", make_cmd=make_cmd).returncode == 0
    # -q: exit 0 only when nothing would be rebuilt.
    assert make("-q", "setup", make_cmd=make_cmd).returncode == 0


@pytest.mark.parametrize("make_cmd", MAKES)
def test_q_setup_after_a_lock_changed_says_out_of_date_with_1_and_no_error(tmp_path, make_cmd):
    folder = makefile_copy(tmp_path, "bin")
    assert make("-q", "setup", make_cmd=make_cmd, cwd=folder).returncode == 0
    with open(folder / "requirements-dev.txt", "a") as lock:
        lock.write("# a changed lock\n")
    result = make("-q", "setup", make_cmd=make_cmd, cwd=folder)
    # 1: "would rebuild"; 2 would be an error (make 3.81 used to run the recursive check-tools)
    assert result.returncode == 1, result.stderr
    assert "Error" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("make_cmd", MAKES)
def test_a_failing_bats_test_fails_make_test_bats(tmp_path, make_cmd):
    # The pipe into sed once hid bats' status from make 3.81: a failing suite "passed".
    suite = tmp_path / "suite"
    suite.mkdir()
    passing, failing = '@test "passes" {\n  true\n}\n', '@test "fails on purpose" {\n  false\n}\n'
    (suite / "fails.bats").write_text(passing + failing)
    result = make("test-bats", f"BATS_FILES={suite}", make_cmd=make_cmd)
    assert result.returncode != 0, result.stdout
    assert "2 tests, 1 failure" in result.stdout
    assert "\x1b" not in result.stdout  # the colour codes are stripped (a literal ESC in the sed)
    (suite / "fails.bats").write_text(passing)
    result = make("test-bats", f"BATS_FILES={suite}", make_cmd=make_cmd)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 test, 0 failures" in result.stdout


# ---------------------------------------------------------------------- tools and Windows


def tool_dir(tmp_path: Path, uname: str | None, leave_out: tuple[str, ...]) -> Path:
    """A PATH folder with what make and the recipe need, a uname saying UNAME, and not LEAVE_OUT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sh", "make", "curl", "jq", "cat", "cksum", "cut", "awk", "flock", "python3"):
        found = shutil.which(tool)
        if found and tool not in leave_out:
            os.symlink(found, bin_dir / tool)
    if uname:
        (bin_dir / "uname").write_text(f"#!/bin/sh\necho '{uname}'\n")
        (bin_dir / "uname").chmod(0o755)
    return bin_dir


def test_missing_tool_names_the_apt_and_brew_commands(tmp_path):
    env = {"PATH": str(tool_dir(tmp_path, None, ("jq",))), "HOME": str(tmp_path)}
    result = make("check-tools", env=env)
    assert result.returncode != 0
    assert "ERROR: 'jq' is not installed" in result.stderr
    assert "sudo apt-get install -y jq" in result.stderr
    assert "brew install jq" in result.stderr
    assert "'curl' is not installed" not in result.stderr
    assert "winget" not in result.stderr


@pytest.mark.parametrize("uname", ["MINGW64_NT-10.0-19045", "MSYS_NT-10.0-19045"])
def test_missing_tools_in_git_bash_name_the_winget_and_chocolatey_commands(tmp_path, uname):
    env = {"PATH": str(tool_dir(tmp_path, uname, ("jq", "curl", "flock"))), "HOME": str(tmp_path)}
    result = make("check-tools", env=env)
    assert result.returncode != 0
    for tool, winget_id in (("jq", "jqlang.jq"), ("curl", "cURL.cURL")):
        assert f"ERROR: '{tool}' is not installed. Install it with:" in result.stderr
        assert f"winget install --id {winget_id} -e" in result.stderr
        assert f"choco install {tool} -y" in result.stderr
        assert f"then open a new Git Bash window, so that it finds {tool}" in result.stderr
    assert "apt-get" not in result.stderr and "brew" not in result.stderr
    assert "note: no 'flock' here; the scripts use a portable lock instead" in result.stderr


@pytest.mark.parametrize("make_cmd", MAKES)
@pytest.mark.parametrize("layout, python",
                         [("bin", ".venv/bin/python"), ("Scripts", ".venv/Scripts/python.exe")])
def test_targets_find_the_venv_python_in_either_layout(tmp_path, make_cmd, layout, python):
    folder = makefile_copy(tmp_path, layout)
    for target, command in (("monitor", "token_monitor.py"), ("test-py", "-m pytest"), ("demo", "-m demo")):
        result = make("-n", target, make_cmd=make_cmd, cwd=folder)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == f"{python} {command}"


@pytest.mark.parametrize("make_cmd", MAKES)
@pytest.mark.parametrize("os_name, python",
                         [("nt", ".venv/Scripts/python.exe"), ("posix", ".venv/bin/python")])
def test_setup_without_a_venv_asks_the_python_that_will_make_it(tmp_path, make_cmd, os_name, python):
    folder = makefile_copy(tmp_path, None)
    fake = tmp_path / "fake-python"  # answers the layout question as a Windows or POSIX Python would
    answer = "Scripts" if os_name == "nt" else "bin"
    fake.write_text(f'#!/bin/sh\ncase "$2" in *os.name*) echo {answer} ;; esac\n')
    fake.chmod(0o755)
    result = make("-n", "setup", f"PYTHON={fake}", make_cmd=make_cmd, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert f"test -x {python} || {fake} -m venv .venv" in result.stdout
    assert f"{python} -m pip install" in result.stdout
