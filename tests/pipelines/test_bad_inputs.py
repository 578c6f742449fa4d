"""Every kind of bad file, through `xxgk run`: each is listed with its reason, in the table of
rejected documents and in the run summary, and none stops the good report from loading."""
import io
import shutil

import pytest

from tests.conftest import SAMPLE_FILES
from tests.pipelines.inbox_run import run_inbox
from warehouse.loader import connect

DONGNING = next(p for p in SAMPLE_FILES if "dongning" in p.name)
HONGZE = next(p for p in SAMPLE_FILES if p.suffix == ".pdf")
HEADINGS = "二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况\n"

EXPECTED = {
    "empty.pdf": ("ingestion", "empty file (0 bytes)"),
    "encrypted.pdf": ("ingestion", "encrypted PDF: cannot be read without its password"),
    "blank-scan.pdf": ("ingestion", "PDF of 1 blank page(s): no text and no ink to read by OCR"),
    "report.docx": ("ingestion", "Word file could not be read: File is not a zip file"),
    "report.xls": ("ingestion", "unsupported file type '.xls' (supported: .txt .md .markdown .pdf .html .htm .docx .doc)"),
    "huge.txt": ("ingestion", "file too large: 1.6 MB over the 1 MB limit (XXGK_MAX_FILE_MB)"),
    "meeting-notice.txt": ("normalisation", "not a government information-disclosure annual report "
                                            "(no '政府信息公开…年度报告' title and no standard table headings)"),
    "no-year.txt": ("normalisation", "statistics year not found in the report"),
    "future.txt": ("normalisation", "statistics year 2031 is in the future"),
    "before-2019.txt": ("normalisation", "statistics year 2017 predates the standard tables (2019)"),
    "no-tables.txt": ("extraction", "a report with no tables: none of the tables of sections 二, 三, 四 was found"),
}


def _encrypted(path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), encrypt="secret")
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "某县人民政府2023年政府信息公开工作年度报告")
    c.save()


def _blank_scan(path):
    import img2pdf
    from PIL import Image

    page = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(page, format="PNG")  # an A4 page scanned at 200 dpi, nothing on it
    path.write_bytes(img2pdf.convert([page.getvalue()]))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(DONGNING, inbox)
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "truncated.pdf").write_bytes(HONGZE.read_bytes()[:5000])
    _encrypted(inbox / "encrypted.pdf")
    _blank_scan(inbox / "blank-scan.pdf")
    (inbox / "report.docx").write_bytes(b"PK\x03\x04 a word file")
    (inbox / "report.xls").write_bytes(b"\xd0\xcf\x11\xe0 a spreadsheet")
    (inbox / "huge.txt").write_text("某县人民政府2023年政府信息公开工作年度报告\n" + "0\t" * 800_000, encoding="utf-8")
    (inbox / "meeting-notice.txt").write_text("关于召开2024年安全生产工作会议的通知\n各单位：定于下周召开会议。\n", encoding="utf-8")
    (inbox / "no-year.txt").write_text("某县人民政府政府信息公开工作报告\n" + HEADINGS, encoding="utf-8")
    (inbox / "future.txt").write_text("某县人民政府2031年政府信息公开工作年度报告\n" + HEADINGS, encoding="utf-8")
    (inbox / "before-2019.txt").write_text("某县人民政府2017年政府信息公开工作年度报告\n" + HEADINGS, encoding="utf-8")
    (inbox / "no-tables.txt").write_text("某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我县认真贯彻落实《条例》。\n"
                                         "六、其他需要报告的事项\n无。\n", encoding="utf-8")
    warehouse, output = run_inbox(root, inbox, max_file_mb="1")
    with connect(warehouse, read_only=True) as con:
        rejected = {f.rsplit("/", 1)[-1]: (stage, reason)
                    for f, stage, reason in con.execute("SELECT source_file, stage, reason FROM rejected_document").fetchall()}
        loaded = con.execute("SELECT a.agency_name, r.year FROM fact_report r JOIN dim_agency a USING (agency_id)").fetchall()
    return rejected, loaded, output, inbox


def test_each_bad_file_is_rejected_with_its_reason(run):
    rejected, _, _, _ = run
    truncated = rejected.pop("truncated.pdf")
    assert truncated[0] == "ingestion" and truncated[1].startswith("corrupt or truncated PDF: ")
    assert rejected == EXPECTED


def test_the_summary_lists_each_with_its_reason(run):
    _, _, output, inbox = run
    assert f"files not loaded:  {len(EXPECTED) + 1}" in output
    for name, (stage, reason) in EXPECTED.items():
        assert f"  {inbox / name}: {reason} ({stage})" in output


def test_the_good_report_loads_all_the_same(run):
    _, loaded, output, _ = run
    assert loaded == [("东宁市人民政府", 2023)]
    assert "files read:        13" in output and "reports loaded:    1" in output
