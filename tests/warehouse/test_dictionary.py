"""The warehouse describes itself: every table, view and column has a comment, and the
committed docs/data-dictionary.md is what those comments say now."""
from __future__ import annotations

import duckdb
import pytest

from warehouse.dictionary import DEFAULT_PATH, build, render
from warehouse.loader import ensure_schema


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    c = duckdb.connect(str(tmp_path_factory.mktemp("dict") / "w.duckdb"))
    ensure_schema(c)
    yield c
    c.close()


def test_every_table_view_and_column_has_a_comment(con):
    objects = con.execute("""SELECT table_name, table_type, table_comment FROM information_schema.tables
                             WHERE table_catalog = current_database()""").fetchall()
    assert len(objects) == 36 and {"document_cell", "document_violation", "retraction", "v_report_overview", "v_year_over_year",
                                   "v_identity_findings", "dim_agency", "v_applications_wide", "v_application_counts",
                                   "v_active_disclosure", "v_review_litigation", "v_metrics", "v_metric_inputs", "dim_metric",
                                   "v_narrative_checks", "document_statement", "dim_code_label",
                                   "v_findings", "finding_review"} <= {o[0] for o in objects}
    assert [o for o in objects if not o[2]] == []
    columns = con.execute("""SELECT table_name, column_name, column_comment FROM information_schema.columns
                             WHERE table_catalog = current_database()""").fetchall()
    assert len(columns) > 580 and [c for c in columns if not c[2]] == []
    # the same through DuckDB's own catalog function
    assert con.execute("SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
                       "AND (comment IS NULL OR comment = '')").fetchone() == (0,)


def test_comments_survive_a_second_schema_check(con):
    ensure_schema(con)  # views are replaced on every load: their comments are written again
    assert con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'v_report_overview' "
                       "AND column_name = 'denied'").fetchone() == ("（三）不予公开: sum of its 8 items (total column).",)


def test_committed_dictionary_is_current():
    assert DEFAULT_PATH.read_text(encoding="utf-8") == build(), "run: python -m warehouse.dictionary"


def test_dictionary_lists_columns_with_their_comment(con):
    text = render(con)
    assert "| `county_code` | VARCHAR | GB/T 2260 code of the county-level division (县级), e.g. 320681; null above county level. |" in text
    assert "| **result.unavailable** | result.total | 无法提供 | Cannot be provided | （四）无法提供 |" in text


def test_category_groups_sit_between_items_and_result_total(con):
    groups = con.execute("SELECT category_code, parent_code, label_2021, label_short FROM dim_category "
                         "WHERE is_group ORDER BY sort_order").fetchall()
    assert groups == [("result.denied", "result.total", "（三）不予公开", "不予公开"),
                      ("result.unavailable", "result.total", "（四）无法提供", "无法提供"),
                      ("result.not_processed", "result.total", "（五）不予处理", "不予处理")]
    children = dict(con.execute("SELECT parent_code, count(*) FROM dim_category WHERE parent_code LIKE 'result.%' "
                                "GROUP BY ALL").fetchall())
    assert children == {"result.denied": 8, "result.unavailable": 3, "result.not_processed": 5, "result.other": 3,
                        "result.total": 6}
    assert con.execute("SELECT count(*) FROM dim_category WHERE label_short IS NULL OR label_en IS NULL "
                       "OR sort_order IS NULL").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM dim_measure WHERE label_en IS NULL").fetchone() == (0,)
    assert con.execute("SELECT label, label_en FROM dim_identity WHERE identity = 'T3_BALANCE'").fetchone() == (
        "收支平衡", "Applications balance")
    assert con.execute("SELECT label_en FROM dim_applicant_type WHERE applicant_type = 'natural_person'").fetchone() == (
        "natural persons",)


def test_dictionary_starts_with_the_safe_views_and_the_double_count_trap(con):
    text = render(con)
    start, trap, listing = text.index("## Start here"), text.index("**The double-count trap.**"), text.index("| object | kind |")
    assert start < trap < listing
    assert text.index("[`v_applications_wide`]") < trap and "`SUM(value)` of\n`application.new_received` there counts every application twice" in text
    assert "| disclosure_rate | 实质公开率 / Share granted in whole or in part | 比率 |" in text
    assert "| level | county | 县级 | county |" in text
