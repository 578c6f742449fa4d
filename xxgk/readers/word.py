"""Word files: tables are grids natively (gridSpan for a column span, vMerge for a row span);
paragraphs are rows of text. ``.doc`` (Word 97–2003) is converted to ``.docx`` by LibreOffice
headless first, where it is installed."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from xxgk.grid import Grid, GridCell, grid_from_cells
from xxgk.model import DocumentRejected, Row
from xxgk.readers import Reading, ReadOptions

CONVERT_TIMEOUT_S = 120
_NO_SOFFICE = ("a .doc (Word 97-2003) file needs LibreOffice to be read: install it (Debian/Ubuntu: "
               "apt-get install libreoffice-writer-nogui) or save the file as .docx")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def doc_to_docx(data: bytes) -> bytes:
    """A .doc file's bytes as .docx, converted by LibreOffice in a profile of its own (two
    conversions at once would otherwise fight over one profile's lock)."""
    binary = soffice()
    if binary is None:
        raise DocumentRejected(_NO_SOFFICE)
    with tempfile.TemporaryDirectory(prefix="xxgk-doc-") as tmp:
        source = Path(tmp) / "report.doc"
        source.write_bytes(data)
        try:
            done = subprocess.run(
                [binary, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                 "--convert-to", "docx", "--outdir", tmp, str(source)],
                capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise DocumentRejected(f"LibreOffice did not convert the .doc file within {CONVERT_TIMEOUT_S} s") from None
        target = Path(tmp) / "report.docx"
        if not target.exists():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise DocumentRejected("LibreOffice could not convert the .doc file" + (f": {detail[-1]}" if detail else ""))
        return target.read_bytes()


def word_document(data: bytes) -> tuple[list[Row], list[Grid]]:
    """(rows, grids) of a .docx file: paragraphs and table rows in document order, each table a grid."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # a zip that is not a Word file, a damaged or encrypted file
        raise DocumentRejected(f"Word file could not be read: {exc}") from None
    rows: list[Row] = []
    grids: list[Grid] = []
    counter = {"paragraph": 0, "table": 0}

    def paragraph(text: str) -> None:
        counter["paragraph"] += 1
        for line in text.replace("\xa0", " ").split("\n"):
            if line.strip():
                rows.append(Row([line.strip()], f"paragraph {counter['paragraph']}"))

    def table(t: Table) -> None:
        inner = [tc_table for r in t.rows for c in r.cells for tc_table in c.tables]
        if inner:  # a layout table: the tables inside are the data
            for cell_table in inner:
                table(cell_table)
            return
        counter["table"] += 1
        grid = _grid(t, counter["table"], anchor=len(rows))
        for r in range(grid.n_rows):
            cells = [c for c in grid.row_cells(r)]
            texts = []
            for c in cells:
                texts += [c.text] + [""] * (c.colspan - 1)
            if any(texts):
                rows.append(Row(texts, f"table {counter['table']} row {r + 1}"))
        if any(c.text for c in grid.cells):
            grids.append(grid)

    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraph(block.text)
        elif isinstance(block, Table):
            table(block)
    return rows, grids


def _grid(t, number: int, anchor: int) -> Grid:
    from docx.table import _Cell

    placed: list[GridCell] = []
    above: dict[int, GridCell] = {}  # column -> the cell a vMerge="continue" below it extends
    trs = [row._tr for row in t.rows]
    for r, tr in enumerate(trs):
        col = tr.grid_before
        where = f"table {number} row {r + 1}"
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            if tc.vMerge == "continue" and col in above:
                above[col].rowspan = r - above[col].row + 1
            else:
                text = _Cell(tc, t).text.replace("\xa0", " ").replace("\u3000", " ").strip()
                cell = GridCell(r, col, text, 1, span, where)
                placed.append(cell)
                for c in range(col, col + span):
                    above.pop(c, None)
                above[col] = cell
            col += span
    return grid_from_cells(placed, len(trs), where=f"table {number}", anchor=anchor)


def read_docx(data: bytes, options: ReadOptions) -> Reading:
    options.budget.check_zip(data)
    rows, grids = word_document(data)
    return Reading(rows, grids, reader="docx")


def read_doc(data: bytes, options: ReadOptions) -> Reading:
    reading = read_docx(doc_to_docx(data), options)
    reading.check = "converted from .doc by LibreOffice"
    return reading
