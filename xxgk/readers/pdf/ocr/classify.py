"""Which pages of a PDF are images OCR must read, and which of those show a ruled table."""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pypdfium2 as pdfium

from xxgk.marks import TABLE_ONLY_WORDS
from xxgk.readers.pdf.objects import image_coverage, page_objects
from xxgk.readers.pdf.ocr.image import render_page

MIN_TEXT_CHARS = 20
MIN_IMAGE_RATIO = 0.5
MIN_WORDS = 6  # Han characters that make a short page a page of text


def page_needs_ocr(page_text: str, image_area_ratio: float) -> bool:
    """Whether a page's content must be read by OCR rather than from its text layer.

    True for a page with no text — a scan, or text drawn as outlines — and for a page an
    image covers most of whose text is short or has none of the table words (a scanned
    table under a typed heading or a stamp's caption).
    """
    chars = len(re.sub(r"\s+", "", page_text or ""))
    if chars < MIN_TEXT_CHARS:
        # a short last page of words (本年度未收取信息处理费。) is text; a page number alone is not
        words = len(re.findall(r"[\u3400-\u9fff]", page_text or ""))
        return words < MIN_WORDS or image_area_ratio >= MIN_IMAGE_RATIO
    folded = re.sub(r"[ \t\u3000]+", "", unicodedata.normalize("NFKC", page_text))
    return image_area_ratio >= MIN_IMAGE_RATIO and not TABLE_ONLY_WORDS.search(folded)


def page_image_coverage(page, grid: int = 64) -> float:
    """The share (0..1) of a pypdfium2 page covered by images, overlaps counted once
    (:func:`xxgk.readers.pdf.objects.page_objects` says which objects are images)."""
    width, height = page.get_size()
    return image_coverage(page_objects(page.raw).images, (page.get_bbox()[0], page.get_bbox()[1], width, height), grid)


GRID_DPI = 72  # at 50 dpi the thin ruling lines of a 200-dpi scan fade to light grey


def has_table_grid(gray, min_lines: int = 3) -> bool:
    """Whether a page image shows a ruled table: several long horizontal and vertical lines.

    Cheap (a page at 72 dpi, ~40 ms): it chooses which image pages are worth the seconds of OCR.
    """
    dark = np.asarray(gray) < 200
    if dark.ndim == 3:
        dark = dark[:, :, 0]
    h, w = dark.shape

    def lines(mask, length: float) -> int:
        """Rows of `mask` holding a run of ink at least `length` long."""
        edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        count = 0
        for row in edges:
            starts = np.flatnonzero(row == 1)
            if len(starts) and (np.flatnonzero(row == -1) - starts).max() >= length:
                count += 1
        return count

    def thick(mask, axis: int):
        """Ink spread over two pixels either side across `axis`: a rule a scan skewed by up to
        ~1° drifts that far across a run, and is then still one run."""
        out = mask.copy()
        for shift in (-2, -1, 1, 2):
            out |= np.roll(mask, shift, axis=axis)
        return out

    return lines(thick(dark, 0), 0.4 * w) >= min_lines and lines(thick(dark, 1).T, 0.08 * h) >= min_lines


def pages_with_table_grid(source, pages: list[int]) -> list[int]:
    """Those of `pages` (0-based) of a PDF whose image shows a ruled table."""
    pdf = pdfium.PdfDocument(source)
    try:
        return [i for i in pages if has_table_grid(render_page(pdf, i, GRID_DPI))]
    finally:
        pdf.close()


def pages_needing_ocr(data: bytes) -> list[int]:
    """0-based indices of the pages of a PDF whose content must be read by OCR."""
    pdf = pdfium.PdfDocument(data)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            if page_needs_ocr(text, page_image_coverage(page)):
                out.append(i)
            page.close()
        return out
    finally:
        pdf.close()
