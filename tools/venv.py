"""Make or update a virtual environment from a lock file.

    python3 tools/venv.py DIRECTORY LOCK

The environment is made by the Python that runs this script, if DIRECTORY has none yet. It
first gets the installer pinned in requirements-pip.lock, every file checked against its hash,
so an install never depends on the pip bundled with the interpreter (an old bundled pip can
misread a lock once upstream releases something new), and the setuptools that builds the
locks' source-only packages; that pip then installs LOCK with its hashes. A lock that does
not install stops here with a message naming it.

The Makefile makes every environment this way (.venv, .venv-scan, .venv-bench), and
.ci/check-locks builds each lock into a brand-new environment of the oldest Python the portal
supports with it.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLER_LOCK = ROOT / "requirements-pip.lock"
PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--require-hashes"]


def main(directory: Path, lock: Path) -> int:
    python = directory / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    starting_pip = _pip_version(python)
    steps = [
        (INSTALLER_LOCK, [str(python), *PIP, "--no-deps", "-r", str(INSTALLER_LOCK)]),
        # Source-only packages build with the setuptools just installed, not with whatever
        # setuptools upstream released last (pip's isolated build would fetch that).
        (lock, [str(python), *PIP, "--no-build-isolation", "-r", str(lock)]),
    ]
    for step_lock, command in steps:
        if subprocess.run(command, check=False).returncode != 0:
            print(
                f"\n{_name(step_lock)} did not install into {directory} "
                f"(Python {_python_version(python)}, starting from pip {starting_pip}, "
                f"now pip {_pip_version(python)}): see pip's error above.",
                file=sys.stderr,
            )
            return 1
    return 0


def _name(lock: Path) -> str:
    try:
        return str(lock.resolve().relative_to(ROOT))
    except ValueError:
        return str(lock)


def _python_version(python: Path) -> str:
    return _ask(python, "import platform; print(platform.python_version())")


def _pip_version(python: Path) -> str:
    return _ask(python, "import pip; print(pip.__version__)")


def _ask(python: Path, code: str) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
