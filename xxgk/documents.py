"""Stage 1, ingestion: turn a file into rows of cells, whatever its format.

A document is identified by the hash of its bytes, so the same report saved
twice under two names is one document. Files that cannot be read are not
errors of the run: they raise :class:`DocumentRejected` with a reason a person
can act on, and the other files go on.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from xxgk.budget import Budget, OverTime, memory_reason
from xxgk.listing import display_name, scan_inbox
from xxgk.model import DocumentRejected, RawDocument, Rejection, Row
from xxgk.readers import READERS, ReadOptions, reader_for
from xxgk.readers.html import decode_html, html_rows
from xxgk.readers.pdf import Judge
from xxgk.readers.text import decode_text, text_rows
from xxgk.settings import DEFAULTS, MB, variable_of

__all__ = ["DocumentRejected", "RawDocument", "Row", "decode_html", "decode_text", "html_rows", "read_document", "text_rows"]

SUPPORTED_SUFFIXES = tuple(READERS)
DEFAULT_MAX_BYTES = DEFAULTS.max_file_mb * MB


def document_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def file_format(path: Path) -> str:
    """The format a file is read as, by its suffix ('pdf', 'html', 'md', …)."""
    suffix = path.suffix.lower()
    return READERS[suffix][0] if suffix in READERS else suffix.lstrip(".")


def fingerprint(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list | None:
    """[size, mtime_ns, ctime_ns, sha256] of a file whose bytes are read (0 < size <= max_bytes),
    else None. A later run that finds the same size and times (any write changes the ctime)
    knows the bytes without reading them."""
    try:
        st = path.stat()
        if not 0 < st.st_size <= max_bytes:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, hashlib.sha256(data).hexdigest()]


def list_inbox(inbox: Path, *, follow_outside_links: bool = False) -> list[Path]:
    """Every regular file under the inbox, in a stable order (what is skipped, and why:
    :func:`xxgk.listing.scan_inbox`); an inbox that is one file is that file."""
    return scan_inbox(inbox, follow_outside_links=follow_outside_links).files


def read_document(path: Path, data: bytes | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  verify_share: float = 0.0, judge: Judge | None = None, budget: Budget | None = None) -> RawDocument:
    """Read one file into rows. Raises DocumentRejected with a clear reason.

    The reader is the suffix's (:data:`xxgk.readers.READERS`). A PDF page whose content is an
    image is listed in ``ocr_pages``, its rows left to OCR.
    ``judge`` tells whether the fast PDF reading can be trusted (:func:`xxgk.extract.trust.reading_facts`);
    without it every PDF is read by the reference reader. ``budget`` (default: the defaults)
    bounds what the file may cost.
    """
    budget = budget or Budget()
    size = path.stat().st_size if data is None else len(data)
    if size == 0:
        raise DocumentRejected("empty file (0 bytes)")
    if size > max_bytes:
        raise DocumentRejected(
            f"file too large: {size / 1e6:.1f} MB over the {max_bytes / 1e6:g} MB limit ({variable_of('max_file_mb')})"
        )
    if data is None:
        data = path.read_bytes()
    read = reader_for(path.suffix)
    if read is None:
        raise DocumentRejected(
            f"unsupported file type '{path.suffix.lower() or '(none)'}' (supported: {' '.join(SUPPORTED_SUFFIXES)})")
    doc = RawDocument(document_id(data), display_name(path), file_format(path), size, path=str(path))
    reading = read(data, ReadOptions(budget, judge, verified(doc.document_id, verify_share)))
    doc.rows, doc.grids, doc.reader, doc.reader_check = reading.rows, reading.grids, reading.reader, reading.check
    doc.pages, doc.ocr_pages = reading.pages, reading.ocr_pages
    if doc.ocr_pages:  # its rows are OCR's to give
        return doc
    if not any(c.strip() for r in doc.rows for c in r.cells):
        raise DocumentRejected("no text in the document")
    return doc


# --- PDF --------------------------------------------------------------------

def verified(document: str, share: float) -> bool:
    """Whether this document is one of the share read by both PDF readers (by its hash, so
    the same documents every run)."""
    return share > 0 and int(document[:8], 16) < share * 16**8


# --- a whole inbox ------------------------------------------------------------

def _read_one(path: Path, max_bytes: int, verify_share: float = 0.0, judge: Judge | None = None,
              budget: Budget | None = None) -> RawDocument | dict:
    """Read one file, or say why not (a rejection record). Runs in worker processes: whatever
    goes wrong with this file — an error of a reader, memory, time — rejects this file only."""
    budget = budget or Budget()
    name = display_name(path)
    doc_id = document_id(str(path).encode(errors="surrogateescape"))
    try:
        size = path.stat().st_size
        data = path.read_bytes() if 0 < size <= max_bytes else None
        doc_id = document_id(data) if data is not None else document_id(f"{path}:{size}".encode(errors="surrogateescape"))
        with budget.deadline():
            return read_document(path, b"" if size == 0 else data, max_bytes=max_bytes, verify_share=verify_share,
                                 judge=judge, budget=budget)
    except (DocumentRejected, OverTime) as exc:
        reason = exc.reason
    except OSError as exc:
        reason = f"cannot read file: {exc.strerror or exc}"
    except MemoryError:
        reason = memory_reason()
    except Exception as exc:  # noqa: BLE001 (a reader's fault on this file: the others go on)
        reason = f"reading failed: {type(exc).__name__}: {str(exc)[:200]}"
    return Rejection(doc_id, name, "ingestion", reason).record()


def fingerprint_inbox(paths: list[Path], previous: dict[str, list]) -> tuple[dict[str, list], list[str]]:
    """The content hash of every file, re-hashing only files whose size or mtime changed.

    Returns the new state {path: [size, mtime_ns, hash]} and the paths whose *content*
    is new or changed: a touched but unchanged file is not a change.
    """
    state: dict[str, list] = {}
    changed: list[str] = []
    known_hashes = {entry[2] for entry in previous.values()}
    for path in paths:
        st = path.stat()
        key = str(path)
        old = previous.get(key)
        if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            state[key] = old
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        state[key] = [st.st_size, st.st_mtime_ns, digest]
        if not (old and old[2] == digest) and digest not in known_hashes:
            changed.append(key)
    return state, changed
