"""Web pages and Word files through the whole graph (`xxgk run` into a temporary DuckDB): every
hand-written cell in v_disclosure_facts, the three publications of one report agreeing."""

import polars as pl
import pytest

from tests.fixtures.web_reports import COUNTY_2019, PROVINCE_2021, cms_html, want, word_docx, word_html

KEY = ["category_code", "applicant_type", "measure"]
from tests.pipelines.inbox_run import run_inbox
from warehouse.loader import connect

FILES = {
    "province-2022.html": lambda p: p.write_bytes(word_html(PROVINCE_2021)),
    "province-2022-attachment.docx": lambda p: word_docx(PROVINCE_2021, p),
    "province-2022-cms.html": lambda p: p.write_bytes(cms_html(PROVINCE_2021)),
    "county-2020.htm": lambda p: p.write_bytes(word_html(COUNTY_2019, split_table3_before="result.unavailable.needs_creation")),
    "county-2020.docx": lambda p: word_docx(COUNTY_2019, p),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, write in FILES.items():
        write(inbox / name)
    return run_inbox(root, inbox, workers="1")[0]


@pytest.mark.parametrize("report", [PROVINCE_2021, COUNTY_2019], ids=["2021-template", "2019-template"])
def test_every_hand_written_cell_is_in_the_view(warehouse, report):
    with connect(warehouse, read_only=True) as con:
        got = con.sql(f"SELECT * FROM v_disclosure_facts WHERE agency = '{report.agency}'").pl()
    assert got.select("year", "format_version").unique().rows() == [(report.year, report.template)]
    expected = want(report)
    joined = expected.join(got, on=KEY, how="full", nulls_equal=True, suffix="_got")
    wrong = joined.filter(pl.col("category_code").is_null() | pl.col("category_code_got").is_null()
                          | ~pl.col("value").eq_missing(pl.col("value_got")) | ~pl.col("printed").eq_missing(pl.col("printed_got")))
    assert wrong.is_empty(), wrong
    assert got.height == expected.height


def test_a_page_and_its_word_attachment_are_one_report_and_agree_cell_for_cell(warehouse):
    with connect(warehouse, read_only=True) as con:
        docs = con.execute("""SELECT regexp_extract(source_file, '[^/]+$'), format, reader, status FROM dim_document
                              ORDER BY 1""").fetchall()
        differences = con.execute("SELECT count(*) FROM fact_version_difference").fetchone()[0]
    assert {(name, fmt, reader) for name, fmt, reader, _ in docs} == {
        ("county-2020.docx", "docx", "docx"), ("county-2020.htm", "html", "html"),
        ("province-2022-attachment.docx", "docx", "docx"), ("province-2022-cms.html", "html", "html"),
        ("province-2022.html", "html", "html")}
    assert sorted(status for *_, status in docs) == ["loaded", "loaded", "superseded", "superseded", "superseded"]
    assert differences == 0  # three readers, three layouts, the same cells



def test_reader_check_says_where_grid_and_stream_disagree(warehouse):
    with connect(warehouse, read_only=True) as con:
        check = con.execute("SELECT reader_check FROM dim_document WHERE source_file LIKE '%/province-2022.html'").fetchone()[0]
    # a row of table 二 printed all blank is lost to the token stream (table 三's and 四's it reads)
    assert check.startswith("table 二: grid and text stream disagree on 1 cells") and "the grid's reading is kept" in check
    assert "table 三" not in check and "table 四" not in check


def test_inferred_and_derived_cells_keep_their_status(warehouse):
    with connect(warehouse, read_only=True) as con:
        rows = con.execute("""SELECT a.agency_name, f.category_code, f.cell_status, count(*), sum(f.value)
                              FROM fact_application f JOIN dim_agency a USING (agency_id)
                              WHERE f.cell_status IN ('inferred', 'derived') GROUP BY ALL ORDER BY ALL""").fetchall()
    assert rows == [(COUNTY_2019.agency, "result.not_processed.excessive", "inferred", 1, 0.0),
                    (PROVINCE_2021.agency, "result.other", "derived", 7, None)]
