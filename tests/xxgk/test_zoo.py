"""The rendering zoo (tests/fixtures/zoo): the official 2021 template filled twice and published
by the real tools — LibreOffice's PDF, HTML and text, seven PDF text extractors, markitdown,
pandoc, w3m, lynx, html2text, two crawlers, Chromium's print to PDF, a 150-dpi scan and a
Word-pasted CMS page — each read by the pipeline's own stages in process.

Two promises per rendering: no cell gets a wrong value (a cell not read is null, never a
guess), and every cell the rendering kept (all but its LOST cells) is read right. The
renderings that break a promise today are marked xfail(strict) with what goes wrong: when a
reader is fixed, its test passes, strict xfail fails it, and the mark is to be removed.

A third test keeps LOST honest: every cell not in LOST has its number in the file, and
every cell in LOST is truly gone from it.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from tests.fixtures.zoo import FILLS, LOST, RENDERINGS, ZOO, expected, lost, printed, rows, score

# OCR of three pages (half a minute)
SLOW = {"scan.pdf"}

# What fails today, per file (both fills), with its cause; the other renderings read whole.
INCOMPLETE_TODAY: dict[str, str] = {
    "pdftotext.txt": "pdftotext without -layout prints a wrapped row's values apart from its label: 部分公开's total "
                     "after the next labels, （六）'s rows' values glued to their labels' second lines "
                     "('纳费用、行政机关不再处理其政府 0'), and table 四's last total after section 六 (not placed)",
    "pdfminer.txt": "pdfminer prints each table column by column (all the labels, then each column's values), "
                    "so values follow the wrong labels; 16/200",
    "markitdown-pdf.md": "markitdown's PDF text (pdfminer) prints table 二's 现行有效件数 36 on a line of its own above "
                         "its row (规章 0 0): values before a label, which no identity can place (3 null)",
    "chromium-pdftotext.txt": "plain pdftotext of the browser's PDF prints the first value of several rows of table 三 "
                              "apart from the rest ('58', then '0 2 3 0 0 63 0 2 0 0 0 19' without a label): 165/200",
    "scan.pdf": "172/200: table 二's values are left-aligned under centred headers, so OCR makes a column per "
                "header and per value (an unread cell after every value: '规章 0 � 0 � 36 �'), and table 二's rows are lost",
}
WRONG_TODAY: dict[tuple[str, str], str] = {}
# how many of the 200 cells the incomplete renderings read right today (fills a, b): a floor
READ_TODAY = {"pdftotext.txt": (185, 177), "pdfminer.txt": (16, 16), "markitdown-pdf.md": (197, 197),
              "scan.pdf": (172, 172), "chromium-pdftotext.txt": (165, 165)}


@cache
def scored(fill: str, name: str):
    return score(fill, name)


def _params(failing) -> list:
    out = []
    for fill, name in RENDERINGS:
        marks = [pytest.mark.slow] if name in SLOW else []
        reason = failing(fill, name)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(fill, name, marks=marks, id=f"{fill}-{name}"))
    return out


@pytest.mark.parametrize("fill, name", _params(lambda fill, name: WRONG_TODAY.get((fill, name))))
def test_no_cell_gets_a_wrong_value(fill, name):
    s = scored(fill, name)
    assert s.wrong == 0, s.wrong_cells


@pytest.mark.parametrize("fill, name", _params(lambda fill, name: INCOMPLETE_TODAY.get(name) or INCOMPLETE_TODAY.get(f"{fill}/{name}")))
def test_every_cell_the_rendering_kept_is_read_right(fill, name):
    s = scored(fill, name)
    assert s.rejected is None, s.rejected
    kept_null = [k for k in s.null_cells if k not in lost(fill, name)]
    # the identities may read more than LOST counts (crawler-joined.txt: cuts that only they decide)
    assert (kept_null, s.wrong) == ([], 0), f"{s.right}/{s.total} right, {s.lost} lost; kept but null: {kept_null[:10]}"


@pytest.mark.parametrize("fill, name", [p for p in _params(lambda fill, name: None) if p.values[1] in READ_TODAY])
def test_an_incomplete_rendering_reads_no_fewer_cells_than_today(fill, name):
    assert scored(fill, name).right >= READ_TODAY[name][FILLS.index(fill)]


# --- LOST is what the files lost, no more ------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


def _text(fill: str, name: str) -> str:
    path = ZOO / fill / name
    if name.endswith(".pdf"):
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
    if name.endswith(".docx"):
        import docx

        document = docx.Document(str(path))
        return "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    if name.endswith(".html"):
        import lxml.html

        from xxgk.readers.html import decode_html

        return lxml.html.fromstring(decode_html(path.read_bytes())).text_content()
    return path.read_text(encoding="utf-8")


TEXT_RENDERINGS = [(fill, name) for fill, name in RENDERINGS if name != "scan.pdf"]  # a scan has no text to look in


@pytest.mark.parametrize("fill, name", [pytest.param(f, n, id=f"{f}-{n}") for f, n in TEXT_RENDERINGS])
def test_every_cell_not_lost_has_its_number_in_the_file(fill, name):
    text = _text(fill, name)
    shown = printed(fill)
    gone = lost(fill, name)
    if name == "crawler-joined.txt":  # cells printed back to back: each row's digits, in order
        joined = re.sub(r"\s", "", text)
        for row in rows(fill):
            assert "".join(shown[k] for k in row) in joined, row[0]
        return
    want = Counter(shown[k] for k in shown if k not in gone)
    missing = want - Counter(_NUMBER.findall(text))
    assert not missing, f"numbers the file does not hold: {dict(missing)}"


def test_lost_cells_are_gone_from_their_files():
    for fill in FILLS:
        plain = (ZOO / fill / "pandoc-plain.txt").read_text(encoding="utf-8")
        assert "[TABLE]" in plain
        for label in ("本年新收政府信息公开申请数量", "予以公开", "属于国家秘密", "结转下年度继续办理"):
            assert label not in plain  # table 三, labels and numbers, is not in the file
        # the numbers of tables 二 and 四 account for all the file's numbers but the year's
        kept = Counter(v for k, v in printed(fill).items() if k not in LOST[(fill, "pandoc-plain.txt")])
        found = Counter(n for n in _NUMBER.findall(plain) if n != str(expected_year(fill)))
        assert found - kept == Counter()
        # crawler-joined: a lost cell's row cuts more than one way, a kept one has one reading
        joined = LOST[(fill, "crawler-joined.txt")]
        assert joined and all("run together" in reason for reason in joined.values())
    assert set(LOST) == {(f, n) for f in FILLS for n in ("pandoc-plain.txt", "crawler-joined.txt")}


def expected_year(fill: str) -> int:
    from tests.fixtures.zoo.make_zoo import FILLS as MADE

    return MADE[fill].year


def test_the_fills_keep_every_identity():
    from tests.fixtures.zoo.make_zoo import FILLS as MADE
    from tests.fixtures.zoo.make_zoo import check, numbers

    for fill in FILLS:
        cells = numbers(MADE[fill])
        check(cells)
        assert {(c.code, c.applicant, c.measure): c.value for c in cells} == expected(fill)


@pytest.mark.parametrize("fill", FILLS)
def test_a_browser_printed_report_reads_its_table_labels_outside_the_ruled_cells(fill):
    """Chromium prints the item labels of a group without borders: pdfplumber finds them in the
    table's box but in no cell and drops them, and the title's year stands on a baseline of its
    own. On the page after the break it draws no borders between one row's values (in no cell,
    or '0 5' in one), and （六）'s three labels and its group's share one cell. All mended: every
    cell read (it was rejected: 'statistics year not found')."""
    s = scored(fill, "chromium.pdf")
    assert s.rejected is None and s.wrong == 0
    assert s.right == 200
