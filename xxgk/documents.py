"""Stage 1, ingestion: turn a file into rows of cells, whatever its format.

A document is identified by the hash of its bytes, so the same report saved
twice under two names is one document. Files that cannot be read are not
errors of the run: they raise :class:`DocumentRejected` with a reason a person
can act on, and the other files go on.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".pdf", ".html", ".htm")
_FORMATS = {".txt": "txt", ".pdf": "pdf", ".html": "html", ".htm": "html"}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class DocumentRejected(Exception):
    """A file that is not loaded, with the reason shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Row:
    """One table row or one line of text, with where it was found."""

    cells: list[str]
    where: str  # "line 57", "page 3", "tr 12"
    confidences: list[float | None] | None = None  # per cell, for rows read by OCR
    provenance: str = "text"  # text | ocr


@dataclass
class RawDocument:
    document_id: str
    source_file: str
    format: str  # txt | pdf | html
    size_bytes: int
    rows: list[Row] = field(default_factory=list)
    pages: int | None = None


def document_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def list_inbox(inbox: Path) -> list[Path]:
    """Every regular file under the inbox, in a stable order (hidden files skipped)."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder does not exist: {inbox}")
    return sorted(
        p
        for p in inbox.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(inbox).parts)
    )


def read_document(path: Path, data: bytes | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Read one file into rows. Raises DocumentRejected with a clear reason."""
    size = path.stat().st_size if data is None else len(data)
    if size == 0:
        raise DocumentRejected("empty file (0 bytes)")
    if size > max_bytes:
        raise DocumentRejected(
            f"file too large: {size / 1e6:.1f} MB over the {max_bytes / 1e6:.0f} MB limit (XXGK_MAX_FILE_MB)"
        )
    if data is None:
        data = path.read_bytes()
    suffix = path.suffix.lower()
    doc = RawDocument(document_id(data), str(path), _FORMATS.get(suffix, suffix.lstrip(".")), size)
    if suffix == ".txt":
        doc.rows = text_rows(decode_text(data))
    elif suffix == ".pdf":
        doc.rows, doc.pages = pdf_rows(data)
    elif suffix in (".html", ".htm"):
        doc.rows = html_rows(data)
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

# Words found only on the pages that hold tables 二, 三 and 四.
_TABLE_PAGE = re.compile(
    r"第二十条|信息内容|申请人情况|本年新收|上年结转|予以公开|无法提供|不予处理|其他处理|结转下年|"
    r"行政复议|行政诉讼|结果维持|尚未审结|处理决定数量|收费金额|采购项目|"
    r"(?m:^\s*\d+(?:\s+\d+){4,}\s*$)"  # a line of five or more numbers: a table row cut off from its labels
)


def pdf_rows(data: bytes) -> tuple[list[Row], int]:
    """Rows of a text-layer PDF.

    pdfplumber (the reference extractor) reads the first page and every page that holds a
    table; the other pages are narrative, read ~25x faster by pdfium's own text layer.
    """
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        pdf.close()
    except Exception:  # let pdfplumber give the reason (encrypted, corrupt...)
        return _pdfplumber_rows(data, None)
    if not any(t.strip() for t in texts):
        raise DocumentRejected(
            f"PDF has no text layer ({len(texts)} page(s) of images, probably a scan); OCR is not supported yet"
        )
    wanted = {0} | {i for i, text in enumerate(texts) if _TABLE_PAGE.search(text)}
    rows, n_pages = _pdfplumber_rows(data, wanted)
    by_page: dict[int, list[Row]] = {}
    for row in rows:
        by_page.setdefault(int(row.where.split()[1]) - 1, []).append(row)
    out: list[Row] = []
    for i, text in enumerate(texts):
        if i in wanted:
            out.extend(by_page.get(i, []))
        else:
            out.extend(Row([line.strip()], f"page {i + 1}") for line in text.splitlines() if line.strip())
    return out, n_pages


def _pdfplumber_rows(data: bytes, pages: set[int] | None) -> tuple[list[Row], int]:
    import io

    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    rows: list[Row] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n_pages = len(pdf.pages)
            chars_seen = 0
            for number, page in enumerate(pdf.pages, start=1):
                if pages is not None and number - 1 not in pages:
                    continue
                page = page.dedupe_chars()  # fake-bold text is drawn twice
                chars_seen += len(page.chars)
                rows.extend(_page_rows(page, number))
    except Exception as exc:  # pdfminer raises many kinds on damaged files, pdfplumber wraps them
        causes = [exc, *exc.args, exc.__cause__, exc.__context__]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes) or "password" in str(exc).lower():
            raise DocumentRejected("encrypted PDF: cannot be read without its password") from None
        inner = next((c for c in causes[1:] if isinstance(c, BaseException)), exc)
        raise DocumentRejected(f"corrupt or truncated PDF: {str(inner) or type(inner).__name__}") from None
    if pages is None and chars_seen == 0:
        raise DocumentRejected(
            f"PDF has no text layer ({n_pages} page(s) of images, probably a scan); OCR is not supported yet"
        )
    return rows, n_pages


