"""xxgk as a wheel: built, installed into a fresh virtualenv (no source tree on the path), every
module imports, the files read at run time are there, and `xxgk run` loads a bundled sample.

`make` installs with -e, which hides a package or a data file the wheel leaves out: a list of
packages by hand once missed xxgk.ocr (now xxgk.readers.pdf.ocr), and the installed `xxgk run` failed at its first scan.
"""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from assets.resources import PROJECT_ROOT

pytestmark = pytest.mark.slow

PACKAGES = ("xxgk", "pipelines", "assets", "expectations", "warehouse")
# what the code reads from inside its packages at run time
DATA = ("xxgk/spec/*.csv", "xxgk/spec/divisions/*", "xxgk/samples/*", "warehouse/sql/**/*.sql", "pipelines/dagster.yaml")
SAMPLE = "lingdong-2023.txt"


def _uv() -> str:
    uv = Path(sys.executable).with_name("uv")
    return str(uv) if uv.exists() else shutil.which("uv")


def _source_copy(target: Path) -> Path:
    """The files a build reads (the packages, pyproject.toml, README.md), without anything a run left."""
    # what `make run` leaves in warehouse/ beside the package (warehouse/sql/overview/ is the package's own)
    outputs = {"staging", "data_docs", "archive", "overview", "export"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        left = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".duckdb", ".wal"))}
        return left | (outputs & set(names) if Path(folder) == PROJECT_ROOT / "warehouse" else set())

    for package in PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, target / package, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, target / name)
    return target


def _install(args: list[str], env: dict) -> None:
    """uv pip install from its cache, the dev environment's versions as constraints; online if the cache lacks one."""
    offline = subprocess.run([*args, "--offline"], env=env, capture_output=True, text=True)
    if offline.returncode != 0:
        subprocess.run(args, env=env, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a fresh virtualenv with the wheel (and the project's dependencies) installed."""
    root = tmp_path_factory.mktemp("wheel")
    source = _source_copy(root / "src")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DAGSTER_HOME")
           and not k.startswith("XXGK_")}
    uv = _uv()
    subprocess.run([uv, "build", "--wheel", "--out-dir", str(root / "dist"), str(source)], env=env, check=True,
                   capture_output=True)
    wheel = next((root / "dist").glob("xxgk-*.whl"))
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(root / "venv")], env=env, check=True)
    python = root / "venv" / "bin" / "python"
    frozen = subprocess.run([uv, "pip", "freeze", "-p", sys.executable], env=env, check=True, capture_output=True,
                            text=True).stdout
    constraints = root / "constraints.txt"
    constraints.write_text("".join(line + "\n" for line in frozen.splitlines()
                                   if line and not line.startswith(("xxgk", "-e ")) and " @ " not in line))
    # with the extras that modules import (pipelines.distributed: dagster-celery), so that every module can
    _install([uv, "pip", "install", "-q", "-p", str(python), "-c", str(constraints), f"{wheel}[bi,distributed]"], env)
    return python


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DAGSTER_HOME")
           and not k.startswith("XXGK_")}
    return {**env, **extra}


def test_every_module_imports_from_the_wheel(installed, tmp_path):
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import xxgk.readers.pdf.ocr  # the package a hand-written list left out
        failed, count = [], 0
        for name in {PACKAGES!r}:
            package = importlib.import_module(name)
            assert "site-packages" in package.__file__, package.__file__
            for info in pkgutil.walk_packages(package.__path__, name + "."):
                count += 1
                try:
                    module = importlib.import_module(info.name)
                    assert "site-packages" in module.__file__, module.__file__
                except Exception as error:
                    failed.append(f"{{info.name}}: {{type(error).__name__}}: {{error}}")
        print(count)
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
    """)
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    in_source = sum(1 for package in PACKAGES for p in (PROJECT_ROOT / package).rglob("*.py")
                    if p.name != "__init__.py" or p.parent != PROJECT_ROOT / package)
    assert int(done.stdout.split()[0]) == in_source  # every module of the source tree, each from the wheel


def _ask(python: Path, code: str, cwd: Path) -> str:
    """What `code` prints, run by `python` in `cwd` (not the source tree: it would be imported from there)."""
    return subprocess.run([str(python), "-c", code], cwd=cwd, env=_clean_env(), check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_files_read_at_run_time_are_in_the_wheel(installed, tmp_path):
    site = Path(_ask(installed, "import xxgk, pathlib; print(pathlib.Path(xxgk.__file__).parents[1])", tmp_path))
    assert site.name == "site-packages", site
    for pattern in DATA:
        wanted = sorted(str(p.relative_to(PROJECT_ROOT)) for p in PROJECT_ROOT.glob(pattern) if p.is_file())
        assert wanted, pattern
        assert sorted(str(p.relative_to(site)) for p in site.glob(pattern) if p.is_file()) == wanted, pattern


def test_the_installed_xxgk_run_loads_a_bundled_sample(installed, tmp_path):
    """Run from another folder, with no DAGSTER_HOME: the warehouse's folder holds its instance,
    with the project's dagster.yaml, and its settings; nothing goes into the folder it ran in."""
    sample = Path(_ask(installed, f"from xxgk import SAMPLES_DIR; print(SAMPLES_DIR / {SAMPLE!r})", tmp_path))
    assert sample.is_file() and "site-packages" in str(sample)
    work = tmp_path / "elsewhere"
    work.mkdir()
    warehouse = tmp_path / "out" / "w.duckdb"
    done = subprocess.run([str(installed.parent / "xxgk"), "run", "--inbox", str(sample), "--warehouse", str(warehouse)],
                          cwd=work, env=_clean_env(XXGK_DATA_DOCS_ENABLED="0"), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reports loaded:    1" in done.stdout, done.stdout
    with duckdb.connect(str(warehouse.with_name("w.published.duckdb")), read_only=True) as con:
        cells = con.execute("SELECT count(*) FROM document_cell").fetchone()[0]
    assert cells > 150, cells
    assert (warehouse.parent / "dagster_home" / "dagster.yaml").read_bytes() == (PROJECT_ROOT / "dagster.yaml").read_bytes()
    assert (warehouse.parent / "xxgk.yaml").is_file() and list(work.iterdir()) == []
    assert "usage statistics" not in done.stdout + done.stderr  # Dagster's telemetry notice: off in dagster.yaml
