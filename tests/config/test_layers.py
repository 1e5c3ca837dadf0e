"""The apps' dependency rule (README, "The dependency rule") is a contract: import-linter's
`lint-imports` reads it from pyproject.toml, and a new arrow the wrong way fails the suite."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "verification", "accounts", "devices", "cloud", "ecosystem")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_code_keeps_the_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _copy_of_the_apps(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(
            ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_an_arrow_the_wrong_way_breaks_the_layers(tmp_path):
    tree = _copy_of_the_apps(tmp_path)
    (tree / "accounts" / "upward.py").write_text("from devices.models import Device\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert (
        "Layers: config <- verification <- accounts <- devices, cloud, ecosystem BROKEN"
        in " ".join(result.stdout.split())
    )
    assert "accounts.upward -> devices.models" in result.stdout


def test_devices_reaching_past_accounts_to_verification_breaks_the_contract(tmp_path):
    tree = _copy_of_the_apps(tmp_path)
    (tree / "devices" / "texts.py").write_text("from verification.models import Channel\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "devices.texts -> verification.models" in result.stdout
