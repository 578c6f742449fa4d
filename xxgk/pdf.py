"""Text-layer PDFs into rows of cells, by the fastest reading that can be trusted.

Two readers give the same shape of result (rows of cells, each with its page):

- **pdfium** (fast): the characters of every page, cut into words by pdfplumber's own rules
  and into cells by the gaps between words (:mod:`xxgk.pdf_layout`); ~20x faster than
  pdfminer's parse, on which pdfplumber spends 90% of its time;
- **pdfplumber** (the reference): ruled tables by its table finder (merged cells, labels
  broken over lines), the text around them by gaps; on page 1 and the pages that hold
  tables, pdfium's text lines elsewhere.

The pdfium reading is kept only when it can be trusted, else the reference reading is used:

1. every font of the document is embedded: pdfium loses characters of a non-embedded CJK
   font (年, 月, 一 of reportlab's STSong-Light come back missing);
2. its tables are complete: sections 二, 三, 四 found, every row labelled and with as many
   values as the table has columns (the extractor itself, run on the reading).

A share of the documents (``verify_share``, chosen by content hash, so the same documents
every run) is read both ways: when the two readings disagree, the reference is kept and the
disagreement is stated. Pages whose content is an image are left for OCR (:mod:`xxgk.ocr`):
their numbers are in :attr:`PdfReading.ocr_pages` and their rows are added by the caller.
"""
from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from xxgk import ocr
from xxgk.marks import TABLE_PAGE_WORDS as TABLE_PAGE
from xxgk.model import DocumentRejected, RawDocument, Row
from xxgk.pdf_layout import gap_lines, pdfium_page_words


@dataclass(frozen=True)
class Facts:
    """What the pipeline takes from one reading of a document, and whether its tables are complete."""

    meta: tuple | None  # agency, year, format_version; None: the reading is not a usable report
    cells: frozenset  # (category_code, applicant_type, measure, value, printed, cell_status)
    incomplete: str | None  # why the tables are not complete (or why it is no report), or None


# The trust judge: the facts the pipeline would take from a reading (rows of cells). It is
# given by the stage that reads the inbox (normalisation and extraction sit above the readers).
Judge = Callable[[list[Row]], Facts]


@dataclass
class PdfReading:
    page_rows: dict[int, list[Row]]  # 0-based page -> rows, for the pages read from their text layer
    pages: int
    reader: str  # pdfium | pdfplumber
    check: str  # why this reader: shown with the document in the warehouse
    ocr_pages: list[int] = field(default_factory=list)  # 0-based pages whose content is an image

    @property
    def rows(self) -> list[Row]:
        return _in_page_order(self.page_rows)


def _in_page_order(page_rows: dict[int, list[Row]]) -> list[Row]:
    return [row for page in sorted(page_rows) for row in page_rows[page]]


def read_pdf(data: bytes, *, judge: Judge | None = None, verify: bool = False) -> PdfReading:
    """Read a PDF; raises DocumentRejected (encrypted, corrupt, no text and nothing to OCR).

    Without a ``judge`` the pdfium reading cannot be trusted, and pdfplumber reads the document.
    """
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # let pdfplumber give the reason (encrypted, corrupt...)
        page_rows, n_pages = _reference_rows(data, None, {})
        return PdfReading(page_rows, n_pages, "pdfplumber", "pdfium could not open the file")
    try:
        lines, texts, coverage, embedded = [], [], [], True
        for i in range(len(pdf)):
            page = pdf[i]
            page_lines = [cells for _, cells in gap_lines(pdfium_page_words(page))]
            lines.append(page_lines)
            texts.append("\n".join(" ".join(cells) for cells in page_lines))
            covered, page_embedded = _page_objects(page)
            coverage.append(covered)
            embedded = embedded and page_embedded
            page.close()
    finally:
        pdf.close()
    n_pages = len(lines)
    ocr_pages = [i for i in range(n_pages) if ocr.page_needs_ocr(texts[i], coverage[i])]
    text_pages = [i for i in range(n_pages) if i not in ocr_pages]
    if ocr_pages:  # slow anyway: the reference reader for the pages with text
        wanted = {i for i in text_pages if i == 0 or TABLE_PAGE.search(texts[i])}
        page_rows, _ = _reference_rows(data, wanted, {i: texts[i] for i in text_pages})
        return PdfReading(page_rows, n_pages, "pdfplumber", f"{len(ocr_pages)} of {n_pages} page(s) are images", ocr_pages)
    fast = {i: [Row(cells, f"page {i + 1}") for cells in lines[i]] for i in range(n_pages)}
    facts = judge(_in_page_order(fast)) if embedded and judge is not None else None
    if facts is None:
        problem = "a font is not embedded" if not embedded else "no judge of the pdfium reading"
    else:
        problem = facts.incomplete
    if problem is None and not verify:
        return PdfReading(fast, n_pages, "pdfium", "complete tables")
    wanted = {i for i in range(n_pages) if i == 0 or TABLE_PAGE.search(texts[i])}
    page_rows, _ = _reference_rows(data, wanted, dict(enumerate(texts)))
    if problem is not None:
        return PdfReading(page_rows, n_pages, "pdfplumber", f"pdfium reading not trusted: {problem}")
    differences = reading_differences(facts, judge(_in_page_order(page_rows)))
    if not differences:
        return PdfReading(fast, n_pages, "pdfium", "complete tables; verified: pdfplumber reads the same cells")
    return PdfReading(page_rows, n_pages, "pdfplumber",
                      f"verification: pdfium and pdfplumber disagree ({differences}); pdfplumber kept")


