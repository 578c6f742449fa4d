"""Web pages: every data table as a grid (xxgk.grid), and the page as rows of text.

Government CMSs publish the report as Word exported to HTML: cells hold
``<p class=MsoNormal><span>…<o:p></o:p></span></p>``, group labels are
``<td rowspan="20">``, blanks are ``<td>&nbsp;</td>``, spans are sometimes malformed
(``colspan="2;"``), and the page sits inside layout tables. A table whose cells hold
tables is layout: it is looked through, and only tables without tables inside become
grids. The rows keep the token-stream reading beside the grids (covered positions of a
row span are absent from a row, a column span is followed by empty cells).
"""
from __future__ import annotations

import re

from xxgk.grid import Grid, SpanCell, grid_from_rows, parse_span
from xxgk.model import DocumentRejected, Row
from xxgk.readers import Reading, ReadOptions
from xxgk.readers.text import decode_text

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "center", "pre", "span", "font", "strong", "b"}
_ROWS = "./tr|./thead/tr|./tbody/tr|./tfoot/tr"
_MAX_STREAM_COLSPAN = 50  # the stream pads a column span with empty cells; beyond this it is a typo


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


def _cell_text(el) -> str:
    return el.text_content().replace("\xa0", " ").replace("\u3000", " ").strip()


def _word_hidden(tr) -> bool:
    """Word's export ends a table with a hidden row of empty cells (``<tr height=0>``, inside
    ``<![if !supportMisalignedColumns]>``); laid out under a row span it would widen the grid."""
    return tr.get("height", "").strip() == "0" and not _cell_text(tr)


def html_document(data: bytes) -> tuple[list[Row], list[Grid]]:
    """(rows, grids) of a page: innermost tables as grids and as rows, text blocks as rows, in order."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(decode_html(data))
    except Exception as exc:  # lxml raises ParserError on garbage
        raise DocumentRejected(f"HTML could not be parsed: {exc}") from None
    # Word-pasted pages hold comments everywhere (<!--[if gte mso 9]>, <![if !supportMisalignedColumns]>)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for br in root.xpath("//br"):
        br.tail = "\n" + (br.tail or "")
    rows: list[Row] = []
    grids: list[Grid] = []
    counter = {"tr": 0}

    def text_block(text: str) -> None:
        for line in text.split("\n"):
            if line.strip():
                rows.append(Row([line.strip()], f"tr {counter['tr']}"))

    def data_table(trs) -> None:
        anchor = len(rows)
        span_rows: list[list[SpanCell]] = []
        for tr in trs:
            counter["tr"] += 1
            where = f"tr {counter['tr']}"
            tds = tr.xpath("./td|./th")
            span_rows.append([SpanCell(_cell_text(td), parse_span(td.get("rowspan")), parse_span(td.get("colspan")), where)
                              for td in tds])
            cells: list[str] = []
            for cell in span_rows[-1]:
                cells.append(cell.text)
                cells.extend([""] * (cell.colspan - 1 if cell.colspan < _MAX_STREAM_COLSPAN else 0))
            if any(cells):
                rows.append(Row(cells, where))
        if any(cell.text for row in span_rows for cell in row):
            grids.append(grid_from_rows(span_rows, where=span_rows[0][0].where if span_rows and span_rows[0] else "",
                                        anchor=anchor))

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table":
            trs = [tr for tr in el.xpath(_ROWS) if not _word_hidden(tr)]
            if not any(tr.xpath("./td//table|./th//table") for tr in trs):
                data_table(trs)
                return
            for tr in trs:  # a layout table: its rows with tables are looked through, the others are text
                counter["tr"] += 1
                tds = tr.xpath("./td|./th")
                if any(td.xpath(".//table") for td in tds):
                    for td in tds:
                        walk(td)
                    continue
                cells = [_cell_text(td) for td in tds]
                if any(cells):
                    rows.append(Row(cells, f"tr {counter['tr']}"))
            return
        has_block_child = any(isinstance(c.tag, str) and (c.tag == "table" or c.tag in _BLOCK_TAGS or c.xpath(".//table")) for c in el)
        if not has_block_child:
            text_block(_cell_text(el))
            return
        if el.text and el.text.strip():
            text_block(el.text.replace("\xa0", " "))
        for child in el:
            walk(child)
            if child.tail and child.tail.strip():
                text_block(child.tail.replace("\xa0", " "))

    body = root.find("body")
    walk(body if body is not None else root)
    return rows, grids


def html_rows(data: bytes) -> list[Row]:
    """The page as rows of text (the token-stream reading)."""
    return html_document(data)[0]


def read(data: bytes, options: ReadOptions) -> Reading:
    rows, grids = html_document(options.budget.fit_html(data))
    return Reading(rows, grids, reader="html")
