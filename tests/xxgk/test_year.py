"""A whole statistics year: documents of other years left out, a report with no tables rejected."""
from tests.conftest import SAMPLE_FILES
from tests.fixtures.in_memory import extract_year, ingest, normalise_all
from xxgk.documents import RawDocument, Row
from xxgk.normalise import normalise_document


def test_a_report_without_tables_is_rejected_with_the_reason():
    lines = ["某县人民政府2023年政府信息公开工作年度报告", "一、总体情况", "2023年，我县认真贯彻落实《条例》。", "六、其他需要报告的事项", "无。"]
    doc = normalise_document(RawDocument("n0tables", "no-tables.txt", "txt", 100, [Row([t], f"line {i}") for i, t in enumerate(lines, 1)]))
    tables = extract_year([doc], 2023)
    assert tables.documents.is_empty() and tables.cells.collect().is_empty()
    assert tables.rejected.select("source_file", "stage", "year").rows() == [("no-tables.txt", "extraction", 2023)]
    assert tables.rejected["reason"][0].startswith("a report with no tables")


def test_only_the_documents_of_the_year():
    docs, _ = normalise_all(ingest(SAMPLE_FILES).documents)
    assert extract_year(docs, 2024).documents["source_file"].str.ends_with("hongze-2024.pdf").to_list() == [True]
    assert extract_year(docs, 2023).documents.height == 5
    assert extract_year(docs, 2022).documents.is_empty()
