"""Normalisation: script, pinyin, widths; what the report says it is."""
import pytest

from tests.conftest import SAMPLE_FILES, expected_reports
from xxgk.documents import DocumentRejected, RawDocument, Row, read_document
from xxgk.extract.trust import reading_facts
from xxgk.normalise import (
    detect_year,
    fold,
    normalise_document,
    strip_pinyin,
    to_simplified,
)


def test_pinyin_is_stripped_but_real_brackets_stay():
    line = "啟東市政府辦2023年政府信息公開工作年度報(bào)告 來(lái)源"  # qidong-office-2023.txt, line 1-2
    assert strip_pinyin(line) == "啟東市政府辦2023年政府信息公開工作年度報告 來源"
    for kept in ("第二十条第(一)项", "本年收费金额(单位:万元)", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"):
        assert strip_pinyin(kept) == kept


def test_traditional_to_simplified_whole_phrases():
    assert to_simplified(strip_pinyin("行政複議、行政訴(sù)訟情況")) == "行政复议、行政诉讼情况"


def test_fold_width_and_whitespace():
    assert fold("第二十条第（一）项") == fold("第二十条第(一)项") == "第二十条第(一)项"
    assert fold("三、 本年 度办 理结 果") == "三、本年度办理结果"  # lingdong: label broken across cells
    assert fold("⼀") == "一"  # Kangxi radical from some PDF producers


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_agency_year_and_template_of_each_sample(path):
    doc = normalise_document(read_document(path, judge=reading_facts))
    want = expected_reports()[path.name]
    assert (doc.agency, doc.year, doc.format_version) == (want["agency"], int(want["year"]), want["format_version"])


def test_printed_text_is_kept_as_printed():
    doc = normalise_document(read_document([p for p in SAMPLE_FILES if p.name.startswith("qidong")][0], judge=reading_facts))
    cell = next(c for r in doc.rows for c in r.cells if c.text == "商业企业")
    assert cell.printed == "商業(yè) 企業(yè)"  # as printed, annotations included


def _raw(*lines: str) -> RawDocument:
    return RawDocument("x", "x.txt", "txt", 10, [Row([line], f"line {i}") for i, line in enumerate(lines, 1)])


def test_not_a_report_and_old_years_are_rejected():
    with pytest.raises(DocumentRejected, match="not a government information-disclosure annual report"):
        normalise_document(_raw("关于召开2023年安全生产会议的通知", "各单位：……"))
    with pytest.raises(DocumentRejected, match="predates the standard tables"):
        normalise_document(_raw("某某县人民政府2017年政府信息公开工作年度报告"))


def test_year_from_title_split_over_lines():
    assert detect_year(["阜新市太平区人民政府办公室", "2023 年政府信息公开工作年度报告"]) == 2023


def test_a_title_whose_year_a_browser_printed_on_its_own_baseline_is_mended():
    """Chromium prints the title's digits in another font: its text layer gives the words, then
    the year, then the title's last words, each a line (tests/fixtures/zoo/*/chromium.pdf)."""
    from xxgk.normalise import detect_agency, detect_year, mend_title

    lines = mend_title(["安徽省宣城市泾县人民政府办公室 年政府信息公开工作", "2023", "年度报告", "一、总体情况"])
    assert lines == ["安徽省宣城市泾县人民政府办公室2023年政府信息公开工作年度报告", "一、总体情况"]
    assert (detect_year(lines), detect_agency(lines, 2023)) == (2023, "安徽省宣城市泾县人民政府办公室")
    assert mend_title(["浙江省湖州市德清县人民政府 年政府信息公开工作年度", "2022", "报告"]) == [
        "浙江省湖州市德清县人民政府2022年政府信息公开工作年度报告"]
    untouched = ["2023年某县政府信息公开工作年度报告", "2023", "一、总体情况"]
    assert mend_title(untouched) == untouched
