"""`xxgk review`: the findings about the loaded reports listed with stable ids; a verdict (open,
confirmed, dismissed), who gave it and why, recorded and kept through a reload of the document."""
from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout

import polars as pl

from expectations.gates import validate_reports
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from tests.fixtures.in_memory import extract_year, ingest, normalise_all
from warehouse.loader import YearBatch, connect, load_years
from warehouse.writer import open_writer, published_path
from xxgk.extract.year import REJECTED_SCHEMA

HONGZE = next(p for p in SAMPLE_FILES if p.suffix == ".pdf")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_review_a_finding_and_keep_the_verdict_through_a_reload(bi_warehouse, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(bi_warehouse["XXGK_WAREHOUSE"], warehouse)
    code, out, _ = cli("review", "--warehouse", str(warehouse), "--kind", "narrative")
    # the disagreements of the loaded reports' prose: hongze's 17 against 95, qidong 2023's 5 normative documents
    # against 22, and three of qidong 2024 (its table changed by hand, its prose not: tests/bi_fixture.py)
    assert code == 0 and out.endswith("5 findings\n")
    line = next(x for x in out.splitlines() if "淮安市洪泽区人民政府" in x)
    finding = line.split()[0]
    assert "narrative  page 1  [open]" in line
    code, out, _ = cli("review", finding, "--status", "dismissed", "--by", "analyst-1", "--warehouse", str(warehouse),
                       "--reason", "17 is what the district office handled; the table counts the district government's 95")
    assert code == 0 and "dismissed by analyst-1" in out
    identity = cli("review", "--warehouse", str(warehouse), "--kind", "identity")[1].splitlines()[0].split()[0]
    assert cli("review", identity, "--status", "confirmed", "--by", "analyst-2", "--reason", "上年结转3 against 0 carried forward",
               "--warehouse", str(warehouse))[0] == 0
    assert cli("review", "--warehouse", str(warehouse), "--status", "dismissed")[1].endswith("1 finding\n")

    def seen(path):
        with connect(path, read_only=True) as con:
            return (con.execute("SELECT finding_id, finding_kind, review_status, reviewed_by, review_reason FROM v_findings "
                                "WHERE review_status <> 'open' ORDER BY finding_kind").fetchall(),
                    con.execute("SELECT review_status, reviewed_by FROM v_narrative_checks WHERE source_file LIKE '%hongze-2024.pdf'").fetchall(),
                    con.execute("SELECT count(*) FROM v_identity_findings WHERE review_status = 'confirmed'").fetchone()[0])

    before = seen(warehouse)
    assert before == ([(identity, "identity", "confirmed", "analyst-2", "上年结转3 against 0 carried forward"),
                       (finding, "narrative", "dismissed", "analyst-1",
                        "17 is what the district office handled; the table counts the district government's 95")],
                      [("dismissed", "analyst-1")], 1)
    assert seen(published_path(warehouse)) == before  # the readers' copy has the verdicts too

    # hongze-2024.pdf loaded again: its cells, findings and statements are replaced, the verdict stays
    docs, _ = normalise_all(ingest([HONGZE]).documents)
    tables = extract_year(docs, 2024)
    cells = tables.cells.collect()
    gate = validate_reports(cells)
    documents = tables.documents.drop("violations").join(gate.per_document.select("document_id", "violations", "quality_status"),
                                                         on="document_id", how="left")
    with open_writer(warehouse) as con:
        load_years(con, YearBatch([2024], documents, cells, tables.warnings, gate.violations,
                                  pl.DataFrame(schema=REJECTED_SCHEMA), tables.statements))
    assert seen(warehouse) == before


def test_review_says_what_is_wrong(bi_warehouse, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(bi_warehouse["XXGK_WAREHOUSE"], warehouse)
    code, _, err = cli("review", "0123456789ab", "--status", "confirmed", "--reason", "x", "--warehouse", str(warehouse))
    assert code == 2 and "no finding '0123456789ab'" in err
    code, _, err = cli("review", "0123456789ab", "--status", "confirmed", "--warehouse", str(warehouse))
    assert code == 2 and "needs --status" in err
    code, _, err = cli("review", "--warehouse", str(tmp_path / "none.duckdb"))
    assert code == 2 and "warehouse not found" in err
