"""Line and branch coverage of the pytest suite, child processes included: the server started
through run.sh, the simulator's subprocesses, and the jq workers (`python -I`, empty environment).

Usage: python dev/coverage_run.py [PYTEST_ARGS...]     (make coverage ARGS="...")

Child processes get no environment variable that could start coverage.py: the tests pass the
server only what it needs, and the jq workers get an empty environment. So for the length of the
run a start-up hook goes into the venv's site-packages (a .pth file, which `python -I` still reads),
measuring every Python process started from this venv; it is removed when the run ends, also on
Ctrl-C or SIGTERM. The jq worker notices it is measured (jq_sandbox._coverage) and saves after each
answer, since it usually ends by SIGKILL. Nothing in production changes: without the hook no
process imports coverage.py.

Data and reports go to .cache/coverage/: report.txt (per module, with the lines and branches not
reached) and html/. Exit code: pytest's (the report is written either way), 2 when the venv has no
coverage.py.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".cache" / "coverage"
RC = OUT / "coveragerc"
HOOK_MODULE = "_zoom_mcp_coverage_hook"
PTH = "zoom_mcp_coverage.pth"

# Paths are absolute: the processes measured run from temporary folders.
RC_TEXT = """\
[run]
branch = true
parallel = true
# uvicorn re-raises the SIGTERM that stopped it (the HTTP server): save on the way out.
sigterm = true
data_file = {out}/data
source = {root}
omit =
    {root}/tests/*
    {root}/.venv/*
    {root}/.cache/*
disable_warnings = no-data-collected, module-not-imported, module-not-measured

[report]
precision = 1
show_missing = true
skip_empty = true
exclude_also =
    if __name__ == .__main__.:
    raise AssertionError\\("unreachable"\\)

[html]
directory = {out}/html
"""

# Started by the .pth file in every Python process of the venv while the run lasts.
HOOK_TEXT = '''\
"""zoom-mcp `make coverage` (dev/coverage_run.py): measure this process. Removed when the run ends."""
import atexit
import os

if os.path.exists({rc!r}):
    import coverage

    _cov = coverage.Coverage(config_file={rc!r})
    _cov.start()

    @atexit.register
    def _save():
        _cov.stop()
        _cov.save()
'''


class Stopped(Exception):
    pass


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def main(argv: list[str]) -> int:
    try:
        import coverage  # noqa: F401 - only whether it is there
    except ImportError:
        print("ERROR: coverage.py is not in this venv: run make setup (it is in requirements-dev.txt)",
              file=sys.stderr)
        return 2
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    RC.write_text(RC_TEXT.format(out=OUT, root=ROOT), encoding="utf-8")
    hook, pth = site_packages() / f"{HOOK_MODULE}.py", site_packages() / PTH

    def on_sigterm(signum, frame):
        raise Stopped

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        hook.write_text(HOOK_TEXT.format(rc=str(RC)), encoding="utf-8")
        pth.write_text(f"import {HOOK_MODULE}\n", encoding="utf-8")
        code = subprocess.call([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv], cwd=ROOT)
    except (KeyboardInterrupt, Stopped):
        print("stopped; the coverage hook is removed from the venv", file=sys.stderr)
        return 130
    finally:
        pth.unlink(missing_ok=True)
        hook.unlink(missing_ok=True)
    coverage_cli = [sys.executable, "-m", "coverage"]
    subprocess.run([*coverage_cli, "combine", f"--rcfile={RC}", "-q"], cwd=ROOT, check=True)
    with open(OUT / "report.txt", "w", encoding="utf-8") as report:
        subprocess.run([*coverage_cli, "report", f"--rcfile={RC}"], cwd=ROOT, stdout=report, check=False)
    subprocess.run([*coverage_cli, "html", f"--rcfile={RC}", "-q"], cwd=ROOT, check=False)
    print((OUT / "report.txt").read_text(encoding="utf-8"))
    print(f"coverage: {OUT / 'report.txt'} and {OUT / 'html' / 'index.html'} (pytest exit code {code})")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
