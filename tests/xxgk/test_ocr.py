"""OCR of scanned pages: rows and columns rebuilt from box positions, unread cells marked.

The layout tests run on hand-made boxes (no OCR, milliseconds). The OCR tests read an
image-only copy of hongze-2024.pdf (its pages rendered at 200 dpi and put back into a PDF
as pictures, so nothing of the text layer survives) and must give every cell of the hand
transcription; a cell whitened out of a page image must come back as UNREAD in its own
grid position. They take about half a minute on two cores.
"""
from __future__ import annotations

import importlib.util
import io
import os
import socket
import time

import polars as pl
import pytest

from tests.conftest import expected_cells
from xxgk import SAMPLES_DIR
from xxgk.documents import RawDocument
from xxgk.readers.pdf.ocr import (
    UNREAD,
    Box,
    as_rows,
    layout_rows,
    normalise_number,
    page_image_coverage,
    page_needs_ocr,
    pages_needing_ocr,
)

HONGZE = SAMPLES_DIR / "hongze-2024.pdf"
DPI = 200
KEY = ["category_code", "applicant_type", "measure"]


# --- numbers ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "printed, read",
    [
        ("0", "0"), ("O", "0"), ("o", "0"), ("1O", "10"), ("l", "1"), ("I2", "12"), ("９４８７", "9487"),
        ("7,545", "7,545"), ("12.", "12"), ("0,", "0"), ("7730.28", "7730.28"), ("1077980元", "1077980元"),
        ("/", "/"), ("—", "—"), ("无", "无"),
        ("Oil", None), ("行政许可", None), ("- 3 -", None), ("0 0", None), ("", None),
    ],
)
def test_only_whole_numeric_cells_are_normalised(printed, read):
    assert normalise_number(printed) == read


def test_unread_is_what_the_extractor_reads_as_unread():
    from xxgk.extract.tokens import UNREAD_TEXT, Kind, classify

    assert UNREAD == UNREAD_TEXT and classify(UNREAD)[0] is Kind.UNREAD


# --- layout on hand-made boxes --------------------------------------------------------

H = 40  # text height in pixels, as at 200 dpi
COLS = [900, 980, 1060, 1140, 1220, 1300, 1380]  # x-centres of the seven columns of table 三
HEADERS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def _box(text: str, xc: float, yc: float, score: float = 0.99, w: float | None = None) -> Box:
    w = w if w is not None else max(30, 34 * len(text))
    return Box(xc - w / 2, yc - H / 2, xc + w / 2, yc + H / 2, text, score)


def _label(text: str, x0: float, yc: float) -> Box:
    return Box(x0, yc - H / 2, x0 + 25 * len(text), yc + H / 2, text, 0.99)


def _table3(rows: list[tuple[list[str], list[str | None]]], header: bool = True, y: float = 400) -> list[Box]:
    """Boxes of a table 三 fragment: labels at x 220/300/500, values in COLS (None: no box)."""
    boxes = [_box(h, x, y - 80, w=70) for h, x in zip(HEADERS, COLS)] if header else []
    for i, (labels, values) in enumerate(rows):
        yc = y + 60 * i
        for label, x0 in zip(labels, (300, 500)):
            if label:
                boxes.append(_label(label, x0, yc))
        for value, x in zip(values, COLS):
            if value is not None:
                boxes.append(_box(value, x, yc + (i % 3 - 1) * 3))  # a little jitter
    return boxes


def _cells(rows, label: str) -> list[str]:
    return next(r.cells for r in rows if label in "".join(r.cells))


def test_a_missing_value_is_unread_in_its_own_column_and_neighbours_stay_put():
    boxes = _table3([
        (["（三）不予公开", "1.属于国家秘密"], ["0", "0", "0", "0", "0", "0", "0"]),
        (["", "2.其他法律行政法规禁止公开"], ["5", "1", None, "2", "3", "4", "15"]),
        (["", "3.危及“三安全一稳定”"], [None, "0", "0", "0", "0", "0", "1"]),
    ])
    rows = layout_rows(boxes, 3)
    row = next(r for r in rows if "2.其他法律" in r.cells[0])
    assert row.cells == ["2.其他法律行政法规禁止公开", "5", "1", UNREAD, "2", "3", "4", "15"]
    assert row.confidences == [None, 0.99, 0.99, 0.0, 0.99, 0.99, 0.99, 0.99]
    assert _cells(rows, "3.危及")[1:] == [UNREAD, "0", "0", "0", "0", "0", "1"]
    assert all(r.where == "page 3 (ocr)" for r in rows)


