"""A real report (xxgk/samples/hongze-2024.pdf) as the common text extractors render it
(tests/fixtures/renderings): no rendering gives a wrong value, and each reads at least the
cells it was measured to read. markitdown prints some rows' values above their labels and some
beside them: the values a label with values of its own leaves over mean that labels and values
are out of step from there, and no identity can confirm such rows (a shift by one row keeps
every column's sum), so table 三 is read up to there (where it read 8 wrong values once)."""
from pathlib import Path

import pytest

from tests.conftest import expected_cells
from xxgk.documents import read_document
from xxgk.extract.tables import extract_report
from xxgk.normalise import normalise_document

RENDERINGS = Path(__file__).resolve().parents[1] / "fixtures" / "renderings" / "hongze-2024"
# cells right as measured; plain pdftotext and pdfminer print the tables column by column, and
# pymupdf4llm prints a page's number as '- 2' on a line of its own, which can be a row's values
AT_LEAST = {"pdftotext-layout.txt": 186, "pdftotext-raw.txt": 186, "pypdf.txt": 186, "pymupdf.txt": 186,
            "pdfplumber.txt": 186, "pdftotext.txt": 24, "markitdown.md": 109, "pypdf-layout.txt": 186,
            "pdfplumber-layout.txt": 186, "pymupdf-blocks.txt": 186, "pymupdf-sort.txt": 186, "pymupdf4llm.md": 178,
            "pdfminer.txt": 17}


@pytest.mark.parametrize("name", sorted(AT_LEAST))
def test_a_real_report_through_each_text_extractor_gives_no_wrong_value(name):
    doc = normalise_document(read_document(RENDERINGS / name))
    assert (doc.agency, doc.year) == ("淮安市洪泽区人民政府", 2024)
    got = {(c["category_code"], c["applicant_type"], c["measure"]): c["value"] for c in extract_report(doc).cells}
    want = expected_cells("hongze-2024").to_dicts()
    wrong = [(w["category_code"], w["applicant_type"], w["measure"], w["value"], got[key])
             for w in want if (key := (w["category_code"], w["applicant_type"], w["measure"])) in got
             and w["value"] is not None and got[key] is not None and got[key] != w["value"]]
    right = sum(1 for w in want if got.get((w["category_code"], w["applicant_type"], w["measure"]), "absent") == w["value"])
    assert wrong == []
    assert right >= AT_LEAST[name]


# The hard PDF layouts of tests/fixtures/synthetic.py as pdftotext renders them (-layout, -raw,
# plain; tests/fixtures/renderings/synthetic): cells right as measured, and never a wrong one.
# Plain pdftotext prints a table's values apart from its labels, often above them.
SYNTHETIC = Path(__file__).resolve().parents[1] / "fixtures" / "renderings" / "synthetic"
SYNTHETIC_AT_LEAST = {"layout": 186, "raw": 170, "plain": 102}


@pytest.mark.parametrize("mode", sorted(SYNTHETIC_AT_LEAST))
def test_the_generated_layouts_through_pdftotext_give_no_wrong_value(mode):
    from tests.fixtures.synthetic import LAYOUTS, make_report

    totals = []
    for case_id, seed, template, layout in LAYOUTS:
        report = make_report(seed, template, embed_font=None, **layout)
        want = {(c["category_code"], c["applicant_type"], c["measure"]): c["value"] for c in report.loaded}
        doc = normalise_document(read_document(SYNTHETIC / f"{case_id}.pdftotext-{mode}.txt"))
        got = {(c["category_code"], c["applicant_type"], c["measure"]): c["value"] for c in extract_report(doc).cells}
        wrong = [(k, v, got[k]) for k, v in want.items() if got.get(k) is not None and v is not None and got[k] != v]
        assert wrong == [], case_id
        right = sum(1 for k, v in want.items() if k in got and got[k] == v)
        assert right >= SYNTHETIC_AT_LEAST[mode], (case_id, right)
        totals.append(right)
    assert sum(totals) >= {"layout": 2172, "raw": 2118, "plain": 1857}[mode]
