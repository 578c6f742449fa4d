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

from assets.resources import PROJECT_ROOT
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


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not found")
    return uv


def _venv(root: Path, name: str, *requirements: str) -> Path:
    """A venv of its own holding only `requirements` (pip's arguments), made with uv (installed in
    the project's .venv by `make setup`), as a BI tool's environment would be."""
    uv = _uv()
    venv = root / name
    try:
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True, capture_output=True, timeout=120)
        subprocess.run([uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"), *requirements],
                       check=True, capture_output=True, timeout=300)
    except subprocess.CalledProcessError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise
        pytest.skip(f"{' '.join(requirements)} could not be installed: {exc.stderr.decode()[-200:]}")
    return venv / "bin" / "python"


def _venv_with_duckdb(root: Path, version: str) -> Path:
    """A venv holding only duckdb==version."""
    return _venv(root, f"duckdb-{version}", f"duckdb=={version}")


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


# The SQLAlchemy pins a BI tool's own environment installs (README: Connecting a BI tool), and the
# SQLAlchemy each gives: 1.4 beside Superset (it requires sqlalchemy<2), 2.0 for the others.
BI_PINS = {"bi-sqlalchemy14": ("bi/requirements-sqlalchemy14.txt", "1.4.54"),
           "bi": ("bi/requirements-sqlalchemy2.txt", "2.0.54")}

_REFLECT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import duckdb, sqlalchemy as sa
engine = sa.create_engine(f"duckdb:///{sys.argv[1]}", connect_args={"read_only": True})
meta = sa.MetaData()
meta.reflect(engine, views=True)
views = sa.inspect(engine).get_view_names()
with engine.connect() as con:
    facts = con.execute(sa.text("SELECT count(*) FROM v_disclosure_facts")).scalar()
print(json.dumps({"sqlalchemy": sa.__version__, "duckdb": duckdb.__version__, "facts": facts, "views": sorted(views),
                  "tables": {n: t.comment for n, t in meta.tables.items()},
                  "columns": [[t.name, c.name, c.comment] for t in meta.tables.values() for c in t.columns],
                  "received": type(meta.tables["v_report_overview"].c.received.type).__name__}))
"""


def _pins(path: str) -> list[str]:
    return [line.strip() for line in (PROJECT_ROOT / path).read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_the_bi_requirements_files_pin_what_the_extras_pin():
    import tomllib

    extras = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra, (path, version) in BI_PINS.items():
        assert sorted(_pins(path)) == sorted(extras[extra]), extra
        assert f"sqlalchemy=={version}" in extras[extra] and "duckdb>=1.5.6,<2" in extras[extra]  # never DuckDB 2


@pytest.mark.parametrize("extra", sorted(BI_PINS))
def test_sqlalchemy_reflection_in_a_bi_tools_own_environment(bi_warehouse, tmp_path_factory, extra):
    """Finding 6: each set of pins, installed alone into a venv of its own (as into Superset's, or
    a SQLAlchemy 2.x tool's), reflects the 23 tables and 13 views with every comment, and reads."""
    path, version = BI_PINS[extra]
    python = _venv(tmp_path_factory.mktemp("bi"), extra, "-r", str(PROJECT_ROOT / path))
    database = bi_warehouse["XXGK_WAREHOUSE"]
    with connect(database, read_only=True) as con:
        catalog = dict(con.execute("""SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database()
                                      UNION ALL SELECT view_name, comment FROM duckdb_views()
                                      WHERE database_name = current_database() AND NOT internal""").fetchall())
        columns = sorted(con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                                     "WHERE database_name = current_database()").fetchall())
        views = [v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
                                           "AND NOT internal ORDER BY view_name").fetchall()]
    done = subprocess.run([str(python), "-c", _REFLECT, str(Path(database).with_name("w.published.duckdb"))],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got["sqlalchemy"] == version and got["duckdb"].startswith("1.")
    assert got["tables"] == catalog and len(catalog) == 36 and got["facts"] == 1421
    assert got["views"] == views and len(views) == 13 and "v_disclosure_facts" in views
    assert sorted(map(tuple, got["columns"])) == columns
    assert got["received"] == "BigInteger"


def test_the_sqlalchemy14_pins_install_beside_superset(tmp_path):
    """Superset requires sqlalchemy<2: `xxgk[bi]`'s 2.0.54 cannot be installed beside it, the 1.4
    pins can (uv resolves both against PyPI; nothing is installed)."""
    uv = _uv()

    def resolve(path: str) -> subprocess.CompletedProcess:
        wanted = tmp_path / f"{Path(path).stem}.in"
        wanted.write_text("apache-superset\n" + "\n".join(_pins(path)) + "\n")
        return subprocess.run([uv, "pip", "compile", "-q", "-p", sys.executable, str(wanted)], capture_output=True, text=True,
                              timeout=600)

    beside = resolve(BI_PINS["bi-sqlalchemy14"][0])
    if beside.returncode != 0 and "No solution found" not in beside.stderr and "unsatisfiable" not in beside.stderr:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise AssertionError(beside.stderr[-2000:])
        pytest.skip(f"PyPI could not be asked: {beside.stderr[-200:]}")
    assert beside.returncode == 0, beside.stderr[-2000:]
    assert "sqlalchemy==1.4.54" in beside.stdout and "apache-superset==" in beside.stdout
    against = resolve(BI_PINS["bi"][0])
    assert against.returncode != 0 and "unsatisfiable" in against.stderr
