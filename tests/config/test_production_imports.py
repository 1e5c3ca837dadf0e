"""Nothing a production process loads comes from tests/: the apps, their settings and workers,
and the bench's stack keep import-linter's contract in importlinter-production.toml, and an
import of the suite from any of them breaks it."""

import shutil
import subprocess
from pathlib import Path

from tests.config.test_layers import LINT_IMPORTS, ROOT, lint_imports

CONTRACT = "importlinter-production.toml"
PACKAGES = ("config", "verification", "accounts", "devices", "cloud", "ecosystem", "bench", "tests")


def _run(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", CONTRACT],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo", "results", "browser"),
        )
    shutil.copy(ROOT / CONTRACT, tmp_path / CONTRACT)
    return tmp_path


def test_production_code_and_the_bench_keep_out_of_tests():
    result = _run(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Production code and the bench do not import tests KEPT" in result.stdout


def test_the_layers_contract_is_still_read_from_pyproject():
    """The second file does not hide the first: `lint-imports` alone still checks the layers."""
    result = lint_imports(ROOT)
    assert "Layers: config <- verification <- accounts" in " ".join(result.stdout.split())


def test_a_bench_module_importing_the_suite_breaks_the_contract(tmp_path):
    tree = _copy_of_the_code(tmp_path)
    (tree / "bench" / "twilio.py").write_text("from tests.doubles import twilio_error\n")
    result = _run(tree)
    assert result.returncode == 1
    assert "bench.twilio -> tests.doubles" in result.stdout


def test_an_app_importing_the_suite_breaks_the_contract(tmp_path):
    tree = _copy_of_the_code(tmp_path)
    (tree / "accounts" / "helpers.py").write_text("from tests import helpers\n")
    result = _run(tree)
    assert result.returncode == 1
    assert "accounts.helpers -> tests" in result.stdout
