"""Data Docs written next to the gates: readable with no network, checked in headless Chromium.

The screenshot test is skipped when no Chromium is installed, unless CI=true (then it fails).
Set XXGK_SCREENSHOT_DIR to keep the PNGs and look at them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from gate_samples import cells_of, damaged_fuxin, sample_cells, set_values_after, write_variant

from expectations.gates import validate_reports, validate_year_carry
from tests.conftest import require_chromium
from xxgk import SAMPLES_DIR

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
REMOTE = re.compile(r"""<(?:link|script|img)\b[^>]*(?:src|href)=["']https?://""", re.I)


def write_docs(tmp_path: Path) -> Path:
    """A run with one violation (qidong's 行政复议 total 6 -> 7) and incomplete rows (damaged fuxin)."""
    text = (SAMPLES_DIR / "qidong-office-2023.txt").read_text(encoding="utf-8")
    wrong = write_variant(tmp_path, "qidong-wrong-review.txt", set_values_after(text, "四、政府信息公開行政復", ["7"], skip=4))
    docs = tmp_path / "docs"
    gate = validate_reports(pl.concat([cells_of(wrong), cells_of(damaged_fuxin(tmp_path))]), data_docs_dir=docs)
    assert gate.data_docs_index == docs.resolve() / "index.html"
    return docs


def test_pages_are_self_contained(tmp_path):
    docs = write_docs(tmp_path)
    summary = (docs / "report_identities.html").read_text(encoding="utf-8")
    assert "T4_GROUP_SUM" in summary and "group review" in summary
    assert "result.denied.state_secret[natural_person]=not placed (line 63)" in summary
    gx_page = re.search(r'href="(validations/[^"]+\.html)"', summary).group(1)
    gx_pages = [docs / gx_page, docs / "expectations" / "report_identities.html"]
    for page in [docs / "index.html", docs / "report_identities.html", *gx_pages]:
        text = page.read_text(encoding="utf-8")
        assert not REMOTE.search(text), f"{page} still loads something from the network"
    for page in (docs / "index.html", docs / "report_identities.html"):
        assert "<script" not in page.read_text(encoding="utf-8")
    assert "group review" in gx_pages[0].read_text(encoding="utf-8")  # GX names the failing instance too


def test_index_lists_every_suite_written_to_the_folder(tmp_path):
    docs = write_docs(tmp_path)
    validate_year_carry(sample_cells("qidong-office-2023.txt"), data_docs_dir=docs)
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert 'href="report_identities.html"' in index and 'href="year_carry.html"' in index
    assert (docs / "year_carry.html").exists()


def screenshot(page: Path, png: Path, profile: Path) -> None:
    # The proxy to a closed port makes the page load as it would with no network at all.
    subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--proxy-server=http://127.0.0.1:9", f"--screenshot={png}", "--window-size=1280,2000", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )


def test_pages_render_offline_in_headless_chromium(tmp_path):
    require_chromium()
    Image = pytest.importorskip("PIL.Image")
    docs = write_docs(tmp_path)
    out = Path(os.environ.get("XXGK_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    summary = (docs / "report_identities.html").read_text(encoding="utf-8")
    gx_page = docs / re.search(r'href="(validations/[^"]+\.html)"', summary).group(1)
    for name, page in (("index", docs / "index.html"), ("summary", docs / "report_identities.html"), ("gx", gx_page)):
        png = out / f"data-docs-{name}.png"
        screenshot(page, png, tmp_path / f"profile-{name}")
        image = Image.open(png).convert("RGB")
        assert image.size == (1280, 2000)
        pixels = list(image.getdata())
        inked = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
        assert inked > 0.002, f"{name}: page rendered (almost) blank"
        if name != "gx":
            # the red 'violations' badge is drawn: the stylesheet is applied
            assert sum(1 for p in pixels if p == (253, 226, 226)) > 200, f"{name}: no styled violations badge"
        print(f"{name}: {png}")


def _gx_validation_page(docs: Path) -> Path:
    summary = (docs / "report_identities.html").read_text(encoding="utf-8")
    return docs / re.search(r'href="(validations/[^"]+\.html)"', summary).group(1)


def test_gx_pages_carry_no_placeholder_values_pandas_code_or_tracking_links(tmp_path):
    page = _gx_validation_page(write_docs(tmp_path)).read_text(encoding="utf-8")
    for noise in ("Unexpected Value", "EMPTY", "df.filter(", "To retrieve all unexpected values", "utm_", "newsletter"):
        assert noise not in page, noise
    # the failing instance is still there, with both sides
    row = re.search(r"<tr>(?:(?!</tr>).)*group review(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>|\s+", "", c) for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert cells[-4:] == ["T4_GROUP_SUM", "groupreview", "6.0", "7.0"]


def test_years_share_one_small_static_folder_and_old_runs_are_removed(tmp_path):
    """GX copies 4 MB of fonts and images into each site; two files of it are used."""
    cells = sample_cells("dongning-2023.txt")
    for year in ("2023", "2024"):
        for _ in range(7):
            validate_reports(cells, data_docs_dir=tmp_path / "docs" / year)
    docs = tmp_path / "docs"
    assert sorted(p.name for p in docs.iterdir()) == ["2023", "2024", "static"]
    assert sorted(p.relative_to(docs).as_posix() for p in (docs / "static").rglob("*.*")) == [
        "static/images/favicon.ico", "static/images/logo-long.png"]
    size = sum(p.stat().st_size for p in docs.rglob("*") if p.is_file())
    assert size < 400_000, size
    for year in ("2023", "2024"):
        runs = list((docs / year / "validations" / "report_identities").glob("*/*"))
        assert len(runs) == 5  # keep_runs: the last five
        for page in (docs / year).rglob("*.html"):
            for ref in re.findall(r'(?:src|href)="([^"#:]+)"', page.read_text(encoding="utf-8")):
                assert (page.parent / ref).resolve().exists(), (page, ref)


def test_every_quality_status_has_a_styled_badge():
    from expectations.datadocs import _CSS

    for status in ("passed", "violations", "incomplete_extraction", "printed_blanks", "violations_and_incomplete"):
        assert re.search(rf"\.{status}\b[^{{]*\{{[^}}]*background", _CSS), status


def test_scopes_show_the_reports_own_chinese_labels(tmp_path):
    summary = (write_docs(tmp_path) / "report_identities.html").read_text(encoding="utf-8")
    assert 'group review<br><span class="zh">行政复议</span>' in summary
    assert 'column natural_person<br><span class="zh">自然人</span>' in summary
    assert 'row result.granted<br><span class="zh">（一）予以公开</span>' in summary
