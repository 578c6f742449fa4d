"""The Makefile as a new user meets it: help, the Python it needs, progress, and tests that cannot run."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assets.resources import PROJECT_ROOT

MAKE = shutil.which("make")
PY310 = shutil.which("python3.10") if shutil.which("python3.10") and subprocess.run(
    ["python3.10", "-c", "pass"], capture_output=True).returncode == 0 else None


def _make(*args, cwd=PROJECT_ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([MAKE, "--no-print-directory", *args], cwd=cwd, env=env or dict(os.environ), capture_output=True,
                          text=True, timeout=120)


def _project_copy(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    return tmp_path


def _old_python(tmp_path: Path) -> str:
    """A Python 3.10: the real one when installed, else an interpreter that reports 3.10 as it would."""
    if PY310:
        return PY310
    fake = tmp_path / "python3.10"
    fake.write_text('#!/bin/sh\ncase "$*" in *platform*) echo 3.10.13;; esac\nexit 1\n')
    fake.chmod(0o755)
    return str(fake)


def test_make_alone_lists_every_target_with_its_comment():
    targets = re.findall(r"^([a-z][a-z-]*):[^#\n]*## (.+)$", (PROJECT_ROOT / "Makefile").read_text(), re.M)
    out = _make().stdout
    assert {"help", "setup", "run", "test", "ui", "ui-stop"} <= {t for t, _ in targets}
    for target, comment in targets:
        assert re.search(rf"^  {re.escape(target)} +{re.escape(comment)}$", out, re.M), (target, out)
    assert _make("help").stdout == out


def test_a_too_old_python_is_refused_with_what_to_run(tmp_path):
    (tmp_path / "p").mkdir()
    project = _project_copy(tmp_path / "p")
    result = _make("run", f"PYTHON={_old_python(tmp_path)}", cwd=project)
    assert result.returncode != 0
    assert "xxgk needs Python >= 3.11, but" in result.stderr and "is 3.10" in result.stderr
    assert "make PYTHON=python3.11 run" in result.stderr
    assert not (project / ".venv").exists()


def test_a_venv_made_by_python_3_10_is_removed_to_be_rebuilt(tmp_path):
    project = _project_copy(tmp_path)
    if PY310:
        subprocess.run([PY310, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    else:
        (project / ".venv" / "bin").mkdir(parents=True)
        os.symlink(_old_python(tmp_path), project / ".venv" / "bin" / "python")
    result = _make("check-python", f"PYTHON={sys.executable}", cwd=project)
    assert result.returncode == 0, result.stderr
    assert ".venv was made by Python 3.10" in result.stdout and "removing it and rebuilding" in result.stdout
    assert not (project / ".venv").exists()
    # a good .venv is left alone
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    assert _make("check-python", f"PYTHON={sys.executable}", cwd=project).stdout == ""
    assert (project / ".venv" / "bin" / "python").exists()


def test_the_install_shows_its_progress(tmp_path):
    project = _project_copy(tmp_path)
    dry = _make("-n", "setup", f"PYTHON={sys.executable}", cwd=project).stdout
    install = [line for line in dry.splitlines() if " install " in line]
    assert len(install) == 2 and all("--quiet" not in line and " -q" not in line for line in install), install


def _pytest_without_chromium(tmp_path, ci: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"  # a PATH with python and make, without chromium
    bin_dir.mkdir(exist_ok=True)
    env = {**os.environ, "PATH": str(bin_dir), "CI": ci}
    test = "tests/expectations/test_data_docs.py::test_pages_render_offline_in_headless_chromium"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_tests_that_need_a_missing_package_are_named_at_the_end(tmp_path):
    result = _pytest_without_chromium(tmp_path, ci="")
    assert result.returncode == 0
    tail = result.stdout[result.stdout.index("NOT RUN: Debian packages missing"):]
    assert "1 test skipped: chromium is not installed" in tail
    assert "install them: sudo apt-get install chromium" in tail


def test_in_ci_a_missing_package_fails(tmp_path):
    result = _pytest_without_chromium(tmp_path, ci="true")
    assert result.returncode == 1 and "missing Debian package chromium: CI must install it" in result.stdout


@pytest.mark.parametrize("package", ["make", "chromium", "fonts-wqy-microhei"])
def test_the_readme_lists_what_the_test_suite_needs(package):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme[readme.index("## Setting up"):]
    assert f"`{package}`" in setup.split("\n## ")[0]


def test_the_readme_install_line_names_every_debian_package_ci_installs():
    """A machine set up by the README's line runs `make test` green: it installs what .ci/run does."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^sudo apt-get install (.+)$", readme, re.M).group(1).split()
    ci = re.findall(r"apt-get install -y -qq (?:--no-install-recommends )?([a-z0-9 .+-]+?) >/dev/null",
                    (PROJECT_ROOT / ".ci" / "run").read_text())
    ci_packages = {p for group in ci for p in group.split()}
    assert ci_packages and ci_packages <= set(line), ci_packages - set(line)


def _planned_installs(project: Path, target: str) -> list[str]:
    """The install commands `make TARGET` would run in a fresh checkout (make -n: nothing runs)."""
    dry = _make("-n", target, f"PYTHON={sys.executable}", cwd=project).stdout
    return [line for line in dry.splitlines() if "pip install" in line]


def test_make_run_installs_what_running_needs_and_make_test_adds_the_test_extras(tmp_path):
    """Finding 5: `make run` installed `.[dev]` (moto, cfn-lint, pytest, …). It installs xxgk
    alone; `make test` (and test-fast, lint-imports) add the `test` extra."""
    import tomllib

    project = _project_copy(tmp_path)
    (project / "pipelines").mkdir()
    shutil.copy(PROJECT_ROOT / "pipelines" / "activate.sh", project / "pipelines")
    run = _planned_installs(project, "run")
    assert any(line.endswith(" -e .") for line in run), run
    assert not any("[" in line for line in run), run
    for target in ("test", "test-fast", "lint-imports"):
        assert any(line.endswith("-e '.[test]'") for line in _planned_installs(project, target)), target
    extras = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    running = " ".join(extras["dependencies"])
    for package in ("moto", "pytest", "hypothesis", "import-linter", "reportlab", "cfn-lint"):
        assert package not in running, package
    assert any(p.startswith("moto") for p in extras["optional-dependencies"]["test"])
