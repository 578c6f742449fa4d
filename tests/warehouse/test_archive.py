"""The source archive keeps each document's bytes under their sha256, written once."""
import hashlib

from tests.conftest import SAMPLE_FILES
from warehouse.archive import archive, archive_documents, archive_file
from xxgk.documents import document_id

SAMPLE = SAMPLE_FILES[0]


def test_the_archive_holds_the_bytes_whose_sha256_names_them(tmp_path):
    data = SAMPLE.read_bytes()
    doc_id = document_id(data)
    key = archive(tmp_path / "archive", doc_id, [str(SAMPLE)])
    assert key == hashlib.sha256(data).hexdigest() and key.startswith(doc_id)
    kept = archive_file(tmp_path / "archive", key)
    assert kept == tmp_path / "archive" / key[:2] / key
    assert kept.read_bytes() == data
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [key]  # no temporary file left


def test_a_document_is_written_once_and_found_when_its_file_has_gone(tmp_path):
    source = tmp_path / "report.txt"
    source.write_bytes(SAMPLE.read_bytes())
    doc_id = document_id(source.read_bytes())
    key = archive(tmp_path / "archive", doc_id, [str(source)])
    mtime = archive_file(tmp_path / "archive", key).stat().st_mtime_ns
    source.unlink()
    assert archive(tmp_path / "archive", doc_id, [str(source)]) == key
    assert archive_file(tmp_path / "archive", key).stat().st_mtime_ns == mtime


def test_a_file_changed_since_it_was_read_is_not_archived_under_the_old_id(tmp_path):
    """Bytes are archived only when they are the ones that were read; a duplicate path that still
    holds them is used instead."""
    changed, duplicate = tmp_path / "report.txt", tmp_path / "copy.txt"
    duplicate.write_bytes(SAMPLE.read_bytes())
    changed.write_bytes(SAMPLE.read_bytes() + b"\nedited after reading\n")
    doc_id = document_id(SAMPLE.read_bytes())
    keys = archive_documents(tmp_path / "archive", [
        {"document_id": doc_id, "source_file": str(changed), "duplicate_files": None},
    ])
    assert keys == {doc_id: None}
    assert not [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    keys = archive_documents(tmp_path / "archive", [
        {"document_id": doc_id, "source_file": str(changed), "duplicate_files": f"{tmp_path / 'gone.txt'}; {duplicate}"},
    ])
    assert archive_file(tmp_path / "archive", keys[doc_id]).read_bytes() == SAMPLE.read_bytes()
