"""Ingestion: every format into rows of cells; bad files rejected with a reason."""
from pathlib import Path

import pytest

from tests.fixtures.in_memory import ingest
from xxgk import SAMPLES_DIR
from xxgk.documents import (
    DocumentRejected,
    decode_text,
    html_rows,
    list_inbox,
    read_document,
)
from xxgk.extract.trust import reading_facts

QIDONG = SAMPLES_DIR / "qidong-office-2023.txt"
HONGZE = SAMPLES_DIR / "hongze-2024.pdf"


def test_gbk_text_is_detected_and_decoded():
    text = QIDONG.read_text(encoding="utf-8")
    assert decode_text(text.encode("gb18030")) == text
    assert decode_text(("\ufeff" + text).encode("utf-8")) == text


def test_tab_separated_lines_become_cells():
    doc = read_document(SAMPLES_DIR / "dongning-2023.txt")
    row = next(r for r in doc.rows if r.cells[0] == "行政规范性文件")
    assert row.cells == ["行政规范性文件", "0", "0", "30"]
    assert row.where.startswith("line ")


def test_pdf_tables_come_out_as_rows_with_their_page():
    doc = read_document(HONGZE, judge=reading_facts)
    assert doc.format == "pdf" and doc.pages == 5
    licensing = next(r for r in doc.rows if r.cells[0] == "行政许可")
    assert licensing.cells[:2] == ["行政许可", "9487"] and licensing.where == "page 2"
    # table 三 breaks across pages 3 and 4: its continuation is on page 4
    creation = next(r for r in doc.rows if "没有现成信息需要另行制作" in "".join(r.cells))
    assert creation.where == "page 4" and creation.cells[3:] == ["1", "0", "0", "0", "0", "0", "1"]
    # WPS frames around body text are not tables: the narrative is one cell per line
    assert any(r.cells == ["一、总体情况"] for r in doc.rows)


GBK_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>
<body><table width="100%"><tr><td>
<p>二、主动公开政府信息情况</p>
<table border="1">
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>&nbsp;</td><td>0</td></tr>
<tr><td>行政规范<br>性文件</td><td>22</td><td>10</td><td>28</td></tr>
</table></td></tr></table></body></html>"""


def test_html_gbk_nested_tables_colspan_nbsp_and_br():
    rows = html_rows(GBK_PAGE.encode("gb18030"))
    cells = [r.cells for r in rows]
    assert ["二、主动公开政府信息情况"] in cells
    assert ["第二十条第（一）项", "", "", ""] in cells  # colspan keeps the grid
    assert ["规章", "0", "", "0"] in cells  # &nbsp; is an empty cell
    assert ["行政规范\n性文件", "22", "10", "28"] in cells  # <br> inside a label


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("broken.pdf", HONGZE.read_bytes()[:3000], "corrupt or truncated PDF"),
        ("report.docx", b"PK\x03\x04 not really", "Word file could not be read"),
        ("report.xls", b"\xd0\xcf\x11\xe0 not really", "unsupported file type '.xls'"),
        ("blank.txt", b"\n\n   \n", "no text in the document"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(tmp_path: Path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentRejected) as err:
        read_document(path)
    assert reason in err.value.reason


def test_huge_file_is_rejected_before_reading(tmp_path: Path):
    path = tmp_path / "huge.pdf"
    path.write_bytes(b"%PDF" + b"0" * 4096)
    ingested = ingest([path], max_bytes=1024)
    assert ingested.documents == []
    assert "file too large" in ingested.rejected[0]["reason"]


def test_same_bytes_twice_are_one_document(tmp_path: Path):
    for name in ("a.txt", "copy-of-a.txt"):
        (tmp_path / name).write_bytes(QIDONG.read_bytes())
    (tmp_path / ".hidden.txt").write_bytes(b"ignored")
    ingested = ingest(list_inbox(tmp_path))
    assert ingested.files_seen == 2
    assert len(ingested.documents) == 1
    assert ingested.duplicate_files == {ingested.documents[0].document_id: [str(tmp_path / "copy-of-a.txt")]}


def _pdf_with(tmp_path: Path, name: str, **canvas_args) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / name
    c = canvas.Canvas(str(path), **canvas_args)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "某县人民政府2023年政府信息公开工作年度报告")
    c.save()
    return path


def test_encrypted_pdf_is_rejected(tmp_path: Path):
    path = _pdf_with(tmp_path, "locked.pdf", encrypt="secret")
    with pytest.raises(DocumentRejected, match="encrypted PDF"):
        read_document(path)


def _scan_of_one_page(tmp_path: Path) -> Path:
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    # a page of hongze-2024.pdf as a picture: what a scanner produces
    image = tmp_path / "page.png"
    pdfium.PdfDocument(str(HONGZE))[2].render(scale=1).to_pil().save(image)
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.drawImage(str(image), 0, 0, width=595, height=842)
    c.save()
    return path


def test_a_scanned_page_is_left_for_ocr(tmp_path: Path):
    doc = read_document(_scan_of_one_page(tmp_path))
    assert doc.ocr_pages == [0] and doc.rows == []
    assert doc.reader_check == "1 of 1 page(s) are images"


def test_a_scan_is_rejected_with_the_reason_when_ocr_is_not_installed(tmp_path: Path, monkeypatch):
    import xxgk.readers.pdf.ocr

    def missing():
        raise xxgk.readers.pdf.ocr.OcrUnavailable("OCR needs the packages rapidocr and onnxruntime")

    monkeypatch.setattr(xxgk.readers.pdf.ocr, "bundled_models", missing)
    path = _scan_of_one_page(tmp_path)
    ingested = ingest([path])
    assert ingested.documents == []
    [rejected] = ingested.rejected
    assert rejected["source_file"] == str(path) and rejected["stage"] == "ingestion"
    assert rejected["reason"] == ("the tables are on image pages (a scan) and OCR is not available: "
                                  "OCR needs the packages rapidocr and onnxruntime")


def test_every_suffix_has_one_reader_behind_one_interface(tmp_path):
    from xxgk.readers import READERS, Reading, ReadOptions, reader_for

    assert all(callable(reader_for(suffix)) for suffix in READERS) and reader_for(".xls") is None
    page = "<html><body><p>2023年政府信息公开工作年度报告</p><table><tr><td>规章</td><td>0</td></tr></table></body></html>"
    reading = reader_for(".HTM")(page.encode(), ReadOptions())
    assert isinstance(reading, Reading) and reading.reader == "html" and len(reading.grids) == 1
