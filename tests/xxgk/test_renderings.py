"""Reports as other tools render them: text cut at spaces, markdown, Word-pasted pages with
comments, and a crawler's page text whose cells run together (read by the identities).

The crawler pages are the text that lxml's ``text_content()`` makes of the web fixtures
(tests/fixtures/web_reports.py: Word's "save as web page" in a CMS, and a rich-text editor's
table), as archives and scrapers save government pages."""
from pathlib import Path

import lxml.html
import pytest

from tests.fixtures import web_reports
from tests.fixtures.web_reports import want
from xxgk.documents import read_document
from xxgk.extract.segment import choose, group_sums, place_row, row_sum
from xxgk.extract.tables import extract_report
from xxgk.extract.tokens import Kind, Token, classify
from xxgk.normalise import normalise_document
from xxgk.readers.html import decode_html
from xxgk.readers.text import line_cells, text_rows


def _token(printed: str) -> Token:
    """A cell as the tokenizer makes it; digits cut out of the words around them are a run."""
    kind, value, unit = classify(printed)
    run = " " in printed or (printed.isdigit() and len(printed) > 1)
    return Token(Kind.RUN if run else kind, printed, printed, 0, "line 1", None if run else value, None if run else unit)


def _read(path: Path):
    doc = normalise_document(read_document(path))
    return doc, extract_report(doc)


def _score(report, extraction) -> tuple[int, int, int]:
    """(right, wrong, expected) of the hand-written values against what was extracted."""
    got = {(c["category_code"], c["applicant_type"], c["measure"]): c["value"] for c in extraction.cells}
    expected = want(report).to_dicts()
    right = sum(got.get((e["category_code"], e["applicant_type"], e["measure"]), "absent") == e["value"] for e in expected)
    wrong = sum(e["value"] is not None and got.get((e["category_code"], e["applicant_type"], e["measure"])) not in (None, e["value"])
                for e in expected)
    return right, wrong, len(expected)


# --- text: where a line is cut into cells ------------------------------------------------

def test_values_separated_by_spaces_are_cells_and_a_value_in_a_sentence_is_not():
    assert line_cells("规章 0 0 0") == ["规章", "0", "0", "0"]
    assert line_cells("一、本年新收政府信息公开申请数量 39 0 0 0 0 0 39") == [
        "一、本年新收政府信息公开申请数量", "39", "0", "0", "0", "0", "0", "39"]
    assert line_cells("本年共受理 5 件申请") == ["本年共受理 5 件申请"]
    assert line_cells("2023 年政府信息公开工作年度报告") == ["2023 年政府信息公开工作年度报告"]
    assert line_cells("行政事业性收费 1.25 / —") == ["行政事业性收费", "1.25", "/", "—"]


def test_a_page_number_is_no_row_of_values_but_a_null_mark_beside_a_value_is():
    assert line_cells("- 3 -") is None and line_cells("— 12 —") is None and line_cells("第 3 页 共 5 页") is None
    # PyMuPDF's sorted text of hongze-2024.pdf: the page's number first on a line of table 三
    assert line_cells(" " * 40 + "- 3 -       2.没有现成信息需要另行制作    1   0   0   0   0   0   1") == [
        "2.没有现成信息需要另行制作", "1", "0", "0", "0", "0", "0", "1"]
    assert line_cells("行政许可 - 3 -") == ["行政许可", "-", "3", "-"]  # blank, 3, blank


def test_markdown_pipe_rows_emphasis_and_rules():
    assert line_cells("| 规章 | 0 |  | 3 |") == ["规章", "0", "", "3"]
    assert line_cells("|---|:---:|---|") is None
    assert line_cells("+=====+=====+") is None
    assert line_cells("## **三、收到和处理政府信息公开申请情况**") == ["三、收到和处理政府信息公开申请情况"]
    assert line_cells("**2023**年某县政府信息公开工作年度报告") == ["2023年某县政府信息公开工作年度报告"]
    assert line_cells("| （一）予以公开<br>&nbsp; | 5 |") == ["（一）予以公开", "5"]


def test_a_run_of_numbers_is_never_one_number():
    """The table-四 row `39 0 0 0 39 36 …` was loaded as 3.9e18 when spaces were folded away."""
    rows = text_rows("四、政府信息公开行政复议、行政诉讼情况\n39 0 0 0 39 36 1 0 2 39 0 0 0 0 0\n")
    assert rows[1].cells == ["39", "0", "0", "0", "39", "36", "1", "0", "2", "39", "0", "0", "0", "0", "0"]


# --- the identities choose among readings, never invent ------------------------------------

def test_digits_run_together_are_cut_where_exactly_one_reading_adds_up():
    placement = choose([_token("801000081")], 7, row_sum)
    assert [t.printed for t in placement.cells] == ["80", "1", "0", "0", "0", "0", "81"]
    assert all(t.segmented for t in placement.cells)


def test_blank_cells_shown_by_spaces_are_placed_where_the_spaces_stand():
    placement = choose([_token("5     5")], 7, row_sum)
    assert [t.printed for t in placement.cells] == ["5", "", "", "", "", "", "5"]
    table4 = choose([_token("110024001510102")], 15, group_sums)
    assert [t.value for t in table4.cells] == [1, 1, 0, 0, 2, 4, 0, 0, 1, 5, 1, 0, 1, 0, 2]