def _page_rows(page, number: int) -> list[Row]:
    where = f"page {number}"
    blocks: list[tuple[float, list[Row]]] = []
    table_boxes = []
    for table in page.find_tables():
        cells = table.extract()
        # WPS draws a ruled frame around body text: a one-column "table" is text, not a table.
        if max((len(r) for r in cells), default=0) < 2:
            continue
        table_boxes.append(table.bbox)
        blocks.append((table.bbox[1], [Row([c if c is not None else "" for c in r], where) for r in cells]))

    def outside(obj) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in table_boxes)

    text_page = page.filter(outside) if table_boxes else page
    for top, cells in _gap_lines(text_page):
        blocks.append((top, [Row(cells, where)]))
    blocks.sort(key=lambda b: b[0])
    return [row for _, block in blocks for row in block]


def _gap_lines(page) -> list[tuple[float, list[str]]]:
    """Lines of words, cut into cells where the gap between two words is wider than a character.

    Outside ruled tables this gives one cell per narrative line; for a table printed without
    ruling lines it gives the cells of each row from the words' positions.
    """
    from pdfplumber.utils import cluster_objects

    words = page.extract_words(extra_attrs=["size"])
    lines = []
    for line in cluster_objects(words, "top", 3):
        line.sort(key=lambda w: w["x0"])
        cells = [[line[0]]]
        for prev, word in zip(line, line[1:]):
            if word["x0"] - prev["x1"] > 1.0 * max(prev["size"], word["size"]):
                cells.append([word])
            else:
                cells[-1].append(word)
        texts = [_join_words(c) for c in cells]
        lines.append((min(w["top"] for w in line), texts))
    lines.sort(key=lambda x: x[0])
    return lines


def _join_words(words: list[dict]) -> str:
    """Words of one cell; a space only where the source had one between Latin words or digits."""
    out = words[0]["text"]
    for prev, word in zip(words, words[1:]):
        gap = word["x0"] - prev["x1"]
        out += (" " if gap > 0.15 * word["size"] else "") + word["text"]
    return out


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

@dataclass
class Ingested:
    documents: list[RawDocument]
    rejected: list[dict]  # document_id, source_file, stage, year, reason
    duplicate_files: dict[str, list[str]]  # document_id -> other paths with the same bytes
    files_seen: int


def _read_one(path: Path, max_bytes: int) -> RawDocument | dict:
    """Read one file, or say why not (a rejection record). Runs in worker processes."""
    try:
        size = path.stat().st_size
        data = path.read_bytes() if 0 < size <= max_bytes else None
        doc_id = document_id(data) if data is not None else document_id(f"{path}:{size}".encode())
        return read_document(path, b"" if size == 0 else data, max_bytes=max_bytes)
    except DocumentRejected as exc:
        return {"document_id": doc_id, "source_file": str(path), "stage": "ingestion", "year": None, "reason": exc.reason}
    except OSError as exc:
        return {"document_id": document_id(str(path).encode()), "source_file": str(path), "stage": "ingestion",
                "year": None, "reason": f"cannot read file: {exc.strerror or exc}"}


def ingest(paths: list[Path], *, max_bytes: int = DEFAULT_MAX_BYTES, workers: int = 1, progress=None) -> Ingested:
    """Read every file, in `workers` processes; the same bytes twice are one document; bad files
    are rejected with their reason, never fatal. Results come back in the order of `paths`."""
    if workers > 1 and len(paths) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = _collect(pool.map(_read_one, paths, [max_bytes] * len(paths), chunksize=4), len(paths), progress)
    else:
        results = _collect((_read_one(p, max_bytes) for p in paths), len(paths), progress)
    documents: dict[str, RawDocument] = {}
    duplicates: dict[str, list[str]] = {}
    rejected: list[dict] = []
    for result in results:
        if isinstance(result, dict):
            rejected.append(result)
        elif result.document_id in documents:
            duplicates.setdefault(result.document_id, []).append(result.source_file)
        else:
            documents[result.document_id] = result
    return Ingested(list(documents.values()), rejected, duplicates, len(paths))


def _collect(results, total: int, progress) -> list:
    out = []
    for n, result in enumerate(results, start=1):
        out.append(result)
        if progress:
            progress(n, total, result.source_file if isinstance(result, RawDocument) else result["source_file"])
    return out


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