def test_group_heading_comes_before_its_item_on_the_row_it_sits_on():
    rows = layout_rows(_table3([(["（三）不予公开", "1.属于国家秘密"], ["0"] * 7)]), 3)
    assert _cells(rows, "国家秘密")[:2] == ["（三）不予公开", "1.属于国家秘密"]


@pytest.mark.parametrize("missing", [0, 5])
def test_a_column_shown_only_by_its_header_is_unread(missing):
    # 自然人 (the first) or 其他 has no number in any row: its header still places it
    values = ["1", "0", "0", "0", "0", "0", "1"]
    values[missing] = None
    rows = layout_rows(_table3([(["（一）予以公开"], values), (["（二）部分公开"], values)]), 3)
    assert _cells(rows, "予以公开")[1:] == [UNREAD if v is None else v for v in values]
    header = next(r for r in rows if "自然人" in r.cells)
    assert header.cells == HEADERS and header.confidences == [None] * 7


def test_a_cell_with_no_box_is_read_again_from_its_own_ink_only():
    """layout_rows asks `reread` for the ink between the neighbouring columns, on the row's band."""
    boxes = _table3([(["（一）予以公开"], ["1", "0", None, "0", "0", "0", "1"])])
    asked = []

    def reread(answer):
        def read(x0, y0, x1, y1, keep=()):
            asked.append((x0, y0, x1, y1))
            assert keep == []
            return answer
        return read

    for answer, cell, confidence in [(("7", 0.91), "7", 0.91), (("O", 0.8), "0", 0.8), (None, UNREAD, 0.0),
                                     (("B", 0.99), UNREAD, 0.0), (("7", 0.2), UNREAD, 0.0)]:
        row = next(r for r in layout_rows(boxes, 3, reread=reread(answer)) if "予以公开" in r.cells[0])
        assert (row.cells[3], row.confidences[3]) == (cell, confidence)
    x0, y0, x1, y1 = asked[0]
    assert COLS[1] + 17 <= x0 < COLS[2] - 17 and COLS[2] + 17 < x1 <= COLS[3] - 17  # not into a neighbour
    assert 370 <= y0 < 380 and 420 < y1 <= 430


def test_a_doubtful_cell_takes_a_second_reading_only_where_it_settles_the_cell():
    def row_with(box: Box, answer):
        boxes = _table3([(["（一）予以公开"], ["1", "0", None, "0", "0", "0", "1"])]) + [box]
        kept = []

        def read(x0, y0, x1, y1, keep=()):
            kept.extend(keep)
            return answer
        row = next(r for r in layout_rows(boxes, 3, reread=read) if "予以公开" in r.cells[0])
        assert [b.text for b in kept] == [box.text]  # the doubtful box's own ink is read again
        return row.cells[3], row.confidences[3]

    doubtful = _box("8", COLS[2], 400, score=0.3)
    assert row_with(doubtful, ("8", 0.97)) == ("8", 0.97)  # two readings agree
    assert row_with(doubtful, ("3", 0.97)) == (UNREAD, 0.0)  # they do not
    assert row_with(_box(".0", COLS[2], 400), ("0", 0.95)) == ("0", 0.95)  # a speck read as a point
    assert row_with(_box(".0", COLS[2], 400), ("B", 0.95)) == (UNREAD, 0.0)


def test_low_score_and_letters_in_a_number_cell_are_unread():
    boxes = _table3([(["（一）予以公开"], ["1", "0", "0", "0", "0", "0", "1"])])
    boxes = [Box(b.x0, b.y0, b.x1, b.y1, b.text, 0.2) if b.text == "1" and b.xc == COLS[0] else b for b in boxes]
    boxes.append(_box("B", COLS[3], 400))
    boxes = [b for b in boxes if not (b.text == "0" and b.xc == COLS[3])]
    rows = layout_rows(boxes, 3)
    assert _cells(rows, "予以公开")[1:] == [UNREAD, "0", "0", UNREAD, "0", "0", "1"]


