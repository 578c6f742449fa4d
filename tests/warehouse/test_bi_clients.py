"""What the README promises BI tools: SQLAlchemy reflection with comments, and the oldest DuckDB
client that opens the file (run in a venv of its own, as a BI tool's bundled engine would)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from warehouse.loader import connect

OLDEST_CLIENT = "1.1.3"  # the README's claim: DuckDB 1.1 and later 1.x
TOO_OLD_CLIENT = "1.0.0"  # cannot read the primary-key indexes newer DuckDB writes


def test_sqlalchemy_reflects_tables_views_columns_and_comments(bi_warehouse):
    path = bi_warehouse["XXGK_WAREHOUSE"]
    with connect(path, read_only=True) as con:
        catalog = dict(con.execute("""SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database()
                                      UNION ALL SELECT view_name, comment FROM duckdb_views()
                                      WHERE database_name = current_database() AND NOT internal""").fetchall())
        columns = {(t, c): m for t, c, m in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = current_database()").fetchall()}
    assert sa.__version__ == "2.0.54"  # the version pinned in pyproject.toml's `bi` extra
    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    try:
        meta = sa.MetaData()
        meta.reflect(engine, views=True)
        inspector = sa.inspect(engine)
        views = set(inspector.get_view_names())
    finally:
        engine.dispose()
    assert set(meta.tables) == set(catalog) and len(catalog) == 36
    assert views == {"v_disclosure_facts", "v_report_overview", "v_year_over_year", "v_identity_findings", "v_category_values",
                     "v_applications_wide", "v_application_counts", "v_active_disclosure", "v_review_litigation",
                     "v_metric_inputs", "v_metrics", "v_narrative_checks", "v_findings"}
    assert {name: table.comment for name, table in meta.tables.items()} == catalog
    assert {(t.name, c.name): c.comment for t in meta.tables.values() for c in t.columns} == columns
    assert meta.tables["dim_agency"].c.county_code.comment.startswith("GB/T 2260 code of the county-level division")
    assert isinstance(meta.tables["v_report_overview"].c.received.type, sa.BigInteger)


def _venv_with_duckdb(root: Path, version: str) -> Path:
    """A venv holding only duckdb==version, made with uv (installed in the project's .venv by `make setup`)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not found")
    venv = root / f"duckdb-{version}"
    try:
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True, capture_output=True, timeout=120)
        subprocess.run([uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"), f"duckdb=={version}"],
                       check=True, capture_output=True, timeout=300)
    except subprocess.CalledProcessError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise
        pytest.skip(f"duckdb {version} could not be installed: {exc.stderr.decode()[-200:]}")
    return venv / "bin" / "python"


_QUERY = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({
    "version": duckdb.__version__,
    "facts": con.execute("SELECT count(*) FROM v_disclosure_facts").fetchone()[0],
    "hongze": con.execute("SELECT received, denied, review_total FROM v_report_overview WHERE region_code = '320813'").fetchone(),
    "comment": con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'dim_agency'").fetchone()[0],
    # the safe views, the metrics and the prose checks: labels through the code_label macros
    "wide": con.execute("SELECT total_printed, total_reconciled, level_label FROM v_applications_wide "
                        "WHERE region_code = '320813' AND category_code = 'application.new_received'").fetchone(),
    "metric": con.execute("SELECT round(value, 4), metric_status FROM v_metrics WHERE region_code = '320813' "
                          "AND metric = 'disclosure_rate'").fetchone(),
    "narrative": con.execute("SELECT count(*) FROM v_narrative_checks").fetchone()[0],
    "findings": con.execute("SELECT count(*) FROM v_findings").fetchone()[0],
}))
"""


def test_the_oldest_duckdb_client_claimed_opens_the_file(bi_warehouse, tmp_path_factory):
    python = _venv_with_duckdb(tmp_path_factory.mktemp("clients"), OLDEST_CLIENT)
    out = subprocess.run([str(python), "-c", _QUERY, bi_warehouse["XXGK_WAREHOUSE"]], check=True, capture_output=True,
                         timeout=120, text=True).stdout
    got = json.loads(out)
    with connect(bi_warehouse["XXGK_WAREHOUSE"], read_only=True) as con:
        facts = con.execute("SELECT count(*) FROM v_disclosure_facts").fetchone()[0]
    assert got["version"] == OLDEST_CLIENT
    assert got["facts"] == facts == 1421 and got["hongze"] == [95, 3, 2]  # 1,379 printed cells, 42 derived
    assert got["comment"].startswith("Agencies that published reports")
    # hongze 2024: 95 received, all natural persons; 实质公开率 (50 + 9) / 95 = 0.6211
    assert got["wide"] == [95, 95, "县级"] and got["metric"] == [0.6211, "ok"]
    assert got["narrative"] == 23 and got["findings"] > 0


def test_a_duckdb_1_0_client_is_refused_as_the_readme_says(bi_warehouse, tmp_path_factory):
    python = _venv_with_duckdb(tmp_path_factory.mktemp("clients"), TOO_OLD_CLIENT)
    done = subprocess.run([str(python), "-c", _QUERY, bi_warehouse["XXGK_WAREHOUSE"]], capture_output=True, timeout=120, text=True)
    assert done.returncode != 0 and "Serialization Error" in done.stderr
    assert duckdb.__version__.startswith("1.")  # the writer stays on 1.x (pyproject.toml)
