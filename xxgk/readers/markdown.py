"""Markdown, as PDF-to-markdown converters write it (markitdown, pandoc, html2text, docling):
text rows (:mod:`xxgk.readers.text`: pipe tables, emphasis), and the raw HTML tables they leave
where a table has merged cells (pandoc writes table 三 as ``<table>``), read as web tables."""
from __future__ import annotations

import re

from xxgk.grid import Grid
from xxgk.model import Row
from xxgk.readers import Reading, ReadOptions
from xxgk.readers.html import html_document
from xxgk.readers.text import decode_text, text_rows

_HTML_TABLE = re.compile(r"<table\b.*?</table\s*>", re.I | re.S)


def markdown_document(text: str) -> tuple[list[Row], list[Grid]]:
    """(rows, grids) of a markdown file, in document order."""
    rows: list[Row] = []
    grids: list[Grid] = []
    at = 0
    for m in _HTML_TABLE.finditer(text):
        rows += text_rows(text[at : m.start()])
        table_rows, table_grids = html_document(f"<html><body>{m.group(0)}</body></html>".encode())
        for grid in table_grids:
            grid.anchor += len(rows)
            grids.append(grid)
        rows += table_rows
        at = m.end()
    rows += text_rows(text[at:])
    return rows, grids


def read(data: bytes, options: ReadOptions) -> Reading:
    rows, grids = markdown_document(decode_text(data))
    return Reading(rows, grids, reader="md")
