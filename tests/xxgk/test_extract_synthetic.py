"""Extraction on realistic generated PDFs (tests/fixtures/synthetic.py): both templates, hard layouts,
with the CJK font embedded (as published reports do: read by pdfium, verified against pdfplumber)
and not embedded (read by pdfplumber)."""

import polars as pl
import pytest

from tests.conftest import require_cjk_font
from tests.fixtures.synthetic import EMBEDDABLE_FONT, make_report
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.extract.trust import reading_facts
from xxgk.normalise import normalise_document

KEY = ["category_code", "applicant_type", "measure"]
CASES = [
    pytest.param(3, "2021", {"split_table3_across_pages": True, "repeat_table3_header": True}, id="2021-split-header-repeated"),
    pytest.param(4, "2021", {"split_table3_across_pages": True, "repeat_table3_header": False, "long_labels_wrap": True}, id="2021-split-wrapped-labels"),
    pytest.param(5, "2021", {"other_as_one_row": True, "thousands_separators": True}, id="2021-other-one-row-1,234"),
    pytest.param(6, "2019", {"split_table3_across_pages": True}, id="2019-split"),
    pytest.param(7, "2019", {"art20_layout": "separate", "halfwidth_labels": True}, id="2019-separate-art20"),
    pytest.param(8, "2019", {"long_labels_wrap": True, "shaded_headers": True}, id="2019-wrapped-shaded"),
    # no ruling lines: rows and cells come from the words' positions
    pytest.param(15, "2019", {"ruled_tables": False}, id="2019-unruled"),
    pytest.param(17, "2021", {"ruled_tables": False, "long_labels_wrap": True}, id="2021-unruled-wrapped"),
    # drawn as WPS writes: text at Tf 199 scaled by its matrix, fill-and-stroke, one path per ruling line
    pytest.param(10, "2021", {"wps_drawing": True, "split_table3_across_pages": True, "long_labels_wrap": True},
                 id="2021-wps-split-wrapped"),
    pytest.param(11, "2019", {"wps_drawing": True, "split_table3_across_pages": True, "repeat_table3_header": True,
                              "shaded_headers": True}, id="2019-wps-split-header-repeated"),
    # the 2019 template still used in 2023: the template is told by the tables, not the year
    pytest.param(9, "2019", {"year": 2023, "split_table3_across_pages": True}, id="2019-template-in-2023"),
]
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
