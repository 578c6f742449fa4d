"""The annual overview asset: an offline page per year, looked at in headless Chromium."""
from __future__ import annotations

import os
import re
from pathlib import Path

from tests.browser.chromium import rendered_text, screenshot


def test_overview_pages_render_offline_with_their_charts(bi_warehouse, tmp_path):
    folder = Path(bi_warehouse["XXGK_OVERVIEW"])  # written by `xxgk run` (the year job's last asset)
    assert sorted(p.name for p in folder.glob("*.html")) == ["2023.html", "2024.html", "index.html"]
    page = (folder / "2024.html").read_text(encoding="utf-8")
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="2023.html"' in index and 'href="2024.html"' in index  # every loaded year, whatever the order of loads
    assert '<a href="index.html">' in page and '<a href="2023.html">' in page
    # nothing is fetched: no script, no stylesheet link, no image or frame from anywhere
    assert not re.search(r"<script|<link|<img|<iframe|src=", page)
    assert page.count("<svg") == 4  # region, top agencies, mix of results, year-over-year
    dom = rendered_text((folder / "2024.html").as_uri(), wait_ms=0)
    for heading in ("按地区和层级", "申请最多的机关", "办理结果构成", "与 2023 年相比", "合计不符或需核查的报告"):
        assert heading in dom
    # hand-checked figures: hongze 2024 received 95; qidong 2024 (aliased name) 167 against 159 in 2023
    assert re.search(r"<td>江苏省</td><td>淮安市</td><td>县级</td><td class=\"n\">1</td><td class=\"n\">95</td>", dom)
    assert re.search(r"启东市人民政府办公室</td><td>新收申请</td><td class=\"n\">159</td><td class=\"n\">167</td>"
                     r"<td class=\"n\">8</td><td class=\"n\">\+5.0%</td>", dom)
    # the report whose carry-over does not add up links to its findings, which are on the page
    link = re.search(r'<a href="#(findings-[0-9a-f]+)">', dom).group(1)
    assert f'id="{link}"' in dom and "跨年结转（XY_CARRY）" in dom
    out_dir = Path(os.environ.get("XXGK_SCREENSHOTS", tmp_path))  # docs/ to refresh docs/annual-overview.png
    shot = screenshot((folder / "2024.html").as_uri(), out_dir / "annual-overview.png", width=1200, height=2400)
    assert shot.stat().st_size > 50_000  # a page with charts, not a blank one


def test_long_lists_are_cut_with_a_pointer_to_the_views(bi_warehouse, monkeypatch):
    import warehouse.overview
    from warehouse.loader import connect

    monkeypatch.setattr(warehouse.overview, "LISTED", 0)  # a national year lists the first 100 of thousands
    with connect(bi_warehouse["XXGK_WAREHOUSE"], read_only=True) as con:
        page = warehouse.overview.render(con, 2024, [2023, 2024])
    assert "其余 1 个见 v_year_over_year" in page and "其余 1 份见 v_report_overview 和 v_identity_findings" in page
    assert "查看发现" not in page  # no link to findings that are not on the page


def test_heat_table_of_each_metric_by_province_and_year_leaves_blanks_blank(bi_warehouse):
    """Each metric, province by year, over the usable reports: 江苏 2024 holds hongze (95 received) and
    qidong 2024, whose identity violation (XY_CARRY) keeps it out; 黑龙江 2023's 许可处罚比 is pooled,
    (1772 + 15) / (27780 + 2) = 0.0643 from dongning and lingdong (suifenhe prints 0 / 0)."""
    folder = Path(bi_warehouse["XXGK_OVERVIEW"])
    dom = rendered_text((folder / "2024.html").as_uri(), wait_ms=0)
    assert "各省指标" in dom
    heat = dom[dom.index('id="heat"'):dom.index('id="top"')]
    tables = dict(re.findall(r"<h3>([^<（]+)（[^<]*）</h3><table class=\"heat\">(.*?)</table>", heat))
    assert list(tables) == ["依申请新收", "受理合计", "实质公开率", "复议纠错率", "诉讼纠错率", "争议转化率", "纠错转化率", "许可处罚比"]

    def row(metric: str, province: str) -> list[str]:
        cells = re.search(rf"<tr><td>{province}</td>(.*?)</tr>", tables[metric]).group(1)
        return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]

    assert row("依申请新收", "江苏省") == ["159 1 / 1", "95 1 / 2"]
    assert row("依申请新收", "黑龙江省") == ["0 3 / 3", ""]  # no report of 2024: blank, not 0
    assert row("实质公开率", "江苏省") == ["43.2% 1 / 1", "62.1% 1 / 2"]  # 70 / 162; (50 + 9) / 95
    assert row("实质公开率", "黑龙江省") == ["", ""]  # no application at all: 0 / 0 is no rate
    assert row("许可处罚比", "黑龙江省") == ["0.0643 2 / 3", ""]
    blanks = re.findall(r'<td class="n blank"[^>]*>(.*?)</td>', heat)
    assert blanks and all(b == "" for b in blanks)
