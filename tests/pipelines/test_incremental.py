"""`xxgk run` again: what was read, normalised and extracted before by the same code is not done
again (counted where the stages hand files and documents to their workers), an unchanged inbox
starts no Dagster run, a late file costs itself and its year, a damaged store is made again, and
the warehouse is the same, table for table, as one loaded without any of it."""
import io
import json
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import xxgk.extract.year
import xxgk.inbox
import xxgk.normalise
import xxgk.parallel
from assets.resources import PROJECT_ROOT
from pipelines import incremental
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from tests.fixtures.synthetic import make_report
from warehouse.loader import connect

FIRST = [p for p in SAMPLE_FILES if "2023" in p.name] + [p for p in SAMPLE_FILES if p.name == "hongze-2024.pdf"]
LATE = make_report(11, "2021", year=2023)  # a sixth 2023 report
LATER = make_report(12, "2021", year=2024)


class Counted:
    """The files each stage hands to its workers (or runs in process): what it reads, normalises, extracts."""

    def __init__(self, monkeypatch):
        self.read, self.normalised, self.extracted = [], [], []
        stages = {xxgk.inbox._read_chunk: (self.read, lambda item: Path(item[1]).name),
                  xxgk.normalise._normalise_parts: (self.normalised, lambda row: Path(row["source_file"]).name),
                  xxgk.extract.year._extract_parts: (self.extracted, lambda row: Path(row["source_file"]).name)}
        monkeypatch.setattr(xxgk.parallel, "run_tasks", self._counting(xxgk.parallel.run_tasks, stages))

    @staticmethod
    def _counting(run_tasks, stages):
        def counting(fn, tasks, *args, **kwargs):
            tasks = list(tasks)
            if fn in stages:  # a stage's tasks (xxgk.parallel.run_stage), not OCR's or another's
                into, name_of = stages[fn]
                into.extend(name_of(item) for task in tasks for item in task.rows)
            return run_tasks(fn, tasks, *args, **kwargs)

        return counting

    def clear(self):
        for seen in (self.read, self.normalised, self.extracted):
            seen.clear()


def _run(env: dict, counted: Counted | None = None) -> str:
    out = io.StringIO()
    if counted:
        counted.clear()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        with redirect_stdout(out):
            assert main(["run"]) == 0, out.getvalue()
    return out.getvalue()


def _runs(home: Path) -> int:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        return instance.get_runs_count()


def _home(root: Path) -> Path:
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    return home


def _tables(warehouse: str) -> dict[str, list[tuple]]:
    """Every base table, rows sorted, without the columns that say when (first_loaded, …)."""
    with connect(warehouse, read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        out = {}
        for table in tables:
            columns = [c for c, kind in con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                                    f"WHERE table_name = '{table}' ORDER BY ordinal_position").fetchall()
                       if "TIMESTAMP" not in kind and kind != "DATE"]
            out[table] = sorted(con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    inbox = root / "inbox"
    inbox.mkdir()
    for path in FIRST:
        shutil.copy(path, inbox / path.name)
    home = _home(root)
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(root / "w.duckdb"), "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_STAGING": str(root / "staging")}
    with pytest.MonkeyPatch.context() as mp:
        counted = Counted(mp)
        first = _run(env, counted)
        first_counts = (sorted(counted.read), sorted(counted.normalised), sorted(counted.extracted))
        runs_before = _runs(home)
        again = _run(env, counted)
        again_counts = (list(counted.read), list(counted.normalised), list(counted.extracted))
        runs_after = _runs(home)
        LATE.write(inbox / "late-2023.pdf")
        late = _run(env, counted)
        late_counts = (sorted(counted.read), sorted(counted.normalised), sorted(counted.extracted))
    # the same inbox, loaded whole by a run that finds nothing of the above: its own stores, warehouse, home
    fresh = root / "fresh"
    fresh.mkdir()
    fresh_env = {**env, "XXGK_WAREHOUSE": str(fresh / "w.duckdb"), "DAGSTER_HOME": str(_home(fresh)),
                 "XXGK_STAGING": str(fresh / "staging")}
    _run(fresh_env)
    return {"env": env, "root": root, "inbox": inbox, "home": home, "first": first, "first_counts": first_counts,
            "again": again, "again_counts": again_counts, "runs": (runs_before, runs_after), "late": late,
            "late_counts": late_counts, "fresh_env": fresh_env}


def test_the_first_run_reads_every_file_once(runs):
    names = sorted(p.name for p in FIRST)
    assert runs["first_counts"] == (names, names, names)


def test_an_unchanged_inbox_launches_no_run_and_says_so(runs):
    assert runs["again_counts"] == ([], [], [])
    before, after = runs["runs"]
    assert after == before  # no Dagster run at all, not even the inbox's
    out = runs["again"]
    assert "nothing changed since the last run" in out and "no year to load" in out
    assert "extract, check, load" not in out
    # what the warehouse holds, as a first run prints it
    assert "reports loaded:    6" in out and "淮安市洪泽区人民政府" in out


def test_a_late_file_reads_only_itself_and_loads_only_its_year(runs):
    assert runs["late_counts"] == (["late-2023.pdf"], ["late-2023.pdf"], ["late-2023.pdf"])
    out = runs["late"]
    assert "1 read, the others unchanged since an earlier run" in out
    assert "year 2023 (1/2): extract, check, load ... done" in out
    assert "year 2024 (2/2): unchanged since its last load" in out
    assert "reports loaded:    7" in out


