"""Two inboxes into one warehouse with `xxgk run`: the late arrival joins its year, nothing is
deleted, and every number stays traceable to archived bytes after the source files are gone."""
import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from tests.fixtures.in_memory import normalise_all
from tests.fixtures.synthetic import make_report
from warehouse.archive import archive_file
from warehouse.loader import connect
from xxgk.documents import read_document
from xxgk.extract.tables import extract_report

FIVE_2023 = [p for p in SAMPLE_FILES if "2023" in p.name]
LATE = make_report(11, "2021", year=2023)  # a sixth 2023 report, a PDF, arriving in a later folder


def _run(env: dict) -> None:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["run"]) == 0


VIEW_COLUMNS = ["agency", "year", "format_version", "category_code", "applicant_type", "measure", "value", "printed",
                "document_id", "source_file"]


def _facts(con) -> list[tuple]:
    return sorted(con.execute(f"SELECT {', '.join(VIEW_COLUMNS)} FROM v_disclosure_facts").fetchall(), key=repr)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("accumulate")
    first, later = root / "inbox-march", root / "inbox-may"
    first.mkdir()
    later.mkdir()
    for path in FIVE_2023:
        shutil.copy(path, first / path.name)
    LATE.write(later / "late-2023.pdf")
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {"XXGK_WAREHOUSE": str(root / "w.duckdb"), "DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0",
           "XXGK_STAGING": str(root / "staging")}
    _run({**env, "XXGK_INBOX": str(first)})
    with connect(env["XXGK_WAREHOUSE"], read_only=True) as con:
        after_first = _facts(con)
        assert len(after_first) == con.execute("SELECT sum(cells) FROM fact_report").fetchone()[0] > 900
    _run({**env, "XXGK_INBOX": str(later)})
    return {**env, "first": first, "later": later, "after_first": after_first, "archive": root / "archive"}


def test_a_later_inbox_adds_its_report_and_the_five_earlier_stay(two_runs):
    with connect(two_runs["XXGK_WAREHOUSE"], read_only=True) as con:
        agencies = [a for (a,) in con.execute(
            "SELECT agency_name FROM fact_report JOIN dim_agency USING (agency_id) WHERE year = 2023 ORDER BY 1").fetchall()]
        facts = _facts(con)
    assert len(agencies) == 6 and LATE.agency in agencies
    assert [f for f in facts if f[0] != LATE.agency] == two_runs["after_first"]
    late = pl.DataFrame(facts, schema=VIEW_COLUMNS, orient="row").filter(pl.col("agency") == LATE.agency)
    key = ["category_code", "applicant_type", "measure"]
    expected = pl.DataFrame(LATE.expected).select(*key, "value")
    got = expected.join(late.select(*key, pl.col("value").alias("loaded")), on=key, how="left", nulls_equal=True)
    assert got.height == len(LATE.expected) and got.filter(pl.col("value").ne_missing(pl.col("loaded"))).is_empty()


def test_the_archive_holds_every_documents_bytes_under_their_sha256(two_runs):
    with connect(two_runs["XXGK_WAREHOUSE"], read_only=True) as con:
        rows = con.execute("SELECT document_id, source_file, archive_key FROM dim_document").fetchall()
    assert len(rows) == 6
    for doc_id, source, key in rows:
        kept = archive_file(two_runs["archive"], key).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == key and key.startswith(doc_id)
        assert kept == Path(source).read_bytes()


def test_numbers_are_traced_to_archived_bytes_after_the_sources_are_deleted(two_runs):
    """Every inbox deleted: each fact's document still reads, from the archive, to the number loaded."""
    shutil.rmtree(two_runs["first"])
    shutil.rmtree(two_runs["later"])
    with connect(two_runs["XXGK_WAREHOUSE"], read_only=True) as con:
        facts = con.sql("""SELECT f.document_id, d.source_file, d.archive_key, f.category_code, f.applicant_type, f.measure,
                                  f.value, f.printed
                           FROM v_disclosure_facts f JOIN dim_document d USING (document_id)""").pl()
    assert facts.height > len(two_runs["after_first"]) + len(LATE.expected) - 1
    for (doc_id, source, key), loaded in facts.group_by("document_id", "source_file", "archive_key"):
        assert not Path(source).exists()
        data = archive_file(two_runs["archive"], key).read_bytes()
        # the archived file has no name: the loaded one gives the reader its format
        docs, rejected = normalise_all([read_document(Path(source), data)])
        assert not rejected and docs[0].document_id == doc_id
        cells = extract_report(docs[0]).cells_frame().select("category_code", "applicant_type", "measure", "value", "printed")
        key_cols = ["category_code", "applicant_type", "measure"]
        joined = loaded.select(*key_cols, "value", "printed").join(cells, on=key_cols, how="left", nulls_equal=True, suffix="_archived")
        assert joined.height == loaded.height == cells.height
        assert joined.filter(pl.col("printed").ne_missing(pl.col("printed_archived"))
                             | pl.col("value").ne_missing(pl.col("value_archived"))).is_empty()
