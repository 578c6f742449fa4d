"""Text-layer PDFs into rows of cells, by the fastest reading that can be trusted.

Two readers give the same shape of result (rows of cells, each with its page, and the
ruled tables as grids):

- **pdfium** (fast): pdfplumber's table finder on pdfium's characters and path objects
  (:mod:`xxgk.readers.pdf.grid`), the text around the tables cut into words by pdfplumber's own
  rules and into cells by the gaps between words (:mod:`xxgk.readers.pdf.layout`); pdfium's parse
  is ~20x faster than pdfminer's, on which pdfplumber spends 90% of its time;
- **pdfplumber** (the reference, :mod:`xxgk.readers.pdf.reference`): the same on pdfminer's parse;
  on page 1 and the pages that hold tables, pdfium's text lines elsewhere.

The pdfium reading is kept only when it can be trusted, else the reference reading is used:

1. every font of the document is embedded: pdfium loses characters of a non-embedded CJK
   font (年, 月, 一 of reportlab's STSong-Light come back missing);
2. its tables are complete: sections 二, 三, 四 found, every row labelled and with as many
   values as the table has columns (the extractor itself, run on the reading: a judge
   the caller passes in, since extraction sits above the readers).

A share of the documents (``verify_share``, chosen by content hash, so the same documents
every run) is read both ways: when the two readings disagree, the reference is kept and the
disagreement is stated. Pages whose content is an image are left for OCR (:mod:`xxgk.readers.pdf.ocr`):
their numbers are in :attr:`PdfReading.ocr_pages` and their rows are added by the caller.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from xxgk.budget import Budget
from xxgk.grid import Grid
from xxgk.marks import TABLE_PAGE_WORDS as TABLE_PAGE
from xxgk.model import DocumentRejected, RawDocument, Rejection, Row
from xxgk.readers import Reading, ReadOptions
from xxgk.readers.pdf import ocr
from xxgk.readers.pdf.grid import page_edges, ruled_tables
from xxgk.readers.pdf.layout import (
    gap_lines,
    outside,
    page_rows,
    pdfium_page_chars,
    words_from_chars,
)
from xxgk.readers.pdf.objects import PageObjects, image_coverage, page_objects
from xxgk.readers.pdf.reference import reference_pages
from xxgk.settings import variable_of


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
    page_grids: dict[int, list[tuple[int, Grid]]] = field(default_factory=dict)  # page -> (its row where a table begins, grid)

    @property
    def rows(self) -> list[Row]:
        return _in_page_order(self.page_rows)

    @property
    def grids(self) -> list[Grid]:
        """The ruled tables as grids, each anchored at its first row in :attr:`rows`."""
        out, offset = [], 0
        for page in sorted(self.page_rows):
            for start, grid in self.page_grids.get(page, []):
                grid.anchor = offset + start
                out.append(grid)
            offset += len(self.page_rows[page])
        return out


def _in_page_order(page_rows: dict[int, list[Row]]) -> list[Row]:
    return [row for page in sorted(page_rows) for row in page_rows[page]]


def read_pdf(data: bytes, *, judge: Judge | None = None, verify: bool = False, budget: Budget | None = None) -> PdfReading:
    """Read a PDF; raises DocumentRejected (encrypted, corrupt, no text and nothing to OCR, over
    its budget: inflated bytes, pages, pixels of a page to OCR — each checked before it is spent).

    Without a ``judge`` the pdfium reading cannot be trusted, and pdfplumber reads the document.
    """
    budget = budget or Budget()
    budget.check_inflated(data)
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # let pdfplumber give the reason (encrypted, corrupt...)
        page_rows, grids, n_pages = reference_pages(data, None, {})
        return PdfReading(page_rows, n_pages, "pdfplumber", "pdfium could not open the file", page_grids=grids)
    try:
        budget.check_pages(len(pdf))
        fast, fast_grids, texts, embedded, ocr_pages, blank = {}, {}, [], True, [], []
        for i in range(len(pdf)):
            page = pdf[i]
            objects = _page_objects(page)
            fast[i], fast_grids[i], text = _pdfium_page(page, objects, f"page {i + 1}", first=i == 0)
            texts.append(text)
            embedded = embedded and objects.fonts_embedded
            if ocr.page_needs_ocr(text, _image_coverage(page, objects)):
                budget.check_pixels(i, *page.get_size(), ocr.DEFAULT_DPI)  # before anything renders it
                (ocr_pages if _has_ink(page) else blank).append(i)
            page.close()
    finally:
        pdf.close()
    n_pages = len(texts)
    if len(blank) == n_pages:
        raise DocumentRejected(f"PDF of {n_pages} blank page(s): no text and no ink to read by OCR")
    text_pages = [i for i in range(n_pages) if i not in ocr_pages]
    if ocr_pages:  # slow anyway: the reference reader for the pages with text
        wanted = {i for i in text_pages if i == 0 or TABLE_PAGE.search(texts[i])}
        page_rows, grids, _ = reference_pages(data, wanted, {i: texts[i] for i in text_pages})
        return PdfReading(page_rows, n_pages, "pdfplumber", f"{len(ocr_pages)} of {n_pages} page(s) are images", ocr_pages,
                          page_grids=grids)
    facts = judge(_in_page_order(fast)) if embedded and judge is not None else None
    if facts is None:
        problem = "a font is not embedded" if not embedded else "no judge of the pdfium reading"
    else:
        problem = facts.incomplete
    if problem is None and not verify:
        return PdfReading(fast, n_pages, "pdfium", "complete tables", page_grids=fast_grids)
    wanted = {i for i in range(n_pages) if i == 0 or TABLE_PAGE.search(texts[i])}
    page_rows, grids, _ = reference_pages(data, wanted, dict(enumerate(texts)))
    if problem is not None:
        return PdfReading(page_rows, n_pages, "pdfplumber", f"pdfium reading not trusted: {problem}", page_grids=grids)
    differences = reading_differences(facts, judge(_in_page_order(page_rows)))
    if not differences:
        return PdfReading(fast, n_pages, "pdfium", "complete tables; verified: pdfplumber reads the same cells",
                          page_grids=fast_grids)
    return PdfReading(page_rows, n_pages, "pdfplumber",
                      f"verification: pdfium and pdfplumber disagree ({differences}); pdfplumber kept", page_grids=grids)


def _pdfium_page(page, objects: PageObjects, where: str, first: bool = True) -> tuple[list[Row], list[tuple[int, Grid]], str]:
    """One page read from pdfium's objects: its ruled tables (:mod:`xxgk.readers.pdf.grid`) and the
    lines of the words around them; and the page's text, line by line, to classify it.
    Tables are looked for where the reference reader looks: on the first page and the
    pages whose words show tables (ruled frames around narrative are no tables)."""
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        chars = pdfium_page_chars(textpage, height)
    finally:
        textpage.close()
    lines = gap_lines(words_from_chars(chars))
    text = "\n".join(" ".join(cells) for _, cells in lines)
    edges = page_edges(objects.paths, height) if chars and (first or TABLE_PAGE.search(text)) else []
    tables = ruled_tables(edges, chars, (width, height), where) if edges else []
    if not tables:
        return [Row(cells, where) for _, cells in lines], [], text
    apart = outside([t.bbox for t in tables])
    around = words_from_chars([c for c in chars if apart(c)])
    rows, starts = page_rows([(t.bbox, t.rows) for t in tables], around, where)
    return rows, [(start, t.grid) for start, t in zip(starts, tables)], text


# A page is rendered this small to see whether anything is drawn on it (~150x210 px for A4).
INK_DPI = 18


def _has_ink(page) -> bool:
    """Whether anything shows on the page: OCR of a blank page costs ~0.6 s to read nothing."""
    if pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
        return False
    pixels = page.render(scale=INK_DPI / 72, grayscale=True).to_numpy()
    return bool((pixels < 245).any())


def _page_objects(page) -> PageObjects:
    """The page's fonts, images and painted paths, in one walk over its objects."""
    return page_objects(page.raw)


