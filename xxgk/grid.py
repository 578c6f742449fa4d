"""A table as its publisher drew it: rows × columns of cells, merged cells kept whole.

Readers that can see a table's structure (web pages, Word files, ruled PDF tables, OCR'd
ruled pages) return each table as a :class:`Grid` beside the document's rows of text.
A merged cell's text sits at its top-left position with its row and column span; the
positions it covers hold nothing of their own (:meth:`Grid.is_covered`). An empty cell is
an empty cell at its position — never dropped, never filled from a neighbour — so a value
is placed by the column it stands in, not by how many values came before it.

This module is the bottom layer: it imports nothing of xxgk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_SPAN = 1000  # a span beyond this is a publisher's typo, not a table


@dataclass
class GridCell:
    """One cell of a grid: a plain cell, or a merged cell at its top-left position."""

    row: int
    col: int
    text: str  # as the reader found it (raw stage); folded for matching after normalisation
    rowspan: int = 1
    colspan: int = 1
    where: str = ""  # "tr 12", "page 3", "table 2 row 5": where the cell was printed
    confidence: float | None = None  # OCR's score of the cell; None for text
    printed: str | None = None  # set by normalisation: the text as printed, stripped

    @property
    def shown(self) -> str:
        """The text as printed (before normalisation: the text itself)."""
        return self.text.strip() if self.printed is None else self.printed


@dataclass
class Grid:
    """One table. ``cells`` holds one :class:`GridCell` per position that is not covered by
    a merged cell; every position of the n_rows × n_cols rectangle is either such a cell
    or covered by one."""

    n_rows: int
    n_cols: int
    cells: list[GridCell]
    where: str = ""  # where the table begins ("tr 40", "page 2")
    anchor: int = 0  # index of the document row at which the table begins (its heading is before it)
    provenance: str = "text"  # text | ocr
    _at: dict[tuple[int, int], GridCell] | None = field(default=None, repr=False, compare=False)

    def _index(self) -> dict[tuple[int, int], GridCell]:
        if self._at is None:
            at: dict[tuple[int, int], GridCell] = {}
            for cell in self.cells:
                for r in range(cell.row, cell.row + cell.rowspan):
                    for c in range(cell.col, cell.col + cell.colspan):
                        at[(r, c)] = cell
            self._at = at
        return self._at

    def cell_at(self, row: int, col: int) -> GridCell | None:
        """The cell that covers (row, col): its own cell, or the merged cell spanning it."""
        return self._index().get((row, col))

    def is_covered(self, row: int, col: int) -> bool:
        """Whether (row, col) is inside a merged cell whose top-left is elsewhere."""
        cell = self.cell_at(row, col)
        return cell is not None and (cell.row, cell.col) != (row, col)

    def row_cells(self, row: int) -> list[GridCell]:
        """The cells whose top-left is in `row`, left to right."""
        return sorted((c for c in self.cells if c.row == row), key=lambda c: c.col)

    def text_rows(self) -> list[list[str]]:
        """Each row as n_cols texts, covered positions empty: the table as a stream of rows."""
        out = [[""] * self.n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            out[cell.row][cell.col] = cell.shown
        return out


def parse_span(value: str | int | None) -> int:
    """A span attribute as publishers write it: "2", "2;", " 3 ", "20" -> its number; junk -> 1."""
    if isinstance(value, int):
        return value if 1 <= value <= MAX_SPAN else 1
    m = re.match(r"\s*(\d+)", value or "")
    n = int(m.group(1)) if m else 1
    return n if 1 <= n <= MAX_SPAN else 1


@dataclass
class SpanCell:
    """A cell as a reader meets it in document order: text and the spans it asks for."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    where: str = ""
    confidence: float | None = None


def grid_from_rows(rows: list[list[SpanCell]], *, where: str = "", anchor: int = 0, provenance: str = "text") -> Grid:
    """Lay out rows of cells the way a browser lays out an HTML table.

    Each cell goes to the first column of its row not taken by a cell spanning down from
    above; a row span is cut at the table's last row (``rowspan="20"`` on a 12-row table),
    and a row shorter than the widest is padded with empty cells, so that every position
    of the rectangle is a cell or covered by one.
    """
    taken: set[tuple[int, int]] = set()
    placed: list[GridCell] = []
    n_rows = len(rows)
    for r, row in enumerate(rows):
        c = 0
        for span_cell in row:
            while (r, c) in taken:
                c += 1
            rowspan = max(1, min(span_cell.rowspan, n_rows - r))
            colspan = max(1, span_cell.colspan)
            placed.append(GridCell(r, c, span_cell.text, rowspan, colspan, span_cell.where, span_cell.confidence))
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    taken.add((rr, cc))
            c += colspan
    return grid_from_cells(placed, n_rows, where=where, anchor=anchor, provenance=provenance)


def grid_from_cells(cells: list[GridCell], n_rows: int, *, where: str = "", anchor: int = 0, provenance: str = "text") -> Grid:
    """A grid of cells already placed (Word's gridSpan and vMerge say where): the positions
    no cell covers become empty cells, so every position of the rectangle is a cell or covered."""
    taken = {(r, c) for cell in cells for r in range(cell.row, cell.row + cell.rowspan)
             for c in range(cell.col, cell.col + cell.colspan)}
    n_cols = max((c for _, c in taken), default=-1) + 1
    placed = list(cells)
    for r in range(n_rows):
        row_where = next((p.where for p in cells if p.row == r and p.where), where)
        placed += [GridCell(r, c, "", where=row_where) for c in range(n_cols) if (r, c) not in taken]
    placed.sort(key=lambda g: (g.row, g.col))
    return Grid(n_rows, n_cols, placed, where=where, anchor=anchor, provenance=provenance)