def test_confusable_letters_in_a_number_cell_are_read():
    rows = layout_rows(_table3([(["（一）予以公开"], ["l", "O", "０", "o", "0", "0", "1O"])]), 3)
    assert _cells(rows, "予以公开")[1:] == ["1", "0", "0", "0", "0", "0", "10"]


def test_two_numbers_in_one_box_are_split_by_the_columns_they_cover():
    boxes = _table3([(["（一）予以公开"], ["1", "0", "0", "0", "0", "0", "1"]),
                     (["（二）部分公开"], ["2", None, None, "0", "0", "0", "2"])])
    boxes.append(Box(COLS[1] - 15, 445, COLS[2] + 15, 475, "0 0", 0.95))
    rows = layout_rows(boxes, 3)
    assert _cells(rows, "部分公开")[1:] == ["2", "0", "0", "0", "0", "0", "2"]


def test_a_row_whose_values_were_all_lost_is_a_row_of_unread():
    boxes = _table3([
        (["", "1.属于国家秘密"], ["0"] * 7),
        (["", "2.其他法律行政法规禁止公开"], [None] * 7),
        (["", "3.危及“三安全一稳定”"], ["0"] * 7),
    ])
    rows = layout_rows(boxes, 3)
    assert _cells(rows, "2.其他法律")[1:] == [UNREAD] * 7


def test_wrapped_and_vertical_labels_become_one_cell():
    # a long label that runs up to the first value, on two lines around the values' line
    boxes = _table3([([""], ["0"] * 7), (["（六）其他处理"], ["0"] * 7)])
    boxes += [_label("5.要求行政机关确认或重新出具", 500, 400 - 0.45 * H), _label("已获取信息", 540, 400 + 0.45 * H)]
    boxes += [_box(ch, 240, 380 + 40 * i, w=34) for i, ch in enumerate("三本年度办理结果")]  # one char per line
    rows = layout_rows(boxes, 4)
    assert _cells(rows, "重新出具") == ["三本年度办理结果", "5.要求行政机关确认或重新出具已获取信息"] + ["0"] * 7


def test_tables_with_different_columns_are_kept_apart():
    # 第二十条第（一）项 has three value columns, （五） one, near the middle one
    boxes = [
        _label("第二十条第（一）项", 670, 1435),
        _label("信息内容", 350, 1545), _box("本年制发件数", 790, 1545), _box("本年废止件数", 1056, 1545),
        _box("现行有效件数", 1300, 1545),
        _label("规章", 216, 1650), _box("0", 791, 1654), _box("0", 1056, 1654), _box("0", 1304, 1654),
        _label("行政规范性文件", 224, 1747), _box("3", 791, 1748), _box("0", 1056, 1748), _box("8", 1305, 1748),
        _label("第二十条第（五）项", 670, 1853),
        _label("信息内容", 350, 1970), _box("本年处理决定数量", 1040, 1970),
        _label("行政许可", 221, 2077), _box("9487", 1039, 2077),
    ]
    rows = [r.cells for r in layout_rows(boxes, 2)]
    assert ["规章", "0", "0", "0"] in rows and ["行政许可", "9487"] in rows
    assert ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"] in rows


def test_numbers_in_sentences_and_page_numbers_are_not_table_cells():
    boxes = [
        Box(200, 100, 900, 140, "府网站平台主动发布各类政府信息", 0.99), Box(910, 100, 990, 140, "2428", 0.99),
        Box(995, 100, 1400, 140, "条，公开政府常务会议7", 0.99),
        Box(790, 2200, 830, 2240, "3", 0.99),  # the page number alone at the foot
    ]
    rows = layout_rows(boxes, 1, page_size=(1653, 2339))
    assert [r.cells for r in rows] == [["府网站平台主动发布各类政府信息2428条，公开政府常务会议7"]]
    boxes[-1] = Box(760, 2200, 860, 2240, "- 3 -", 0.86)
    assert [r.cells for r in layout_rows(boxes, 1, page_size=(1653, 2339))][-1] == ["- 3 -"]


# --- which pages need OCR ---------------------------------------------------------------

