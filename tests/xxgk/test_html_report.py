"""A report published as a government web page: GBK, nested layout table, rowspan/colspan, <br>, &nbsp;."""
import polars as pl

from tests.conftest import expected_cells
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.normalise import normalise_document
from xxgk.vocabulary import APPLICANT_COLUMNS, REVIEW_CODES, categories

WANT = expected_cells("qidong-office-2023")  # the hand-checked cells of the sample, put on a web page
PRINTED = WANT.filter(~pl.col("note").fill_null("").str.contains("derived"))  # result.other is the items' sum, not printed


def _printed(code, applicant=None, measure="count") -> str:
    row = WANT.filter((pl.col("category_code") == code) & (pl.col("measure") == measure)
                      & (pl.col("applicant_type").is_null() if applicant is None else pl.col("applicant_type") == applicant))
    return row["printed"][0] or "&nbsp;"


def _td(text, rowspan=1, colspan=1) -> str:
    return f'<td rowspan="{rowspan}" colspan="{colspan}"><p style="text-align:center">{text}</p></td>'


def build_page() -> str:
    art20 = [
        "<tr>" + _td("第二十条第（一）项", colspan=4) + "</tr>",
        "<tr>" + "".join(_td(t) for t in ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数")) + "</tr>",
        *("<tr>" + _td(label) + "".join(_td(_printed(code, measure=m)) for m in ("issued", "repealed", "in_force")) + "</tr>"
          for label, code in (("规章", "active.rules"), ("行政规范<br/>性文件", "active.normative_docs"))),
        "<tr>" + _td("第二十条第（五）项", colspan=4) + "</tr>",
        "<tr>" + _td("信息内容") + _td("本年处理决定数量", colspan=3) + "</tr>",
        "<tr>" + _td("行政许可") + _td(_printed("active.licensing", measure="decisions"), colspan=3) + "</tr>",
        "<tr>" + _td("第二十条第（六）项", colspan=4) + "</tr>",
        "<tr>" + _td("行政处罚") + _td(_printed("active.penalty", measure="decisions"), colspan=3) + "</tr>",
        "<tr>" + _td("行政强制") + _td(_printed("active.coercion", measure="decisions"), colspan=3) + "</tr>",
        "<tr>" + _td("第二十条第（八）项", colspan=4) + "</tr>",
        "<tr>" + _td("信息内容") + _td("本年收费金额（单位：万元）", colspan=3) + "</tr>",
        "<tr>" + _td("行政事业性收费") + _td(_printed("active.fees", measure="amount_10k_yuan"), colspan=3) + "</tr>",
    ]
    t3 = ["<tr>" + _td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3)
          + _td("申请人情况", colspan=7) + "</tr>",
          "<tr>" + _td("自然人", rowspan=2) + _td("法人或其他组织", colspan=5) + _td("总计", rowspan=2) + "</tr>",
          "<tr>" + "".join(_td(t) for t in ("商业<br>企业", "科研<br>机构", "社会公益组织", "法律服务机构", "其他")) + "</tr>"]
    codes = [c for c in categories() if categories()[c].section == 3 and c in set(PRINTED["category_code"])]
    groups_seen = set()
    for code in codes:
        label = categories()[code].label_2021
        values = "".join(_td(_printed(code, a)) for a in APPLICANT_COLUMNS)
        if code.startswith(("application.new", "application.carried_over", "application.carried_forward")):
            t3.append("<tr>" + _td(label, colspan=3) + values + "</tr>")
            continue
        lead = _td("三、本年度办理结果", rowspan=sum(c.startswith("result.") for c in codes)) if code == "result.granted" else ""
        if " " in label:  # a group and its item: the group cell spans the group's rows
            group, item = label.split(" ", 1)
            prefix = code.rsplit(".", 1)[0]
            cell = "" if prefix in groups_seen else _td(group, rowspan=sum(c.startswith(prefix + ".") for c in codes))
            groups_seen.add(prefix)
            t3.append("<tr>" + lead + cell + _td(item) + values + "</tr>")
        else:
            t3.append("<tr>" + lead + _td(label, colspan=2) + values + "</tr>")
    head = ("<tr>" + _td("行政复议", colspan=5) + _td("行政诉讼", colspan=10) + "</tr><tr>"
            + "".join(_td(t, rowspan=2) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
            + _td("未经复议直接起诉", colspan=5) + _td("复议后起诉", colspan=5) + "</tr><tr>"
            + "".join(_td(t) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>")
    t4 = head + "<tr>" + "".join(_td(_printed(code)) for code in REVIEW_CODES) + "</tr>"
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>启东市人民政府办公室2023年政府信息公开工作年度报告</title><script>var x = "<p>二、主动公开政府信息情况</p>";</script></head>
<body><table class="layout" width="1000"><tr><td class="nav">首页 &gt; 信息公开</td></tr><tr><td>
<h1>启东市政府办2023年政府信息公开工作年度报告</h1>
<div class="meta">来源：启东市人民政府办公室&nbsp;&nbsp;发布时间：2024-01-14</div>
<p>一、总体情况</p><p>2023年，市政府本级共受理依申请公开162件（含上年结转3件）。</p>
<p>二、主动公开政府信息情况</p><table border="1">{''.join(art20)}</table>
<p>三、收到和处理政府信息公开申请情况</p><table border="1">{''.join(t3)}</table>
<p>四、政府信息公开行政复议、行政诉讼情况</p><table border="1">{t4}</table>
<p>五、存在的主要问题及改进情况</p><p>无。</p></td></tr></table></body></html>"""


def test_every_cell_of_a_gbk_web_page_report(tmp_path):
    path = tmp_path / "qidong.html"
    path.write_bytes(build_page().encode("gb18030"))
    doc = normalise_document(read_document(path))
    assert (doc.agency, doc.year, doc.format_version) == ("启东市人民政府办公室", 2023, "2021")
    extraction = extract_report(doc)
    got = extraction.cells_frame()
    joined = WANT.join(got, on=["category_code", "applicant_type", "measure"], how="full", nulls_equal=True, suffix="_got")
    wrong = joined.filter(pl.col("category_code").is_null() | pl.col("category_code_got").is_null()
                          | (pl.col("value") != pl.col("value_got")) | (pl.col("printed") != pl.col("printed_got")))
    assert wrong.is_empty(), wrong
    assert not extraction.warnings
