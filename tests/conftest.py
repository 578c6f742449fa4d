import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.expected import EXPECTED_DIR, SAMPLE_FILES, expected_cells, expected_reports  # noqa: F401 (for the tests)


@pytest.fixture(scope="session")
def ci() -> bool:
    return in_ci()


# Debian packages some tests need (.ci/run installs them; the README lists them).
MISSING_PACKAGE = "missing Debian package"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def bi_warehouse(tmp_path_factory) -> dict[str, str]:
    """The samples and an aliased 2024 report, loaded by `xxgk run` (tests/bi_fixture.py)."""
    from tests.bi_fixture import build

    return build(tmp_path_factory.mktemp("bi"))


# `make test-fast`: the pure logic. Whole pipelines, the browser, and the modules below (they
# start worker pools, OCR, generate PDFs, validate with Great Expectations, kill processes or
# build virtualenvs) are marked `slow`; `make test` runs everything.
SLOW_FOLDERS = ("pipelines", "browser")
SLOW_MODULES = {"test_ocr.py", "test_extract_synthetic.py", "test_parallel.py", "test_helper.py", "test_crash_safety.py",
                "test_bi_clients.py", "test_bi_views.py", "test_data_docs.py", "test_synthetic.py",
                "test_gates.py", "test_year_carry.py", "test_dictionary.py", "test_summary.py", "test_versions.py",
                "test_web_reports.py", "test_loader.py", "test_damage_properties.py", "test_pdf_grid.py",
                "test_writer.py", "test_makefile.py", "test_analysis_views.py", "test_metrics.py",
                # whole loads into DuckDB, over and over (14 s for one test here); worker processes
                # held to their time and memory budgets (a scan's OCR timed out: 13 s)
                "test_accumulate.py", "test_budget.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        path = item.path
        if path.parent.name in SLOW_FOLDERS or path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def require_package(package: str, present: bool) -> None:
    """Skip a test whose Debian package is missing, with a reason the end of the run sums up;
    in CI (CI=true) a missing package is a failure."""
    if present:
        return
    if in_ci():
        pytest.fail(f"{MISSING_PACKAGE} {package}: CI must install it (.ci/run does)")
    pytest.skip(f"{MISSING_PACKAGE} {package}")


def require_chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    require_package("chromium", browser is not None)
    return browser


def require_soffice() -> str:
    from xxgk.readers.word import soffice

    binary = soffice()
    require_package("libreoffice-writer-nogui", binary is not None)
    return binary


def require_cjk_font() -> Path:
    require_package("fonts-wqy-microhei", CJK_FONT.exists())
    return CJK_FONT


def pytest_terminal_summary(terminalreporter):
    """Say loudly, last, which tests did not run for want of a package, and how to install it."""
    missing: Counter = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if MISSING_PACKAGE in reason:
            missing[reason.split(MISSING_PACKAGE, 1)[1].strip()] += 1
    if not missing:
        return
    terminalreporter.section("NOT RUN: Debian packages missing", sep="!", red=True, bold=True)
    for package, n in sorted(missing.items()):
        terminalreporter.write_line(f"{n} test{'s' if n != 1 else ''} skipped: {package} is not installed", red=True)
    terminalreporter.write_line(f"install them: sudo apt-get install {' '.join(sorted(missing))}   (with CI=true they fail instead)",
                                red=True, bold=True)
