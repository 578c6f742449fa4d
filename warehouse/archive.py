"""The source archive: every loaded document's bytes, kept beside the warehouse by content.

`<archive>/<sha256[:2]>/<sha256>` holds the bytes whose sha256 is the name; a document's id
is the first 16 hex digits of the same hash (xxgk.documents.document_id), and
`dim_document.archive_key` names its file. Written once per document (a copy already there is
not written again), under a temporary name then renamed, so the archive never holds a partial
file; files are only added, never changed or removed.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20  # files are copied and hashed a chunk at a time: memory does not grow with the file


def archive_file(root: str | Path, key: str) -> Path:
    return Path(root) / key[:2] / key


def find(root: str | Path, document_id: str) -> str | None:
    """The archive key of a document already archived, from its id (a prefix of the key)."""
    folder = Path(root) / document_id[:2]
    found = sorted(p.name for p in folder.glob(f"{document_id}*")) if folder.is_dir() else []
    return found[0] if found else None


def archive(root: str | Path, document_id: str, paths: list[str]) -> str | None:
    """Keep the bytes of `document_id`, read from the first of `paths` that still holds them;
    returns the archive key, or None when no path holds those bytes any more (the file changed
    or went between reading and loading)."""
    key = find(root, document_id)
    if key:
        return key
    root = Path(root)
    for path in paths:
        key = _copy_if_same(Path(path), root, document_id)
        if key:
            return key
    return None


def _copy_if_same(path: Path, root: Path, document_id: str) -> str | None:
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with open(fd, "wb") as out, open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        key = digest.hexdigest()
        if not key.startswith(document_id):
            return None
        target = archive_file(root, key)
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp, target)
        return key
    except OSError:
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def archive_documents(root: str | Path, documents: list[dict]) -> dict[str, str | None]:
    """document_id -> archive key for rows with document_id, source_file and duplicate_files
    ('; '-separated other paths of the same bytes)."""
    keys = {}
    for row in documents:
        paths = [row["source_file"], *(row.get("duplicate_files") or "").split("; ")]
        keys[row["document_id"]] = archive(root, row["document_id"], [p for p in paths if p])
    return keys
