"""The table grid model: merged cells at their top-left, covered positions, empty cells kept."""
from pathlib import Path

import pytest

from xxgk.documents import RawDocument, Row
from xxgk.grid import Grid, SpanCell, grid_from_rows, parse_span
from xxgk.normalise import normalise_document
from xxgk.staging import grids_path, normalised_documents, raw_documents, write_normalised_rows, write_raw_rows


def _table3_head_and_group() -> Grid:
    """Table 三's three header rows and a group cell spanning its items, as CMSs publish them."""
    return grid_from_rows([
        [SpanCell("（本列数据的勾稽关系为：…）", rowspan=3, colspan=3), SpanCell("申请人情况", colspan=7)],
        [SpanCell("自然人", rowspan=2), SpanCell("法人或其他组织", colspan=5), SpanCell("总计", rowspan=2)],
        [SpanCell(t) for t in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
        [SpanCell("三、本年度办理结果", rowspan=20), SpanCell("（三）不予公开", rowspan=8), SpanCell("1.属于国家秘密"),
         *(SpanCell(v) for v in ("1", "", "0", "", "", "", "1"))],
        [SpanCell("2.其他法律行政法规禁止公开"), *(SpanCell(v) for v in ("", "", "", "", "", "", "0"))],
    ], where="tr 40", anchor=7)


def test_merged_cells_sit_at_their_top_left_and_cover_their_span():
    grid = _table3_head_and_group()
    assert (grid.n_rows, grid.n_cols) == (5, 10)
    note = grid.cell_at(2, 2)
    assert (note.row, note.col, note.rowspan, note.colspan) == (0, 0, 3, 3)
    assert grid.is_covered(2, 2) and not grid.is_covered(0, 0)
    assert grid.cell_at(2, 9).text == "总计" and grid.is_covered(2, 9)
    assert [c.text for c in grid.row_cells(2)] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    assert [c.col for c in grid.row_cells(2)] == [4, 5, 6, 7, 8]


def test_a_row_span_past_the_last_row_is_cut_and_the_covered_rows_shift_their_cells():
    grid = _table3_head_and_group()
    group = grid.cell_at(4, 0)
    assert group.text == "三、本年度办理结果" and group.rowspan == 2  # rowspan="20" on the table's last 2 rows
    assert grid.cell_at(4, 1).text == "（三）不予公开"
    item = grid.cell_at(4, 2)
    assert (item.text, item.row, item.col) == ("2.其他法律行政法规禁止公开", 4, 2)
    assert [grid.cell_at(4, c).text for c in range(3, 10)] == ["", "", "", "", "", "", "0"]


def test_empty_cells_are_cells_at_their_position():
    grid = _table3_head_and_group()
    assert [grid.cell_at(3, c).text for c in range(3, 10)] == ["1", "", "0", "", "", "", "1"]
    assert not any(grid.is_covered(3, c) for c in range(3, 10))
    assert grid.text_rows()[3][3:] == ["1", "", "0", "", "", "", "1"]
    assert grid.text_rows()[4][:3] == ["", "", "2.其他法律行政法规禁止公开"]  # covered positions are empty in the stream form


def test_a_short_row_is_padded_with_empty_cells():
    grid = grid_from_rows([[SpanCell("a"), SpanCell("b"), SpanCell("c")], [SpanCell("d")]])
    assert grid.n_cols == 3
    assert [grid.cell_at(1, c).text for c in range(3)] == ["d", "", ""]
    assert all(not grid.is_covered(1, c) for c in range(3))


@pytest.mark.parametrize("value, span", [("2", 2), ("2;", 2), (" 3 ", 3), ("20", 20), ("", 1), ("x", 1), ("0", 1),
                                         (None, 1), ("99999", 1), ("2px", 2)])
def test_spans_as_publishers_write_them(value, span):
    assert parse_span(value) == span


def _doc(grids) -> RawDocument:
    rows = [Row(["某某县人民政府办公室2023年政府信息公开工作年度报告"], "tr 1"),
            Row(["三、收到和处理政府信息公开申请情况"], "tr 2")]
    return RawDocument("d0c", "x.html", "html", 100, rows, reader="html", grids=grids)


def test_grids_travel_through_the_raw_and_normalised_stores(tmp_path):
    grid = _table3_head_and_group()
    grid.cells[0].confidence = 0.5
    raw = _doc([grid, grid_from_rows([[SpanCell("行政復議"), SpanCell("")]], where="tr 60", anchor=2)])
    part = write_raw_rows([raw], tmp_path / "raw-000000.parquet")
    assert Path(grids_path(part)).exists()  # stores are URLs: a local path here
    manifest = [{"document_id": "d0c", "source_file": "x.html", "format": "html", "size_bytes": 100, "pages": None,
                 "reader": "html", "reader_check": None}]
    back = raw_documents(part, manifest)[0]
    assert [(g.n_rows, g.n_cols, g.where, g.anchor) for g in back.grids] == [(5, 10, "tr 40", 7), (1, 2, "tr 60", 2)]
    assert back.grids[0].cells == grid.cells
    assert back.grids[0].cell_at(4, 1).text == "（三）不予公开"

    norm = normalise_document(back)
    second = norm.grids[1]
    assert [(c.text, c.printed) for c in second.cells] == [("行政复议", "行政復議"), ("", "")]  # folded, simplified; printed kept
    npart = write_normalised_rows([norm], tmp_path / "norm.parquet")
    again = normalised_documents(npart, [{**manifest[0], "agency": norm.agency, "year": norm.year,
                                          "format_version": norm.format_version}])[0]
    assert again.grids == norm.grids


def test_a_part_without_grids_writes_no_grid_file(tmp_path):
    part = write_raw_rows([_doc([])], tmp_path / "raw-000001.parquet")
    assert not Path(grids_path(part)).exists()
    manifest = [{"document_id": "d0c", "source_file": "x.html", "format": "html", "size_bytes": 100, "pages": None,
                 "reader": "html", "reader_check": None}]
    assert raw_documents(part, manifest)[0].grids == []
