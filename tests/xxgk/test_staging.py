"""The stores between stages: records written as Parquet and JSON (never pickled), shards merged."""
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE_FILES
from xxgk.extract.year import extract_store
from xxgk.inbox import RawStore, read_inbox
from xxgk.normalise import normalise_store
from xxgk.shards import file_shards, merge_normalised, merge_raw, merge_tables, raw_shards, year_shards
from xxgk.staging import clear, load_record, save_record


def test_a_store_is_written_as_parquet_and_json_and_read_back_equal(tmp_path):
    store = RawStore(str(tmp_path / "parts"), pl.DataFrame({"document_id": ["a", "b"], "pages": [1, None]}),
                     [{"document_id": "c", "source_file": "c.pdf", "stage": "ingestion", "year": None, "reason": "empty file"}],
                     {"a": ["copy of a.pdf"]}, 3)
    save_record(store, tmp_path / "record")
    written = sorted(p.name for p in (tmp_path / "record").iterdir())
    assert written == ["documents.parquet", "record.json"]
    assert json.loads((tmp_path / "record" / "record.json").read_text())["type"] == "xxgk.inbox:RawStore"
    back = load_record(tmp_path / "record")
    assert isinstance(back, RawStore) and back.documents.equals(store.documents)
    assert (back.rejected, back.duplicate_files, back.files_seen, back.folder) == (store.rejected, store.duplicate_files, 3, store.folder)
    clear(tmp_path / "record")
    assert not (tmp_path / "record").exists()


def test_only_this_projects_classes_are_loaded(tmp_path):
    (tmp_path / "record.json").write_text(json.dumps({"type": "os:system", "frames": [], "values": {}}))
    with pytest.raises(ValueError, match="not a store of this project"):
        load_record(tmp_path)


def test_shards_give_the_stores_of_one_run(tmp_path):
    """The samples read, normalised and extracted in shards of two files (or documents) give
    what one shard gives; a report and its copy in different shards stay one document."""
    files = sorted(SAMPLE_FILES) + [tmp_path / "copy-of-first.txt"]
    (tmp_path / "copy-of-first.txt").write_bytes(sorted(SAMPLE_FILES)[0].read_bytes())
    whole = read_inbox(files, tmp_path / "whole" / "raw")
    shards = [read_inbox([Path(f) for f in shard], tmp_path / "sharded" / f"shard={n:04d}")
              for n, shard in enumerate(file_shards(files, 2))]
    assert len(shards) == 4
    merged = merge_raw(shards, str(tmp_path / "sharded"))
    assert merged.documents.drop("part").equals(whole.documents.drop("part"))
    assert merged.duplicate_files == whole.duplicate_files != {}
    assert merged.files_seen == len(files)

    norm_whole = normalise_store(whole, tmp_path / "whole" / "norm")
    norm_shards = [normalise_store(s, tmp_path / "sharded" / "norm") for s in raw_shards(merged, 2)]
    norm = merge_normalised(merged, norm_shards, str(tmp_path / "sharded" / "norm"))
    assert norm.documents.drop("part").equals(norm_whole.documents.drop("part"))
    assert norm.rejected == norm_whole.rejected

    tables_whole = merge_tables(2023, [extract_store(norm_whole, 2023, tmp_path / "whole" / "tables")])
    tables = merge_tables(2023, [extract_store(s, 2023, tmp_path / "sharded" / "tables") for s in year_shards(norm, 2023, 2)])
    assert len(year_shards(norm, 2023, 2)) > 1
    key = ["document_id", "category_code", "applicant_type", "measure"]
    assert tables.cells.collect().sort(key).equals(tables_whole.cells.collect().sort(key))
    assert tables.documents.drop("part").sort("document_id").equals(tables_whole.documents.drop("part").sort("document_id"))
    assert tables.chosen().height == 5
