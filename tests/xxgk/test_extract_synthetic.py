"""Extraction on realistic generated PDFs (tests/fixtures/synthetic.py): both templates, hard layouts,
with the CJK font embedded (as published reports do: read by pdfium, verified against pdfplumber)
and not embedded (read by pdfplumber)."""

import polars as pl
import pytest

from tests.conftest import require_cjk_font
from tests.fixtures.synthetic import EMBEDDABLE_FONT, LAYOUTS, make_report
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.extract.trust import reading_facts
from xxgk.normalise import normalise_document

KEY = ["category_code", "applicant_type", "measure"]
CASES = [pytest.param(seed, template, layout, id=name) for name, seed, template, layout in LAYOUTS]
FONTS = [pytest.param(None, id="font-not-embedded"), pytest.param(str(EMBEDDABLE_FONT), id="font-embedded")]


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize("seed, template, layout", CASES)
def test_every_generated_cell_comes_back(tmp_path, seed, template, layout, font):
    if font:
        require_cjk_font()
    report = make_report(seed, template, embed_font=font, **layout)
    path = report.write(tmp_path / f"report-{seed}.pdf")
    raw = read_document(path, verify_share=1.0, judge=reading_facts)  # read both ways, and compared
    if font:
        assert (raw.reader, raw.reader_check) == ("pdfium", "complete tables; verified: pdfplumber reads the same cells")
    else:
        assert (raw.reader, raw.reader_check) == ("pdfplumber", "pdfium reading not trusted: a font is not embedded")
    doc = normalise_document(raw)
    assert (doc.agency, doc.year, doc.format_version) == (report.agency, report.year, template)
    got = extract_report(doc).cells_frame()
    want = pl.DataFrame(report.loaded, schema={"category_code": pl.String, "applicant_type": pl.String,
                                                 "measure": pl.String, "value": pl.Float64, "printed": pl.String})
    joined = want.join(got, on=KEY, how="full", nulls_equal=True, suffix="_got")
    wrong = joined.filter(
        pl.col("category_code").is_null() | pl.col("category_code_got").is_null()
        | (pl.col("value") != pl.col("value_got")) | (pl.col("printed") != pl.col("printed_got"))
    )
    assert wrong.is_empty(), wrong