# The PDF standard's 14 fonts: never embedded, and known to every reader.
STANDARD_FONTS = re.compile(r"^(Times|Helvetica|Courier)(-.*)?$|^(Symbol|ZapfDingbats)$")


def _page_objects(page) -> tuple[float, bool]:
    """The share of the page covered by images, and whether every font on it is embedded
    (or one of the standard 14)."""
    text, form = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM
    seen: set[int] = set()
    name = ctypes.create_string_buffer(128)

    def fonts_known(count, get) -> bool:
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == form:
                if not fonts_known(pdfium_c.FPDFFormObj_CountObjects(obj), lambda j: pdfium_c.FPDFFormObj_GetObject(obj, j)):
                    return False
                continue
            if kind != text:
                continue
            font = pdfium_c.FPDFTextObj_GetFont(obj)
            key = ctypes.cast(font, ctypes.c_void_p).value or 0
            if key in seen:
                continue
            seen.add(key)
            if not pdfium_c.FPDFFont_GetIsEmbedded(font):
                pdfium_c.FPDFFont_GetBaseFontName(font, name, len(name))
                if not STANDARD_FONTS.match(name.value.decode("latin-1")):
                    return False
        return True

    embedded = fonts_known(pdfium_c.FPDFPage_CountObjects(page.raw), lambda i: pdfium_c.FPDFPage_GetObject(page.raw, i))
    return ocr.page_image_coverage(page), embedded


def reading_differences(a: Facts, b: Facts) -> str | None:
    """How two readings of one PDF differ in what the pipeline takes from them, or None."""
    if b.meta is None:
        return f"one reading is not a report: {b.incomplete}"
    out = []
    if a.meta != b.meta:
        out.append(f"agency/year/template {a.meta} vs {b.meta}")
    if a.cells != b.cells:
        out.append(f"{len(a.cells ^ b.cells)} cells")
    return "; ".join(out) or None


# --- the reference reader -------------------------------------------------------------

def _reference_rows(data: bytes, pages: set[int] | None, texts: dict[int, str]) -> tuple[dict[int, list[Row]], int]:
    """pdfplumber on `pages` (None: all); the other pages in `texts` as one cell per line."""
    page_rows: dict[int, list[Row]] = {}
    if pages is not None and not pages:
        return {i: _text_rows(text, i) for i, text in texts.items()}, len(texts)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n_pages = len(pdf.pages)
            chars_seen = 0
            for index, page in enumerate(pdf.pages):
                if pages is not None and index not in pages:
                    continue
                page = page.dedupe_chars()  # fake-bold text is drawn twice
                chars_seen += len(page.chars)
                page_rows[index] = _page_rows(page, index + 1)
    except Exception as exc:  # pdfminer raises many kinds on damaged files, pdfplumber wraps them
        causes = [exc, *exc.args, exc.__cause__, exc.__context__]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes) or "password" in str(exc).lower():
            raise DocumentRejected("encrypted PDF: cannot be read without its password") from None
        inner = next((c for c in causes[1:] if isinstance(c, BaseException)), exc)
        raise DocumentRejected(f"corrupt or truncated PDF: {str(inner) or type(inner).__name__}") from None
    if pages is None and chars_seen == 0:
        raise DocumentRejected(
            f"PDF has no text layer ({n_pages} page(s) of images, probably a scan), and OCR could not read it"
        )
    for index, text in texts.items():
        if index not in page_rows:
            page_rows[index] = _text_rows(text, index)
    return page_rows, n_pages