def test_page_needs_ocr():
    assert page_needs_ocr("", 1.0) and page_needs_ocr(" - 3 - \n", 0.0)
    assert not page_needs_ocr("\u3000\u3000本年度未收取信息处理费。", 0.0)  # a short last page (Chromium's print)
    assert page_needs_ocr("\u3000\u3000本年度未收取信息处理费。", 0.9)
    narrative = "本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府信息公开条例》要求编制此报告。"
    assert not page_needs_ocr(narrative, 0.0)  # text page, no image
    assert page_needs_ocr("三、收到和处理政府信息公开申请情况\n" + narrative, 0.9)  # table under a typed heading
    assert not page_needs_ocr("信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n" + narrative, 0.9)


# --- OCR of an image-only copy of hongze-2024.pdf -------------------------------------------

ocr_deps = pytest.mark.skipif(  # CI installs them: there a missing package fails
    not os.environ.get("CI") and not all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxruntime")),
    reason="OCR needs rapidocr and onnxruntime",
)


def _render(index: int, data: bytes | None = None):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data or HONGZE.read_bytes())
    try:
        return pdf[index].render(scale=DPI / 72, grayscale=True).to_pil(), pdf[index].get_size()
    finally:
        pdf.close()


def _image_pdf(images_and_sizes) -> bytes:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for image, (width, height) in images_and_sizes:
        c.setPageSize((width, height))
        c.drawImage(ImageReader(image), 0, 0, width, height)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _against_hand_checked(got: pl.DataFrame, what: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hand-checked cells of hongze-2024 that `got` does not give exactly, and all of them."""
    want = expected_cells("hongze-2024")
    joined = want.join(got, on=KEY, how="left", nulls_equal=True, suffix="_got")
    right = joined.filter(
        (pl.col("value").eq_missing(pl.col("value_got"))) & (pl.col("printed").eq_missing(pl.col("printed_got")))
    )
    print(f"\n{what} cells right: {right.height} of {want.height} expected ({got.height} extracted)")
    return joined.join(right.select(KEY), on=KEY, how="anti", nulls_equal=True), want


@pytest.fixture(scope="module")
def scanned_hongze() -> bytes:
    return _image_pdf(_render(i) for i in range(5))


@pytest.fixture(scope="module")
def ocr_result(scanned_hongze):
    from xxgk.readers.pdf.ocr import ocr_pdf_pages

    calls, timings = [], {}
    start = time.perf_counter()
    # page 1 carries the title (agency, year); pages 2-4 the tables
    pages = ocr_pdf_pages(scanned_hongze, [3, 0, 1, 2], workers=2, progress=lambda *a: calls.append(a), timings=timings)
    wall = time.perf_counter() - start
    print(f"\nOCR, 2 workers: {wall:.1f} s for {len(pages)} pages (incl. start-up); per page: "
          + ", ".join(f"page {i + 1} {s:.1f} s" for i, s in sorted(timings.items())))
    return pages, calls


def test_the_scan_has_no_text_and_every_page_needs_ocr(scanned_hongze):
    import pypdfium2 as pdfium

    assert pages_needing_ocr(scanned_hongze) == [0, 1, 2, 3, 4]
    assert pages_needing_ocr(HONGZE.read_bytes()) == []
    pdf = pdfium.PdfDocument(scanned_hongze)
    assert page_image_coverage(pdf[2]) > 0.99
    pdf.close()


@ocr_deps
def test_ocr_of_the_scan_extracts_every_hand_checked_cell(ocr_result):
    from xxgk.extract import extract_report
    from xxgk.normalise import normalise_document

    pages, calls = ocr_result
    assert list(pages) == [0, 1, 2, 3]  # in page order, whatever order they finished in
    assert sorted(c[0] for c in calls) == [1, 2, 3, 4] and {c[1] for c in calls} == {4}
    assert sorted(c[2] for c in calls) == [0, 1, 2, 3]
    rows = [r for index in pages for r in pages[index]]
    assert all(len(r.cells) == len(r.confidences) for r in rows)
    assert not any(UNREAD in r.cells for r in rows)
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        assert [heading] in [r.cells for r in rows]
    assert any("2024年政府信息公开工作年度报告" in r.cells[0] for r in rows)
    assert ["1.属于国家秘密", "0", "0", "0", "0", "0", "0", "0"] == _cells(rows, "1.属于国家秘密")[-8:]

    raw = RawDocument("scan", "hongze-2024-scan.pdf", "pdf", 0, rows=as_rows(rows), pages=5)
    doc = normalise_document(raw)
    assert (doc.year, doc.format_version) == (2024, "2021")
    got = extract_report(doc).cells_frame()
    wrong, want = _against_hand_checked(got, "OCR")
    assert wrong.is_empty(), wrong
    assert got.height == want.height
    assert set(got["provenance"]) == {"ocr"}
    assert got["confidence"].min() >= 0.5


@ocr_deps
def test_an_office_scan_gives_every_hand_checked_cell():
    """hongze-2024.pdf printed and scanned: 150 dpi, each page skewed 0.5-1°, grey paper,
    noise, a slight blur, JPEG quality 55 (tests/fixtures/scans.realistic_scan)."""
    from tests.fixtures.scans import realistic_scan
    from xxgk.extract import extract_report
    from xxgk.normalise import normalise_document
    from xxgk.readers.pdf.ocr import ocr_pdf_pages

    pages = ocr_pdf_pages(realistic_scan(), [0, 1, 2, 3], workers=2)
    rows = [r for index in sorted(pages) for r in pages[index]]
    doc = normalise_document(RawDocument("scan", "hongze-2024-office-scan.pdf", "pdf", 0, rows=as_rows(rows), pages=5))
    got = extract_report(doc).cells_frame()
    wrong, want = _against_hand_checked(got, "office scan")
    assert wrong.is_empty() and want.height == 186, wrong
    assert got.height == want.height and got.filter(pl.col("cell_status") == "not_read").is_empty()


def _refuse(*args, **kwargs):
    raise AssertionError("OCR tried to reach the network")


@pytest.fixture(scope="module")
def offline_engine():
    """An engine built and run with every network connection refused (and any download)."""
    from rapidocr.utils import download_file

    from xxgk.readers.pdf.ocr import make_engine, read_boxes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "create_connection", _refuse)
        mp.setattr(download_file.DownloadFile, "run", classmethod(_refuse))
        engine = make_engine()
        image, _ = _render(0)
        read_boxes(image.crop((0, 0, 1653, 400)), engine)  # loads the models
        yield engine


@ocr_deps
def test_a_whitened_cell_is_unread_in_its_place(offline_engine, ocr_result, scanned_hongze):
    """Two number cells of page 3 are painted over: they come back UNREAD, in their columns."""
    import pdfplumber
    from PIL import ImageDraw

    with pdfplumber.open(HONGZE) as pdf:
        words = pdf.pages[2].extract_words()

    def number_cells(label_start: str) -> list[dict]:
        label = next(w for w in words if w["text"].startswith(label_start))
        return sorted((w for w in words if w["text"].isdigit() and abs(w["top"] - label["top"]) < 8), key=lambda w: w["x0"])

    image, _ = _render(2, scanned_hongze)  # the very image the workers read, less two cells
    draw = ImageDraw.Draw(image)
    scale = DPI / 72
    for word in (number_cells("3.危及")[0], number_cells("7.属于行政执法案卷")[2]):
        draw.rectangle([word["x0"] * scale - 4, word["top"] * scale - 4, word["x1"] * scale + 4, word["bottom"] * scale + 4], fill=255)

    from xxgk.readers.pdf.ocr import ocr_page

    start = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        rows = ocr_page(image, 3, engine=offline_engine)
    print(f"\nOCR of one page in this process: {time.perf_counter() - start:.1f} s")
    danger = next(r for r in rows if any("危及" in c for c in r.cells))
    assert danger.cells[-7:] == [UNREAD, "0", "0", "0", "0", "0", "1"]
    assert danger.confidences[-7] == 0.0 and all(c and c >= 0.5 for c in danger.confidences[-6:])
    case_file = next(r for r in rows if any("行政执法案卷" in c for c in r.cells))
    assert case_file.cells[-7:] == ["1", "0", UNREAD, "0", "0", "0", "1"]
    # every other row reads as in the worker processes: the same page, the same cells
    pages, _ = ocr_result
    untouched = [r.cells for r in rows if r is not danger and r is not case_file]
    assert untouched == [r.cells for r in pages[2] if not any(("危及" in c or "行政执法案卷" in c) for c in r.cells)]


@ocr_deps
def test_a_skewed_scan_gives_the_same_rows(offline_engine, ocr_result, scanned_hongze):
    """Page 4 (table 三's last rows and table 四's fifteen columns) fed in at 1°."""
    from xxgk.readers.pdf.ocr import ocr_page

    image, _ = _render(3, scanned_hongze)
    rows = ocr_page(image.rotate(1.0, fillcolor=255, resample=3), 4, engine=offline_engine)
    pages, _ = ocr_result

    def table_rows(rows):
        return [r.cells for r in rows if any(c is not None for c in r.confidences)]

    assert len(table_rows(pages[3])) == 11
    assert table_rows(rows) == table_rows(pages[3])


@ocr_deps
def test_ink_the_detector_left_out_is_read_again(offline_engine):
    """A heading box that lost its 三、 and a number box that lost a digit are widened and
    read again from the page image (the detector does drop the bold 三、 of some headings)."""
    from xxgk.readers.pdf.ocr import read_boxes
    from xxgk.readers.pdf.ocr.engine import recognise
    from xxgk.readers.pdf.ocr.image import prepare
    from xxgk.readers.pdf.ocr.page import extend_clipped

    image, _ = _render(2)
    s = DPI / 72
    heading = Box(136.4 * s - 3, 362.5 * s - 6, 376.3 * s + 3, 378.5 * s + 6, "收到和处理政府信息公开申请情况", 0.99)
    number = Box(368.2 * s - 1, 184.4 * s - 6, 386.2 * s + 3, 196.4 * s + 6, "776", 0.99)  # "2776" less its 2
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        widened = extend_clipped([heading, number], prepare(image), offline_engine, 40.0)
        assert [b.text for b in widened] == ["三、收到和处理政府信息公开申请情况", "2776"]
        # reading a crop alone must not leave the engine without its detector for the next page
        assert recognise(offline_engine, prepare(image).gray, *[heading.x0, heading.y0, heading.x1, heading.y1])
        assert len(read_boxes(image.crop((0, 0, 1653, 600)), offline_engine)) >= 5


def test_a_label_running_into_the_first_value_cell_takes_nothing_from_it():
    boxes = _table3([([""], ["3", "0", "0", "0", "0", "0", "3"])])
    boxes.append(Box(500, 380, 895, 420, "5.要求行政机关确认或重新出具已获取信息", 0.98))  # x1 past the first value's x0
    rows = layout_rows(boxes, 4)
    assert _cells(rows, "重新出具") == ["5.要求行政机关确认或重新出具已获取信息", "3", "0", "0", "0", "0", "0", "3"]


def test_a_label_wrapped_in_its_ruled_cell_is_one_row_not_a_row_of_its_own():
    """（六）其他处理's long item labels wrap inside tall ruled cells: a second line far below
    the first (off every row's band, between two labelled rows) is the same cell's text when
    the image shows no rule between it and its row; without the rules it is a row of UNREADs."""
    from xxgk.readers.pdf.ocr.boxes import Rules

    boxes = (_table3([(["（六）其他处理", "1.逾期不补正、"], ["0"] * 7)], y=400)
             + _table3([(["", "2.逾期未缴费、"], ["0"] * 7)], header=False, y=520)
             + [_label("不再处理申请", 500, 465)])  # 25 px under its first line: not "stacked" on it
    rules = Rules(horizontal=[(350.0, 200.0, 1420.0), (490.0, 480.0, 1420.0), (610.0, 200.0, 1420.0)], vertical=[])
    joined = [r.cells for r in layout_rows(boxes, 3, rules=rules) if any(c is not None for c in r.confidences)]
    assert joined == [["（六）其他处理", "1.逾期不补正、不再处理申请", *["0"] * 7], ["2.逾期未缴费、", *["0"] * 7]]
    unruled = [r.cells for r in layout_rows(boxes, 3) if any(c is not None for c in r.confidences)]
    assert ["不再处理申请", *[UNREAD] * 7] in unruled


def test_ruling_lines_are_found_in_a_scanned_table_and_glyphs_are_not():
    import numpy as np

    from xxgk.readers.pdf.ocr.image import ruling_lines

    dark = np.zeros((400, 600), dtype=bool)
    dark[100:102, 50:550] = True  # a rule, 2 px thick
    dark[300, 50:550] = True
    dark[300, 200:203] = False  # broken by JPEG noise
    dark[100:302, 50] = dark[100:302, 549] = True
    dark[150:170, 100:118] = True  # a glyph (18 px): no rule
    rules = ruling_lines(dark, 20.0)
    assert [round(y) for y, _, _ in rules.horizontal] == [100, 300]
    assert [round(x) for x, _, _ in rules.vertical] == [50, 549]
    assert rules.across(60, 500, 0, 200) == [rules.horizontal[0][0]]


def test_pieces_of_one_label_on_one_line_join_left_to_right():
    boxes = _table3([([""], ["0"] * 7)])
    boxes += [Box(224, 384, 262, 418, "四、", 0.99), Box(255, 380, 520, 420, "结转下年度继续办理", 0.99)]
    assert _cells(layout_rows(boxes, 4), "结转")[0] == "四、结转下年度继续办理"


def test_a_one_row_table_whose_lone_number_was_lost_is_still_a_row():
    # 第二十条第（八）项: the detector found no box for the 0 under 本年收费金额
    boxes = [
        _label("第二十条第（八）项", 670, 720),
        _label("信息内容", 352, 833), _box("本年收费金额（单位：万元）", 1030, 833, w=425),
        _label("行政事业性收费", 223, 933),
        _label("三、收到和处理政府信息公开申请情况", 286, 1030),
    ]
    rows = [r.cells for r in layout_rows(boxes, 3)]
    assert ["行政事业性收费", UNREAD] in rows and ["三、收到和处理政府信息公开申请情况"] in rows
    asked = []

    def read(x0, y0, x1, y1, keep=()):
        asked.append((x0, x1))
        return ("0", 0.93)

    row = next(r for r in layout_rows(boxes, 3, reread=read) if r.cells[0] == "行政事业性收费")
    assert (row.cells, row.confidences) == (["行政事业性收费", "0"], [None, 0.93])
    assert asked == [(1030 - 212.5, 1030 + 212.5)]


def test_a_decimal_point_is_read_only_under_an_amount_header():
    # "250" read as "25.0" (a speck between the digits) in a count column is not read;
    # 本年收费金额（单位：万元） can hold 21.7
    def table(header: str, value: str):
        return [_label("信息内容", 352, 833), _box(header, 1030, 833, w=300),
                _label("行政事业性收费", 223, 933), _box(value, 1030, 933)]

    assert _cells(layout_rows(table("本年处理决定数量", "25.0"), 2), "行政事业性收费")[1] == UNREAD
    assert _cells(layout_rows(table("本年收费金额（单位：万元）", "21.7"), 2), "行政事业性收费")[1] == "21.7"
    # （六） and （八） one under the other, one value column: each row under its own header
    both = [_label("信息内容", 352, 433), _box("本年处理决定数量", 1030, 433, w=300),
            _label("行政处罚", 223, 533), _box("27.6", 1030, 533), _label("第二十条第（八）项", 670, 720),
            *table("本年收费金额（单位：万元）", "21.7")]
    rows = layout_rows(both, 3)
    assert _cells(rows, "行政处罚")[1] == UNREAD and _cells(rows, "行政事业性收费")[1] == "21.7"


# --- which image pages are worth the seconds of OCR --------------------------------------

def test_the_pages_that_show_a_ruled_table_are_found_without_ocr():
    from xxgk.readers.pdf.ocr import pages_with_table_grid

    # hongze-2024.pdf: the 第二十条 tables and table 三 on pages 2-3, table 三's end and 四 on page 4
    assert pages_with_table_grid(str(HONGZE), [0, 1, 2, 3, 4]) == [1, 2, 3]


def test_no_ocr_when_the_text_layer_already_holds_the_tables():
    from xxgk.documents import read_document
    from xxgk.extract.trust import reading_facts
    from xxgk.readers.pdf import pages_to_ocr

    doc = read_document(HONGZE, judge=reading_facts)
    doc.ocr_pages = [4]  # say its last page were a picture (a stamp, a signature)
    assert pages_to_ocr(doc, reading_facts) == []
    doc.rows = [r for r in doc.rows if r.where != "page 3"]  # table 三 lost: now the pictures matter
    doc.ocr_pages = [2, 4]
    assert pages_to_ocr(doc, reading_facts) == [2]
