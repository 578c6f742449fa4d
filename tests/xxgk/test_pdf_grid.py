"""Ruled PDF tables as grids from pdfium's objects (xxgk/readers/pdf/grid.py): the edges pdfplumber
sees, the same cells and spans as pdfplumber's table finder, and hongze-2024.pdf read by
the pdfium grid and trusted."""
from __future__ import annotations

import io

import pdfplumber
import pypdfium2 as pdfium
import pytest
from pdfplumber.table import TableFinder
from pdfplumber.utils import extract_text

from xxgk import SAMPLES_DIR
from xxgk.extract.trust import reading_facts
from xxgk.readers.pdf import _pdfium_page, read_pdf
from xxgk.readers.pdf.grid import _Objects, cell_text, find_tables, merged_edges, page_edges
from xxgk.readers.pdf.layout import pdfium_page_chars
from xxgk.readers.pdf.objects import page_objects
from xxgk.readers.pdf.reference import reference_pages

HONGZE = SAMPLES_DIR / "hongze-2024.pdf"


def _edge_keys(edges: list[dict]) -> list[tuple]:
    return sorted((e["object_type"], e["orientation"], round(e["x0"], 2), round(e["top"], 2), round(e["x1"], 2),
                   round(e["bottom"], 2)) for e in edges)


def _drawn_pdf() -> bytes:
    """A page of the path shapes pdfminer tells apart: a stroked line, a filled rectangle, a
    stroked closed rectangle drawn with lines, a polyline, a Bézier curve, a path of two
    subpaths, and an unpainted (clipping-like) path, inside a form too."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(400, 400))
    c.line(20, 380, 300, 380)
    c.rect(20, 300, 200, 40, stroke=0, fill=1)
    p = c.beginPath()
    p.moveTo(20, 200), p.lineTo(120, 200), p.lineTo(120, 260), p.lineTo(20, 260), p.close()
    c.drawPath(p, stroke=1, fill=0)
    p = c.beginPath()
    p.moveTo(200, 200), p.lineTo(260, 200), p.lineTo(260, 280)
    c.drawPath(p, stroke=1, fill=0)
    p = c.beginPath()
    p.moveTo(20, 100), p.curveTo(60, 150, 100, 50, 140, 100)
    c.drawPath(p, stroke=1, fill=0)
    p = c.beginPath()
    p.moveTo(200, 100), p.lineTo(300, 100), p.moveTo(200, 60), p.lineTo(200, 20)
    c.drawPath(p, stroke=1, fill=0)
    p = c.beginPath()
    p.rect(300, 300, 50, 50)
    c.drawPath(p, stroke=0, fill=0)
    c.saveState()
    c.translate(100, 10)
    c.scale(2, 1)
    c.line(0, 0, 50, 0)
    c.restoreState()
    c.showPage()
    c.save()
    return buffer.getvalue()


def test_the_edges_are_pdfplumbers_edges_classified_by_pdfminers_rules():
    data = _drawn_pdf()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        want = _edge_keys(pdf.pages[0].edges)
    page = pdfium.PdfDocument(data)[0]
    got = _edge_keys(page_edges(page_objects(page.raw).paths, page.get_size()[1]))
    assert got == want
    kinds = {k[0] for k in got}
    assert kinds == {"line", "rect_edge", "curve_edge"}
    assert ("line", "h", 100.0, 390.0, 200.0, 390.0) in got  # a line drawn under a scaled matrix


@pytest.mark.parametrize("index", range(5))
def test_hongze_pages_give_pdfplumbers_edges(index):
    with pdfplumber.open(HONGZE) as pdf:
        want = _edge_keys(pdf.pages[index].edges)
    page = pdfium.PdfDocument(HONGZE)[index]
    assert _edge_keys(page_edges(page_objects(page.raw).paths, page.get_size()[1])) == want


def _cells(grids):
    return [(start, g.n_rows, g.n_cols, [(c.row, c.col, c.rowspan, c.colspan, c.text) for c in g.cells]) for start, g in grids]


def test_hongze_rows_and_grids_are_pdfplumbers():
    """Every page: the same rows, and the same grids (cells, spans, text), from pdfium's objects."""
    rows, grids, pages = reference_pages(HONGZE.read_bytes(), None, {})
    pdf = pdfium.PdfDocument(HONGZE)
    for index in range(pages):
        page = pdf[index]
        fast_rows, fast_grids, _ = _pdfium_page(page, page_objects(page.raw), f"page {index + 1}", first=index == 0)
        assert [r.cells for r in fast_rows] == [r.cells for r in rows[index]], index
        assert _cells(fast_grids) == _cells(grids.get(index, [])), index