def _text_rows(text: str, index: int) -> list[Row]:
    return [Row([line.strip()], f"page {index + 1}") for line in text.splitlines() if line.strip()]


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
    for top, cells in gap_lines(text_page.extract_words(extra_attrs=["size"])):
        blocks.append((top, [Row(cells, where)]))
    blocks.sort(key=lambda b: b[0])
    return [row for _, block in blocks for row in block]


# --- pages that are images -------------------------------------------------------------

def pages_to_ocr(doc: RawDocument, judge: Judge) -> list[int]:
    """Which image pages of a document (RawDocument with ocr_pages) OCR must read.

    None when the text layer already holds complete tables; else the first page when it is
    an image (the title: agency and year) and the image pages that show a ruled table, or
    every image page when none does (a scan of tables printed without lines).
    """
    if judge(doc.rows).incomplete is None:
        return []
    grid = ocr.pages_with_table_grid(doc.source_file, doc.ocr_pages)
    if not grid:
        return list(doc.ocr_pages)
    return sorted(({0} & set(doc.ocr_pages)) | set(grid))


def ocr_documents(docs: list[RawDocument], judge: Judge, *, workers: int = 1, progress=None) -> tuple[list, list[dict]]:
    """Add the OCR'd rows of the image pages of `docs` (RawDocuments with ocr_pages).

    Every page of every document goes to one pool of `workers` processes. Returns the
    documents that now have rows, and rejection records (document_id, source_file, reason)
    for those that cannot be read: OCR missing, or nothing legible.
    """
    plans = {id(doc): pages_to_ocr(doc, judge) for doc in docs}
    tasks = [(doc.source_file, page) for doc in docs for page in plans[id(doc)]]
    rejected: list[dict] = []
    if tasks:
        try:
            ocr.bundled_models()
        except ocr.OcrUnavailable as exc:
            return [d for d in docs if not plans[id(d)]], [
                {"document_id": d.document_id, "source_file": d.source_file,
                 "reason": f"the tables are on image pages (a scan) and OCR is not available: {exc}"}
                for d in docs if plans[id(d)]]
    results = ocr.ocr_pages(tasks, workers=workers, progress=progress) if tasks else {}
    by_task = {tasks[i]: rows for (i, _), rows in results.items()}
    out = []
    for doc in docs:
        read = plans[id(doc)]
        left = [p for p in doc.ocr_pages if p not in read]
        if read:
            rows_by_page: dict[int, list[Row]] = {}
            for row in doc.rows:
                rows_by_page.setdefault(int(row.where.split()[1]) - 1, []).append(row)
            for page in read:
                rows_by_page[page] = ocr.as_rows(by_task[(doc.source_file, page)])
            doc.rows = [r for page in sorted(rows_by_page) for r in rows_by_page[page]]
            doc.reader = f"{doc.reader}+ocr"
        notes = [f"page(s) {_pages(read)} read by OCR"] if read else []
        if left:
            notes.append(f"image page(s) {_pages(left)} not read ({'no table on them' if read else 'the tables are in the text layer'})")
        doc.reader_check = "; ".join([doc.reader_check, *notes])
        if not any(c.strip() for r in doc.rows for c in r.cells):
            rejected.append({"document_id": doc.document_id, "source_file": doc.source_file,
                             "reason": f"PDF has no text layer ({doc.pages} page(s) of images) and OCR read no text on them"})
            continue
        out.append(doc)
    return out, rejected


def _pages(pages: list[int]) -> str:
    return ", ".join(str(p + 1) for p in pages)