def test_an_ambiguous_run_places_only_what_every_reading_agrees_on_and_names_the_readings():
    placement = choose([_token("130142133153")], 7, row_sum)
    assert placement.cells[6].printed == "153"
    assert placement.cells[:6] == [None] * 6  # 130 14 2 1 3 3, 130 1 4 2 13 3, 1 3 0 14 2 133 … all add up
    assert placement.problem.startswith("4 reading(s)") and "130 1 4 2 13 3 153" in placement.problem


def test_six_values_for_seven_columns_without_spaces_to_show_the_gap_stay_unplaced():
    run = [_token(v) for v in ("5", "0", "0", "0", "0", "5")]
    placement = choose(run, 7, row_sum)
    assert placement.cells[6].printed == "5"  # every reading that adds up ends with the total 5
    assert placement.cells[:6] == [None] * 6


def _number(printed: str, line: int) -> Token:
    kind, value, unit = classify(printed)
    return Token(kind, printed, printed, line, f"line {line}", value, unit)


def test_a_value_printed_elsewhere_leaves_its_cell_unplaced_where_the_identity_says_which():
    # plain pdftotext (tests/fixtures/zoo/a/pdftotext.txt): table 四's last 总计 printed after
    # sections 五 and 六, so 14 values stand for 15 columns
    run = [_number(v, i) for i, v in enumerate("0 0 2 2 4 2 0 3 0 5 2 0 1 2".split())]
    placement = place_row(run, 15, group_sums)
    assert [t.printed if t else None for t in placement.cells] == [*"0 0 2 2 4 2 0 3 0 5 2 0 1 2".split(), None]
    assert all(t.segmented for t in placement.cells[:14])  # placed by the identities: they confirm nothing
    assert "one blank or printed elsewhere" in placement.problem
    # 部分公开 with its total 19 on another line: only the total can be the lost cell (17+0+2 > 0)
    placement = place_row([_number(v, i) for i, v in enumerate("17 0 2 0 0 0".split())], 7, row_sum)
    assert [t.printed if t else None for t in placement.cells] == ["17", "0", "2", "0", "0", "0", None]


def test_a_lost_value_the_identity_cannot_place_places_nothing():
    # 17 0 2 0 0 19: a blank among the six makes 19 the total; a total printed elsewhere makes it
    # 其他's. Neither is chosen
    placement = place_row([_number(v, i) for i, v in enumerate("17 0 2 0 0 19".split())], 7, row_sum)
    assert placement.cells == [None] * 7
    assert "13 reading(s)" in placement.problem  # 7 places of a lost cell, 6 of a blank


# --- whole documents -----------------------------------------------------------------------

def _crawler_text(page: bytes) -> str:
    return lxml.html.document_fromstring(decode_html(page)).find("body").text_content()


@pytest.mark.parametrize("report", [web_reports.PROVINCE_2021, web_reports.COUNTY_2019], ids=["2021", "2019"])
@pytest.mark.parametrize("page", [web_reports.word_html, web_reports.cms_html], ids=["word-html", "cms-html"])
def test_a_crawlers_page_text_reads_with_no_wrong_value(tmp_path, report, page):
    path = tmp_path / "page.txt"
    path.write_text(_crawler_text(page(report)), encoding="utf-8")
    assert "一、本年新收政府信息公开申请数量130142133153" in path.read_text() or report.year == 2020
    doc, extraction = _read(path)
    assert (doc.agency, doc.year) == (report.agency, report.year)
    right, wrong, expected = _score(report, extraction)
    assert wrong == 0
    # not placed: table 二's runs (no identity ties 2115 to 2|1|15) and the rows of table 三
    # whose digits two readings satisfy together with the column identities
    assert right >= {2022: 201, 2020: 180}[report.year]
    assert {c["cell_status"] for c in extraction.cells} >= {"segmented"}


def test_a_word_pasted_page_with_comments_in_its_cells_reads_whole(tmp_path):
    """Word-pasted CMS pages hold <!--[if gte mso 9]> blocks and comments inside cells: lxml's
    text_content() of such a cell raised 'Input object is not an XML element: HtmlComment'."""
    page = web_reports.word_html(web_reports.PROVINCE_2021).decode("gb18030")
    page = page.replace("<o:p></o:p>", "<!-- x --><o:p></o:p>").replace(
        "<body", "<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]--><body", 1)
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gb18030"))
    _, extraction = _read(path)
    right, wrong, expected = _score(web_reports.PROVINCE_2021, extraction)
    assert (right, wrong) == (expected, 0)