def _image_coverage(page, objects: PageObjects) -> float:
    """The share of the page covered by images."""
    if not objects.images:
        return 0.0
    width, height = page.get_size()
    left, bottom, _, _ = page.get_bbox()
    return image_coverage(objects.images, (left, bottom, width, height))


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


# --- pages that are images -------------------------------------------------------------

def pages_to_ocr(doc: RawDocument, judge: Judge) -> list[int]:
    """Which image pages of a document (RawDocument with ocr_pages) OCR must read.

    None when the text layer already holds complete tables; else the first page when it is
    an image (the title: agency and year) and the image pages that show a ruled table, or
    every image page when none does (a scan of tables printed without lines).
    """
    if judge(doc.rows).incomplete is None:
        return []
    grid = ocr.pages_with_table_grid(doc.path or doc.source_file, doc.ocr_pages)
    if not grid:
        return list(doc.ocr_pages)
    return sorted(({0} & set(doc.ocr_pages)) | set(grid))


def ocr_documents(docs: list[RawDocument], judge: Judge, *, workers: int = 1, progress=None,
                  document_seconds: float = 0) -> tuple[list, list[dict]]:
    """Add the OCR'd rows of the image pages of `docs` (RawDocuments with ocr_pages).

    Every page of every document goes to one pool of `workers` processes. Returns the
    documents that now have rows, and rejection records (document_id, source_file, reason)
    for those that cannot be read: OCR missing, nothing legible, or their pages' OCR over
    `document_seconds` in all (0: no limit).
    """
    plans = {id(doc): pages_to_ocr(doc, judge) for doc in docs}
    tasks = [(doc.path or doc.source_file, page) for doc in docs for page in plans[id(doc)]]
    rejected: list[dict] = []
    if tasks:
        try:
            ocr.bundled_models()
        except ocr.OcrUnavailable as exc:
            return [d for d in docs if not plans[id(d)]], [Rejection(
                d.document_id, d.source_file, "ingestion", f"the tables are on image pages (a scan) and OCR is not available: {exc}"
            ).record() for d in docs if plans[id(d)]]
    over: set = set()
    results = ocr.ocr_pages(tasks, workers=workers, progress=progress, seconds_per_source=document_seconds,
                            over_budget=over) if tasks else {}
    by_task = {tasks[i]: rows for (i, _), rows in results.items()}
    out = []
    for doc in docs:
        read = plans[id(doc)]
        if read and (doc.path or doc.source_file) in over:
            rejected.append(Rejection(doc.document_id, doc.source_file, "ingestion", "over budget: OCR of its pages took "
                                      f"longer than {document_seconds:g} s ({variable_of('document_seconds')})").record())
            continue
        left = [p for p in doc.ocr_pages if p not in read]
        if read:
            rows_by_page: dict[int, list[Row]] = {}
            for row in doc.rows:
                rows_by_page.setdefault(int(row.where.split()[1]) - 1, []).append(row)
            for page in read:
                rows_by_page[page] = ocr.as_rows(by_task[(doc.path or doc.source_file, page)])
            doc.rows = [r for page in sorted(rows_by_page) for r in rows_by_page[page]]
            doc.reader = f"{doc.reader}+ocr"
        notes = [f"page(s) {_pages(read)} read by OCR"] if read else []
        if left:
            notes.append(f"image page(s) {_pages(left)} not read ({'no table on them' if read else 'the tables are in the text layer'})")
        doc.reader_check = "; ".join([doc.reader_check, *notes])
        if not any(c.strip() for r in doc.rows for c in r.cells):
            rejected.append(Rejection(doc.document_id, doc.source_file, "ingestion", f"PDF has no text layer ({doc.pages} "
                                      "page(s) of images) and OCR read no text on them").record())
            continue
        out.append(doc)
    return out, rejected


def _pages(pages: list[int]) -> str:
    return ", ".join(str(p + 1) for p in pages)


def read(data: bytes, options: ReadOptions) -> Reading:
    pdf = read_pdf(data, judge=options.judge, verify=options.verify, budget=options.budget)
    return Reading(pdf.rows, pdf.grids, pdf.reader, pdf.check, pdf.pages, pdf.ocr_pages)