def test_hongze_is_read_by_the_pdfium_grid_and_pdfplumber_reads_the_same_cells():
    reading = read_pdf(HONGZE.read_bytes(), judge=reading_facts, verify=True)
    assert (reading.reader, reading.check) == ("pdfium", "complete tables; verified: pdfplumber reads the same cells")
    assert read_pdf(HONGZE.read_bytes(), judge=reading_facts).reader == "pdfium"
    # table 三 begins on page 3: the vertical label 三、本年度办理结果 (WPS prints it with a
    # vertical-writing font) is one merged cell spanning the result rows, in the label column
    table3 = next(g for g in reading.grids if g.where == "page 3" and g.n_cols == 10)
    label = next(c for c in table3.cells if c.text == "三、本年度办理结果")
    assert (label.col, label.colspan) == (0, 1) and label.rowspan >= 9
    assert reading.rows[table3.anchor].cells[0].startswith("（本列数据的勾稽关系为")
    # and it goes on, without its label's text, on page 4
    continued = next(g for g in reading.grids if g.where == "page 4" and g.n_cols == 10)
    assert continued.cells[0].rowspan == 9 and continued.cells[0].text == ""
    # table 四's two-level header: 行政复议 over five columns, 结果维持 over two rows
    table4 = next(g for g in reading.grids if g.n_cols == 15)
    assert [(c.text, c.rowspan, c.colspan) for c in table4.row_cells(0)] == [("行政复议", 1, 5), ("", 1, 3), ("行政诉讼", 1, 7)]


def test_without_a_judge_the_reference_reader_reads():
    reading = read_pdf(HONGZE.read_bytes())
    assert (reading.reader, reading.check) == ("pdfplumber", "pdfium reading not trusted: no judge of the pdfium reading")


def _pages_objects():
    """(edges, chars, size) of every page of hongze and of a ruled report drawn as WPS draws it."""
    from tests.fixtures import synthetic

    pdfs = [HONGZE.read_bytes()]
    if synthetic.EMBEDDABLE_FONT.exists():
        pdfs.append(synthetic.make_report(10, "2021", embed_font=str(synthetic.EMBEDDABLE_FONT), wps_drawing=True,
                                          split_table3_across_pages=True, long_labels_wrap=True).pdf_bytes)
    out = []
    for data in pdfs:
        pdf = pdfium.PdfDocument(data)
        for page in pdf:
            width, height = page.get_size()
            textpage = page.get_textpage()
            out.append((page_edges(page_objects(page.raw).paths, height), pdfium_page_chars(textpage, height), (width, height)))
    return out


def _edge(e: dict) -> tuple:
    return e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]


def test_the_table_finder_finds_pdfplumbers_cells_and_texts():
    """find_tables finds the edges and cells pdfplumber's TableFinder finds, and cell_text
    gives extract_text's text: for every cell, and for runs of a page's characters."""
    found = 0
    for edges, chars, size in _pages_objects():
        objects = _Objects(edges, chars, (0.0, 0.0, *size))
        want = TableFinder(objects)
        assert [_edge(e) for e in merged_edges(objects.edges, want.settings)] == [_edge(e) for e in want.edges]
        got = find_tables(objects)
        assert [t.cells for t in got] == [t.cells for t in want.tables]
        for table in got:
            for x0, top, x1, bottom in table.cells:
                inside = [c for c in chars if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom]
                found += bool(inside)
                assert cell_text(inside) == extract_text(inside)
        for start in range(0, len(chars), 37):  # runs across lines, words and cells
            assert cell_text(chars[start:start + 90]) == extract_text(chars[start:start + 90])
    assert found > 300


def test_a_character_drawn_twice_in_place_is_one_character_as_pdfplumber_dedupes_it():
    """Fake bold: a line drawn again 0.4 pt to the right; the same line 30 pt lower is text."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(300, 200))
    c.setFont("Helvetica", 12)
    for x, y in ((20, 150), (20.4, 150.3), (20, 120)):
        c.drawString(x, y, "Total 1234 items")
    c.showPage()
    c.save()
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as pdf:
        want = [(ch["text"], round(ch["x0"])) for ch in pdf.pages[0].dedupe_chars().chars]
    page = pdfium.PdfDocument(buffer.getvalue())[0]
    chars = pdfium_page_chars(page.get_textpage(), page.get_size()[1])
    got = [(ch["text"], round(ch["x0"])) for ch in chars if not ch["text"].isspace()]
    assert len(got) == 2 * len("Total1234items")
    assert sorted(t for t, _ in got) == sorted(t for t, _ in want if not t.isspace())


def _char(text: str, x0: float, top: float = 5.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + 5, "top": top, "bottom": top + 9, "upright": True}


def test_a_rows_lost_rulings_are_mended_only_where_each_number_stands_inside_one_column():
    from pdfplumber.table import Table

    from xxgk.readers.pdf.grid import mend_cells

    below = [(0, 20, 50, 40), (50, 20, 100, 40), (100, 20, 150, 40)]  # a row ruled in full: the columns
    # Chromium's row after a page break: '0 5' in one cell across two columns, '7' in no cell
    table = mend_cells(Table(None, [(0, 0, 100, 20), *below]), [_char("0", 10), _char("5", 70), _char("7", 120)])
    assert sorted(c for c in table.cells if c[1] == 0) == [(0, 0, 50, 20), (50, 0, 100, 20), (100, 0, 150, 20)]
    # a number centred in a merged cell stands across a column's edge: never cut; a word in no cell: left alone
    table = mend_cells(Table(None, [(0, 0, 100, 20), *below]), [_char("3", 45), _char("6", 50), _char("件", 120)])
    assert sorted(c for c in table.cells if c[1] == 0) == [(0, 0, 100, 20)]