def test_the_warehouse_is_the_same_with_and_without_what_earlier_runs_kept(runs):
    with_cache, without = _tables(runs["env"]["XXGK_WAREHOUSE"]), _tables(runs["fresh_env"]["XXGK_WAREHOUSE"])
    assert with_cache.keys() == without.keys()
    for table in with_cache:
        assert with_cache[table] == without[table], table
    assert len(with_cache["document_cell"]) > 1000


def test_a_damaged_store_or_record_is_made_again_never_trusted(runs, monkeypatch):
    """A raw part cut short, a cells part with one byte changed, a normalised store whose record
    is not JSON, the run record cut short: what they held is made again, and the warehouse is as
    before (the damage is found by the digests recorded when the parts were written)."""
    env, staging = runs["env"], Path(runs["env"]["XXGK_STAGING"])
    before = _tables(env["XXGK_WAREHOUSE"])
    (inbox_root,) = staging.iterdir()
    hongze_raw = _part_of(inbox_root / "raw_documents", "hongze-2024.pdf")
    hongze_raw.write_bytes(hongze_raw.read_bytes()[: hongze_raw.stat().st_size // 2])
    cells = sorted((inbox_root / "report_tables" / "year=2023").glob("cells-*.parquet"))
    data = bytearray(cells[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    cells[0].write_bytes(bytes(data))
    in_damaged_cells = _documents_of(inbox_root / "report_tables" / "year=2023", cells[0])
    (inbox_root / "normalised_documents" / "record.json").write_text("{not json", encoding="utf-8")
    (record,) = (inbox_root / "loaded").glob("*.json")
    record.write_text(record.read_text(encoding="utf-8")[:40], encoding="utf-8")
    counted = Counted(monkeypatch)
    out = _run(env, counted)
    assert "nothing changed" not in out
    assert counted.read == ["hongze-2024.pdf"]  # its part was cut short; the others are intact
    assert sorted(counted.normalised) == sorted([p.name for p in FIRST] + ["late-2023.pdf"])  # no record: all
    # extraction is keyed by the documents' bytes: only those whose cells part was damaged
    assert sorted(counted.extracted) == sorted(in_damaged_cells) and in_damaged_cells
    assert _tables(env["XXGK_WAREHOUSE"]) == before
    # and the next run finds everything whole again
    out = _run(env, counted)
    assert "nothing changed since the last run" in out and counted.read == []


def _documents_of(store: Path, part: Path) -> list[str]:
    import polars as pl

    documents = pl.read_parquet(store / "documents.parquet")
    return [Path(f).name for f in documents.filter(pl.col("part") == str(part))["source_file"]]


def _part_of(store: Path, name: str) -> Path:
    import polars as pl

    documents = pl.read_parquet(store / "documents.parquet")
    (part,) = documents.filter(pl.col("source_file").str.ends_with("/" + name))["part"].to_list()
    return Path(part)


def test_the_places_worked_out_without_dagster_are_dagsters(tmp_path, monkeypatch):
    """The quick answer finds the inbox, warehouse and stores where the run's resources put them."""
    from dagster import build_resources

    from assets.resources import default_resources
    from tests.fixtures.run_config import run_config

    cases = [({}, None, None), ({"XXGK_WAREHOUSE": str(tmp_path / "a" / "w.duckdb")}, None, None),
             ({}, str(tmp_path / "in"), str(tmp_path / "b" / "x.duckdb")),
             ({"XXGK_STAGING": str(tmp_path / "s"), "XXGK_INBOX": str(tmp_path / "in2")}, None, str(tmp_path / "c.duckdb")),
             ({"XXGK_STAGING": "s3://bucket/prefix", "XXGK_DATA_DOCS_ENABLED": "0"}, str(tmp_path / "in"), None)]
    for env, inbox, warehouse in cases:
        with monkeypatch.context() as mp:
            for name in ("XXGK_WAREHOUSE", "XXGK_STAGING", "XXGK_INBOX", "XXGK_DATA_DOCS", "XXGK_DATA_DOCS_ENABLED"):
                mp.delenv(name, raising=False)
            for k, v in env.items():
                mp.setenv(k, v)
            places = incremental.Places.of(inbox, warehouse)
            config = run_config(inbox=inbox, warehouse=warehouse)
            with build_resources(default_resources(), resource_config=config.get("resources", {})) as resources:
                # Dagster's reading of the same settings gives the same places
                assert ((resources.inbox.folder.resolve(), Path(resources.duckdb.database).resolve(), resources.staging.root)
                        == (places.inbox, places.warehouse, places.staging_root)), (env, inbox, warehouse)
                assert (places.data_docs, places.data_docs_enabled) == (Path(resources.data_docs.path),
                                                                        resources.data_docs.enabled)


def test_a_record_that_cannot_be_read_is_no_record(tmp_path):
    places = incremental.Places.of(str(tmp_path), str(tmp_path / "w.duckdb"))
    assert incremental.read_record(places) == incremental.Record()
    incremental.write_record(places, incremental.Record(listing="x", years={"2023": {"key": "k"}}))
    assert incremental.read_record(places).listing == "x"
    path = Path(places.record_url)
    path.write_text(json.dumps({"version": 99, "listing": "x"}), encoding="utf-8")
    assert incremental.read_record(places) == incremental.Record()
    path.write_bytes(b"\x00\xff")
    assert incremental.read_record(places) == incremental.Record()


def test_the_command_imports_no_dagster_until_it_has_work(tmp_path):
    """The "nothing changed" answer is quick only if importing the command (and every subcommand's
    parser) leaves Dagster, Great Expectations and the readers unimported: a fresh interpreter says."""
    import subprocess
    import sys

    code = ("import sys, pipelines.cli; pipelines.cli.build_parser(); "
            "print(sorted(m for m in ('dagster', 'great_expectations', 'pdfplumber', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
