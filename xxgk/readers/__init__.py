"""Readers: one file format each, behind one interface. A reader turns a file's bytes into a
:class:`Reading` (rows of cells, the tables it saw as grids); :data:`READERS` says which reader
reads which suffix, and :func:`reader_for` loads it (each format's libraries are imported only
when a file of it is read)."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from xxgk.budget import Budget
from xxgk.grid import Grid
from xxgk.model import Row


@dataclass
class Reading:
    """What a reader made of one file."""

    rows: list[Row]
    grids: list[Grid] = field(default_factory=list)  # the tables whose structure the reader saw
    reader: str = ""  # the name kept with the document: txt, md, html, docx, pdfium, pdfplumber
    check: str | None = None  # why that reader, or what was converted: kept with the document
    pages: int | None = None
    ocr_pages: list[int] = field(default_factory=list)  # 0-based pages whose content is an image, left to OCR


@dataclass(frozen=True)
class ReadOptions:
    budget: Budget = field(default_factory=Budget)
    judge: Callable | None = None  # PDF: whether the fast reading can be trusted (xxgk.readers.pdf.Judge)
    verify: bool = False  # PDF: read by both readers, and the two compared


# suffix -> (the format a document records, "module:function" of xxgk.readers)
READERS: dict[str, tuple[str, str]] = {
    ".txt": ("txt", "text:read"),
    ".md": ("md", "markdown:read"), ".markdown": ("md", "markdown:read"),
    ".pdf": ("pdf", "pdf:read"),
    ".html": ("html", "html:read"), ".htm": ("html", "html:read"),
    ".docx": ("docx", "word:read_docx"), ".doc": ("doc", "word:read_doc"),
}


def reader_for(suffix: str) -> Callable[[bytes, ReadOptions], Reading] | None:
    """The reader of files with this suffix, or None."""
    entry = READERS.get(suffix.lower())
    if entry is None:
        return None
    module, _, function = entry[1].partition(":")
    return getattr(importlib.import_module(f"xxgk.readers.{module}"), function)
