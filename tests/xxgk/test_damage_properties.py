"""Property-based: damaged variants of real sample text never crash the extractor, and every
value it reports was printed in the damaged text, as a cell of the very line it says it read."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_FILES
from xxgk.documents import DocumentRejected, RawDocument, text_rows
from xxgk.extract import extract_report
from xxgk.normalise import normalise_document

TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLE_FILES if p.suffix == ".txt"]
JUNK = ["", "/", "—", "-", "无", "0", "7", "12", "1,234", "7730.28", "1077980元", "总计", "(七)总计", "3.其他", "理", "二、上年结转政府信息公开申请数量"]


@st.composite
def damaged_texts(draw):
    lines = draw(st.sampled_from(TEXTS)).split("\n")
    for _ in range(draw(st.integers(0, 12))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "junk", "split", "join", "drop_cell"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif action == "junk":
            cells = lines[i].split("\t")
            cells.insert(draw(st.integers(0, len(cells))), draw(st.sampled_from(JUNK)))
            lines[i] = "\t".join(cells)
        elif action == "split":
            lines[i : i + 1] = lines[i].split("\t", 1)
        elif action == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + "\t" + lines[i + 1]]
        elif action == "drop_cell":
            cells = lines[i].split("\t")
            del cells[draw(st.integers(0, len(cells) - 1))]
            lines[i] = "\t".join(cells)
    return "\n".join(lines)


def _number(printed: str) -> float:
    return float(re.match(r"[+-]?[\d,]*\.?\d+", printed).group(0).replace(",", ""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_texts())
def test_damaged_reports_never_crash_and_never_invent_values(text):
    raw = RawDocument("x", "damaged.txt", "txt", len(text), text_rows(text))
    try:
        doc = normalise_document(raw)
    except DocumentRejected:
        return  # damaged beyond recognition: rejected with a reason, not a crash
    extraction = extract_report(doc)
    cells_of_line = {row.where: {c.strip() for c in row.cells} for row in raw.rows}
    keys = set()
    for cell in extraction.cells:
        key = (cell["category_code"], cell["applicant_type"], cell["measure"])
        assert key not in keys  # each cell once
        keys.add(key)
        if cell["value"] is None:
            continue
        if cell["cell_status"] == "inferred":  # not printed: forced to 0 by six printed zeros
            assert cell["value"] == 0 and cell["printed"] in (None, "")
            continue
        if cell["cell_status"] == "derived":  # not printed: the sum of the three （六） items
            items = [c["value"] for c in extraction.cells if c["applicant_type"] == cell["applicant_type"]
                     and c["category_code"].startswith("result.other.")]
            assert cell["printed"] is None and len(items) == 3 and cell["value"] == sum(items)
            continue
        # the value was printed, as a cell of its own, on the line the cell names
        assert cell["printed"] in cells_of_line[cell["location"]]
        expected = _number(cell["printed"])
        if cell["cell_status"] == "converted":
            expected /= 10000
        assert abs(cell["value"] - expected) < 1e-9
