"""Stage 1, ingestion: turn a file into rows of cells, whatever its format.

A document is identified by the hash of its bytes, so the same report saved
twice under two names is one document. Files that cannot be read are not
errors of the run: they raise :class:`DocumentRejected` with a reason a person
can act on, and the other files go on.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from xxgk.model import DocumentRejected, RawDocument, Row
from xxgk.pdf import Judge, read_pdf

SUPPORTED_SUFFIXES = (".txt", ".pdf", ".html", ".htm")
_FORMATS = {".txt": "txt", ".pdf": "pdf", ".html": "html", ".htm": "html"}
DEFAULT_MAX_BYTES = 50_000_000  # 50 MB (decimal, as every message and the README say)


def document_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def list_inbox(inbox: Path) -> list[Path]:
    """Every regular file under the inbox, in a stable order (hidden files skipped); an inbox
    that is one file is that file."""
    if inbox.is_file():
        return [inbox]
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox not found (neither a folder nor a file): {inbox}")
    return sorted(
        p
        for p in inbox.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(inbox).parts)
    )


def read_document(path: Path, data: bytes | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  verify_share: float = 0.0, judge: Judge | None = None) -> RawDocument:
    """Read one file into rows. Raises DocumentRejected with a clear reason.

    A PDF page whose content is an image is listed in ``ocr_pages``, its rows left to OCR.
    ``judge`` tells whether the fast PDF reading can be trusted (:func:`xxgk.extract.trust.reading_facts`);
    without it every PDF is read by the reference reader.
    """
    size = path.stat().st_size if data is None else len(data)
    if size == 0:
        raise DocumentRejected("empty file (0 bytes)")
    if size > max_bytes:
        raise DocumentRejected(
            f"file too large: {size / 1e6:.1f} MB over the {max_bytes / 1e6:g} MB limit (XXGK_MAX_FILE_MB)"
        )
    if data is None:
        data = path.read_bytes()
    suffix = path.suffix.lower()
    doc = RawDocument(document_id(data), str(path), _FORMATS.get(suffix, suffix.lstrip(".")), size)
    if suffix == ".txt":
        doc.rows, doc.reader = text_rows(decode_text(data)), "txt"
    elif suffix == ".pdf":
        reading = read_pdf(data, judge=judge, verify=verified(doc.document_id, verify_share))
        doc.rows, doc.pages, doc.ocr_pages = reading.rows, reading.pages, reading.ocr_pages
        doc.grids = reading.grids
        doc.reader, doc.reader_check = reading.reader, reading.check
        if doc.ocr_pages:
            return doc
    elif suffix in (".html", ".htm"):
        doc.rows, doc.reader = html_rows(data), "html"
    else:
        raise DocumentRejected(
            f"unsupported file type '{suffix or '(none)'}' (supported: {' '.join(SUPPORTED_SUFFIXES)})"
        )
    if not any(c.strip() for r in doc.rows for c in r.cells):
        raise DocumentRejected("no text in the document")
    return doc


# --- text -------------------------------------------------------------------

def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK/GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise DocumentRejected("text encoding not recognised (tried UTF-8, GB18030)") from None
        return str(best)


def text_rows(text: str) -> list[Row]:
    """One row per line; tab-separated cells (text copied out of tables keeps its tabs)."""
    return [
        Row(line.rstrip("\r").split("\t"), f"line {n}")
        for n, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]


# --- PDF --------------------------------------------------------------------

def verified(document: str, share: float) -> bool:
    """Whether this document is one of the share read by both PDF readers (by its hash, so
    the same documents every run)."""
    return share > 0 and int(document[:8], 16) < share * 16**8


# --- HTML -------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "center", "pre", "span", "font", "strong", "b"}


def decode_html(data: bytes) -> str:
    match = _META_CHARSET.search(data[:4096])
    if match:
        charset = match.group(1).decode("ascii").lower()
        if charset in ("gb2312", "gbk", "gb18030", "x-gbk"):
            charset = "gb18030"
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def html_rows(data: bytes) -> list[Row]:
    """Innermost table rows (nested layout tables are looked through) and text blocks, in order."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(decode_html(data))
    except Exception as exc:  # lxml raises ParserError on garbage
        raise DocumentRejected(f"HTML could not be parsed: {exc}") from None
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for br in root.xpath("//br"):
        br.tail = "\n" + (br.tail or "")
    rows: list[Row] = []
    counter = {"tr": 0}

    def cell_text(el) -> str:
        return el.text_content().replace("\xa0", " ").strip()

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table":
            for tr in el.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
                counter["tr"] += 1
                tds = tr.xpath("./td|./th")
                if any(td.xpath(".//table") for td in tds):
                    for td in tds:
                        walk(td)
                    continue
                cells: list[str] = []
                for td in tds:
                    cells.append(cell_text(td))
                    span = td.get("colspan", "1")
                    cells.extend([""] * (int(span) - 1 if span.isdigit() and 1 < int(span) < 50 else 0))
                if any(cells):
                    rows.append(Row(cells, f"tr {counter['tr']}"))
            return
        has_block_child = any(isinstance(c.tag, str) and (c.tag == "table" or c.tag in _BLOCK_TAGS or c.xpath(".//table")) for c in el)
        if not has_block_child:
            text = cell_text(el)
            for line in text.split("\n"):
                if line.strip():
                    rows.append(Row([line.strip()], f"tr {counter['tr']}"))
            return
        if el.text and el.text.strip():
            rows.append(Row([el.text.strip()], f"tr {counter['tr']}"))
        for child in el:
            walk(child)
            if child.tail and child.tail.strip():
                rows.append(Row([child.tail.strip()], f"tr {counter['tr']}"))

    body = root.find("body")
    walk(body if body is not None else root)
    return rows


# --- a whole inbox ------------------------------------------------------------

def _read_one(path: Path, max_bytes: int, verify_share: float = 0.0, judge: Judge | None = None) -> RawDocument | dict:
    """Read one file, or say why not (a rejection record). Runs in worker processes."""
    try:
        size = path.stat().st_size
        data = path.read_bytes() if 0 < size <= max_bytes else None
        doc_id = document_id(data) if data is not None else document_id(f"{path}:{size}".encode())
        return read_document(path, b"" if size == 0 else data, max_bytes=max_bytes, verify_share=verify_share,
                             judge=judge)
    except DocumentRejected as exc:
        return _rejection(doc_id, str(path), exc.reason)
    except OSError as exc:
        return _rejection(document_id(str(path).encode()), str(path), f"cannot read file: {exc.strerror or exc}")


def _rejection(doc_id: str, source_file: str, reason: str) -> dict:
    return {"document_id": doc_id, "source_file": source_file, "stage": "ingestion", "year": None, "reason": reason}


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
