"""`xxgk retract` writes through the warehouse's writer: the readers' published copy, and so
`xxgk export`, lose the document at once. `xxgk retract --undo` takes a retraction back,
recorded like it, and the next `xxgk run` loads the file again."""
from __future__ import annotations

import csv
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout

import pytest

from assets.resources import PROJECT_ROOT
from pipelines.cli import main
from tests.conftest import SAMPLE_FILES
from warehouse.loader import connect
from warehouse.writer import published_path
from xxgk.documents import document_id

TEXTS = [p for p in SAMPLE_FILES if p.stem in ("qidong-office-2023", "dongning-2023", "lingdong-2023")]


def cli(env: dict, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def published(warehouse: str, sql: str, params: list | None = None) -> list[tuple]:
    """What a reader sees: the published copy, never the writer's file."""
    with connect(published_path(warehouse), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def exported(env: dict, out) -> set[str]:
    """The document ids of every fact `xxgk export --to csv` writes."""
    code, _, err = cli(env, "export", "--to", "csv", "--out", str(out))
    assert code == 0, err
    with open(out / "v_disclosure_facts.csv", encoding="utf-8", newline="") as fh:
        return {row["document_id"] for row in csv.DictReader(fh)}


def test_retract_reaches_the_readers_and_undo_loads_the_file_again(tmp_path):
    assert len(TEXTS) == 3
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in TEXTS:
        shutil.copy(path, inbox)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    warehouse = str(tmp_path / "w.duckdb")
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": warehouse, "DAGSTER_HOME": str(home), "XXGK_DATA_DOCS_ENABLED": "0"}
    assert cli(env, "run")[0] == 0
    target = inbox / "qidong-office-2023.txt"
    doc = document_id(target.read_bytes())
    reports = "SELECT document_id FROM fact_report ORDER BY 1"
    assert (doc,) in published(warehouse, reports) and len(published(warehouse, reports)) == 3
    assert doc in exported(env, tmp_path / "before")

    code, out, err = cli(env, "retract", str(target), "--reason", "published by mistake", "--by", "auditor")
    assert code == 0, err
    assert f"retracted {doc}" in out
    # the readers' copy: the document is gone from the facts, at once
    assert len(published(warehouse, reports)) == 2 and (doc,) not in published(warehouse, reports)
    assert published(warehouse, "SELECT status FROM dim_document WHERE document_id = ?", [doc]) == [("retracted",)]
    assert published(warehouse, "SELECT count(*) FROM document_cell WHERE document_id = ?", [doc]) == [(0,)]
    after = exported(env, tmp_path / "after")
    assert after and doc not in after
    # met again, a retracted file is not loaded, and this run's summary says so
    code, out, _ = cli(env, "run")
    assert code == 0 and "files not loaded:  1 (1 retracted earlier)" in out, out
    assert (doc,) not in published(warehouse, reports)
    assert published(warehouse, "SELECT stage FROM rejected_document WHERE document_id = ?", [doc]) == [("retracted",)]

    code, out, err = cli(env, "retract", "--undo", str(target), "--reason", "retracted the wrong file", "--by", "editor")
    assert code == 0, err
    assert f"took back the retraction of {doc}" in out and "the next `xxgk run`" in out
    # recorded like the retraction, which stays
    rows = published(warehouse, "SELECT retracted_by, reason, undone_by, undo_reason, undone_at >= retracted_at "
                                "FROM retraction WHERE document_id = ?", [doc])
    assert rows == [("auditor", "published by mistake", "editor", "retracted the wrong file", True)]
    assert published(warehouse, "SELECT count(*) FROM rejected_document WHERE document_id = ?", [doc]) == [(0,)]
    code, _, err = cli(env, "retract", "--undo", doc, "--reason", "again")
    assert code == 2 and "nothing to undo" in err

    # the next run loads it again: its facts are back, for readers and in the export
    assert cli(env, "run")[0] == 0
    assert (doc,) in published(warehouse, reports) and len(published(warehouse, reports)) == 3
    assert published(warehouse, "SELECT status FROM dim_document WHERE document_id = ?", [doc]) == [("loaded",)]
    assert doc in exported(env, tmp_path / "again")
    # and it can be retracted again: a second record, in force
    code, _, err = cli(env, "retract", doc, "--reason", "withdrawn by the office", "--by", "auditor")
    assert code == 0, err
    assert published(warehouse, "SELECT reason, undone_at IS NULL FROM retraction WHERE document_id = ? ORDER BY retracted_at",
                     [doc]) == [("published by mistake", False), ("withdrawn by the office", True)]
    assert (doc,) not in published(warehouse, reports)