def test_markdown_of_a_report_reads_every_cell(tmp_path):
    """Pipe tables as PDF-to-markdown converters write them, title in bold, as an .md file."""
    report = web_reports.PROVINCE_2021
    lines = [f"# **{report.title[:8]}**{report.title[8:]}", "", "## 二、主动公开政府信息情况", ""]
    for code, values in report.art20.items():
        label = web_reports._art20_label(code, report.template)
        lines += [f"| 第二十条 | {label} | " + " | ".join(values) + " |"]
    lines += ["", "## 三、收到和处理政府信息公开申请情况", "", "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
              "|---|---|---|---|---|---|---|---|"]
    for code, labels in web_reports.table3_layout(report):
        lines.append("| " + " ".join(text for text, _, _ in labels) + " | " + " | ".join(report.table3[code]) + " |")
    lines += ["", "## 四、政府信息公开行政复议、行政诉讼情况", "", "| " + " | ".join(report.table4) + " |",
              "", "## 五、存在的主要问题及改进情况", ""]
    path = tmp_path / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    doc, extraction = _read(path)
    assert (doc.agency, doc.year, doc.format) == (report.agency, report.year, "md")
    right, wrong, expected = _score(report, extraction)
    # 行政强制 printed blank in a row of table 二 of its own is reported missing, not read as blank
    assert (right, wrong) == (expected - 1, 0)
    assert [(w["category_code"], w["kind"]) for w in extraction.warnings if w["kind"] == "missing_row"] == [
        ("active.coercion", "missing_row")]


def test_the_same_bytes_under_a_name_not_read_are_listed_as_a_duplicate(tmp_path):
    """pandoc's .md and a copy of it renamed: one document, the other file a duplicate, whatever
    its suffix (a file rejected for its name was in neither list, and the summary lost it)."""
    from tests.fixtures.in_memory import ingest

    source = Path(__file__).resolve().parents[1] / "fixtures" / "zoo" / "a" / "html2text.md"
    paths = [tmp_path / "report.md", tmp_path / "report.md.txt", tmp_path / "report.rtf"]
    for path in paths:
        path.write_bytes(source.read_bytes())
    ingested = ingest(paths)
    assert [d.source_file for d in ingested.documents] == [str(paths[0])]
    assert ingested.duplicate_files == {ingested.documents[0].document_id: [str(paths[1]), str(paths[2])]}
    assert ingested.rejected == []


def test_rows_printed_together_after_one_label_go_to_the_rows_around_it_whose_values_are_missing(tmp_path):
    # plain pdftotext of the zoo's fill a: 重复申请's label, then its values and the next two rows'
    # (their labels come later, without values)
    zoo = Path(__file__).parents[1] / "fixtures" / "zoo" / "a" / "pdftotext.txt"
    doc = normalise_document(read_document(zoo))
    cells = {(c["category_code"], c["applicant_type"]): c for c in extract_report(doc).cells}
    assert [cells[("result.not_processed.publication", a)]["value"] for a in ("natural_person", "other_org", "total")] == [0, 1, 3]
    assert cells[("result.not_processed.excessive", "total")]["value"] == 10
    assert cells[("result.not_processed.excessive", "total")]["cell_status"] == "segmented"
    # （七）总计 and 四、结转下年度继续办理 printed one under the other, then both rows' values
    assert cells[("result.total", "total")]["value"] == 156 and cells[("application.carried_forward", "total")]["value"] == 3


def test_a_title_an_extractor_laid_out_around_its_wrapped_tail_gives_the_year():
    from xxgk.normalise import detect_year

    # pdftotext -layout of Chromium's print (tests/fixtures/zoo/b/chromium-pdftotext-layout.txt)
    assert detect_year(["浙江省湖州市德清县人民政府", "报告            2022 年政府信息公开工作年度", "一、总体情况"]) == 2022
    assert detect_year(["一、总体情况", "2023年，本机关深入贯彻落实条例"]) is None


def test_a_page_on_one_line_is_a_line_per_section_and_a_label_before_its_values_is_a_cell():
    # BeautifulSoup's get_text(" ", strip=True) of a report page
    line = ("2023 年政府信息公开工作年度报告 一、总体情况 " + "本机关深入贯彻落实条例。" * 40
            + " 二、主动公开政府信息情况 第二十条第（一）项 信息内容 本年 制发件数 本年废止件数 现行有效件 数 规章 0 0 36 "
            "行政规范性文件 7 9 116 三、收到和处理政府信息公开申请情况 申请人情况")
    rows = [r.cells for r in text_rows(line)]
    assert ["二、主动公开政府信息情况"] in rows and ["三、收到和处理政府信息公开申请情况"] in rows
    assert ["第二十条第（一）项 信息内容 本年 制发件数 本年废止件数 现行有效件 数", "规章", "0", "0", "36",
            "行政规范性文件", "7", "9", "116"] in rows


def test_a_wrapped_labels_last_line_with_the_rows_first_value_glued_on_is_cut():
    from xxgk.extract.tokens import recut

    # PyMuPDF's text of Chromium's print: the value 1 glued to 其他处理 item 1's second line
    assert recut("政机关不再处理其政府信息公开申请1", "政机关不再处理其政府信息公开申请1") == [
        ("政机关不再处理其政府信息公开申请", "政机关不再处理其政府信息公开申请"), ("1", "1")]
    assert recut("本年共受理申请1", "本年共受理申请1") == [("本年共受理申请1", "本年共受理申请1")]  # not a label's words
