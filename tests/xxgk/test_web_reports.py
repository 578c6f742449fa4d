"""Web pages and Word files as publishers make them: every cell at its position, checked
against the values written by hand in tests/fixtures/web_reports.py."""
import polars as pl
import pytest

from tests.conftest import require_soffice
from tests.fixtures.web_reports import COUNTY_2019, FIXTURES, PROVINCE_2021, want, word_docx, word_html
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.normalise import normalise_document
from xxgk.readers.html import html_document

KEY = ["category_code", "applicant_type", "measure"]


def extracted(path):
    doc = normalise_document(read_document(path))
    return doc, extract_report(doc)


def assert_every_cell(report, got: pl.DataFrame) -> None:
    expected = want(report)
    joined = expected.join(got, on=KEY, how="full", nulls_equal=True, suffix="_got")
    wrong = joined.filter(pl.col("category_code").is_null() | pl.col("category_code_got").is_null()
                          | ~pl.col("value").eq_missing(pl.col("value_got")) | ~pl.col("printed").eq_missing(pl.col("printed_got")))
    assert wrong.is_empty(), wrong.select(*KEY, "value", "value_got", "printed", "printed_got", "cell_status")
    assert got.height == expected.height


@pytest.mark.parametrize("name", FIXTURES)
def test_every_cell_of_a_published_layout(tmp_path, name):
    report, write, suffix = FIXTURES[name]
    path = tmp_path / f"{name}{suffix}"
    write(path)
    doc, extraction = extracted(path)
    assert (doc.agency, doc.year, doc.format_version) == (report.agency, report.year, report.template)
    assert_every_cell(report, extraction.cells_frame())
    kinds = {w["kind"] for w in extraction.warnings}
    assert kinds <= {"inferred_zero"}, extraction.warnings
    assert not extraction.notes or all("grid and text stream disagree" in n for n in extraction.notes)


def test_word_html_keeps_blanks_and_merged_labels_as_grid_positions():
    rows, grids = html_document(word_html(PROVINCE_2021))
    assert len(grids) == 5  # the CMS's info table, table 二, table 三 in two parts, table 四
    part1, part2 = grids[2], grids[3]
    assert part1.n_cols == part2.n_cols == 10
    result_group = part1.cell_at(part1.n_rows - 1, 0)
    # rowspan=22 (all the result rows) cut where Word split the table
    assert result_group.text == "三、本年度办理结果" and (result_group.row, result_group.rowspan) == (5, part1.n_rows - 5)
    # the second part starts inside （三）不予公开: Word leaves empty merged label cells there
    first = part2.cell_at(0, 2)
    assert first.text == "5.属于三类内部事务信息" and part2.cell_at(0, 1).text == "" and part2.cell_at(0, 1).rowspan == 4
    # a blank is an empty cell at its position, not a gap
    partial = next(r for r in range(part1.n_rows) if part1.cell_at(r, 1).text.startswith("（二）部分公开"))
    assert [part1.cell_at(partial, c).text for c in range(3, 10)] == ["10", "2", "", "", "", "", "12"]
    # header text padded with &nbsp; runs, malformed colspan="5;"
    head = part1.cell_at(1, 4)
    assert head.text == "法人或其他组织" and head.colspan == 5


def test_the_grid_and_the_stream_disagree_on_a_blank_page_and_the_reader_check_says_so(tmp_path):
    path = tmp_path / "province.html"
    path.write_bytes(word_html(PROVINCE_2021))
    doc, extraction = extracted(path)
    stream_only = normalise_document(read_document(path))
    stream_only.grids = []
    from_stream = extract_report(stream_only)
    # the token stream reads a row printed all blank in table 三 (seven empty cells on its label's
    # line) and table 四's nine blanks; a row of table 二 printed blank it cannot see: the grid can
    missing = {w["category_code"] for w in from_stream.warnings if w["kind"] == "missing_row"}
    assert missing == {"active.coercion"}
    assert not any(c["cell_status"] == "not_placed" for c in from_stream.cells)
    assert not any(c["cell_status"] == "not_placed" for c in extraction.cells)
    assert not any(w["kind"] == "missing_row" for w in extraction.warnings)
    assert extraction.notes == ["table 二: grid and text stream disagree on 1 cells (e.g. active.coercion[decisions]: grid "
                                "blank, stream absent); the grid's reading is kept (10 cells placed on the grid, 9 from the stream)"]


def test_a_doc_file_without_libreoffice_is_rejected_naming_what_to_install(tmp_path, monkeypatch):
    from xxgk.documents import DocumentRejected
    from xxgk.readers import word

    monkeypatch.setattr(word.shutil, "which", lambda name: None)
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(DocumentRejected, match="libreoffice-writer-nogui"):
        read_document(path)


def test_a_doc_file_is_converted_by_libreoffice_and_loses_no_cell(tmp_path):
    """A Word 97-2003 file, made from the .docx fixture by LibreOffice itself."""
    import subprocess

    from xxgk.readers.word import soffice

    require_soffice()
    word_docx(COUNTY_2019, tmp_path / "county.docx")
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "doc",
                    "--outdir", str(tmp_path / "doc"), str(tmp_path / "county.docx")], check=True, capture_output=True, timeout=120)
    doc, extraction = extracted(tmp_path / "doc" / "county.doc")
    assert (doc.format, doc.reader, doc.reader_check) == ("doc", "docx", "converted from .doc by LibreOffice")
    assert_every_cell(COUNTY_2019, extraction.cells_frame())
