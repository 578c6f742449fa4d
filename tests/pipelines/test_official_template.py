"""The official 2021 Word template (国办公开办函〔2021〕30号, tests/fixtures/template-2021-blank.docx:
26 gridSpan and 58 vMerge cells, full-width spaces in its blank cells), filled as an agency fills
it and published three ways: the .docx, the HTML and the PDF that LibreOffice makes of it (as
Word's "save as web page" and "print to PDF" do). Through `xxgk run`, each of the three gives
every cell at its place."""
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_soffice
from tests.pipelines.inbox_run import run_inbox
from warehouse.loader import connect

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "template-2021-blank.docx"
TITLE = "启东市人民政府办公室2023年政府信息公开工作年度报告"

# The numbers 1..200 go into the template's blank cells in reading order (table by table, row by
# row, left to right), so each number says where it was written. Read off the template by hand:
PLACES = {
    1: ("active.rules", None, "issued"), 3: ("active.rules", None, "in_force"),
    7: ("active.licensing", None, "decisions"), 10: ("active.fees", None, "amount_10k_yuan"),
    11: ("application.new_received", "natural_person", "count"), 17: ("application.new_received", "total", "count"),
    18: ("application.carried_over", "natural_person", "count"),
    25: ("result.granted", "natural_person", "count"), 31: ("result.granted", "total", "count"),
    32: ("result.partially_granted", "natural_person", "count"),
    178: ("result.total", "total", "count"),
    179: ("application.carried_forward", "natural_person", "count"), 185: ("application.carried_forward", "total", "count"),
    186: ("review.upheld", None, "count"), 190: ("review.total", None, "count"),
    191: ("litigation_direct.upheld", None, "count"), 200: ("litigation_after_review.total", None, "count"),
}


def _filled(path: Path) -> int:
    import docx

    document = docx.Document(str(TEMPLATE))
    document.paragraphs[0].text = TITLE
    n = 0
    for table in document.tables:
        seen = []  # a merged cell comes back once per grid position it covers: fill it once
        for row in table.rows:
            for cell in row.cells:
                if any(cell._tc is s for s in seen):
                    continue
                seen.append(cell._tc)
                if not cell.text.strip():  # the template's blanks hold full-width spaces
                    n += 1
                    cell.text = str(n)
    document.save(str(path))
    return n


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from xxgk.readers.word import soffice

    root = tmp_path_factory.mktemp("template")
    inbox = root / "inbox"
    inbox.mkdir()
    assert _filled(inbox / "qidong-2023.docx") == 200
    require_soffice()
    for kind in ("html", "pdf"):
        subprocess.run([soffice(), f"-env:UserInstallation=file://{root}/profile", "--headless", "--convert-to", kind,
                        "--outdir", str(root), str(inbox / "qidong-2023.docx")], check=True, capture_output=True, timeout=180)
        shutil.move(root / f"qidong-2023.{kind}", inbox / f"qidong-2023-{kind}.{kind}")
    return run_inbox(root, inbox, workers="1")[0]


def test_each_publication_of_the_filled_template_gives_every_cell_at_its_place(warehouse):
    with connect(warehouse, read_only=True) as con:
        rows = con.execute("""SELECT d.format, c.category_code, c.applicant_type, c.measure, c.printed
                              FROM document_cell c JOIN dim_document d USING (document_id)
                              WHERE c.printed <> ''""").fetchall()
        readers = dict(con.execute("SELECT format, reader FROM dim_document").fetchall())
    by_format: dict[str, dict[int, tuple]] = {}
    for fmt, category, applicant, measure, printed in rows:
        by_format.setdefault(fmt, {})[int(printed)] = (category, applicant, measure)
    assert sorted(by_format) == ["docx", "html", "pdf"]
    for fmt, cells in by_format.items():
        assert sorted(cells) == list(range(1, 201)), fmt  # every number read once, none lost, none made up
        assert {n: cells[n] for n in PLACES} == PLACES, fmt
    assert by_format["docx"] == by_format["html"] == by_format["pdf"]
    assert readers["pdf"] == "pdfium"  # LibreOffice's ruled tables take the fast path
