-- Tables for analysis: the labels of coded columns, the metrics' definitions, what the reports
-- state in prose against their tables, and the review of findings. The label tables are
-- refilled from xxgk/spec on every schema check (seed/labels.sql); document_statement is
-- filled by the loader, like document_cell; finding_review only by `xxgk review`.

-- Chinese and English labels of every coded column of the views (xxgk/spec/code_labels.csv):
-- level, kind, format_version, quality_status, cell_status, quantity, unit, row_role,
-- review_group, metric_status, verdict, narrative_quantity, review_status; and set 'column': the
-- Chinese header of each column of the views (xxgk/spec/column_labels.csv), for exports.
CREATE TABLE IF NOT EXISTS dim_code_label (
    code_set    VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    sort_order  INTEGER,
    label       VARCHAR NOT NULL,
    label_en    VARCHAR NOT NULL,
    PRIMARY KEY (code_set, code)
);

-- The metrics of v_metrics (xxgk/spec/metrics.csv): what each means and what it does not.
CREATE TABLE IF NOT EXISTS dim_metric (
    metric           VARCHAR PRIMARY KEY,
    sort_order       INTEGER NOT NULL,
    label            VARCHAR NOT NULL,
    label_en         VARCHAR NOT NULL,
    unit             VARCHAR NOT NULL,
    formula          VARCHAR NOT NULL,
    formula_en       VARCHAR NOT NULL,
    numerator_sql    VARCHAR NOT NULL,
    denominator_sql  VARCHAR,
    formula_sql      VARCHAR NOT NULL,
    cells            VARCHAR NOT NULL,
    does_not_mean    VARCHAR NOT NULL,
    does_not_mean_en VARCHAR NOT NULL
);

-- Numbers a report states in its prose (section 一 and the sections after the tables), each
-- compared with the cells of its own tables (xxgk/extract/narrative.py): every kept document's,
-- chosen or not, like document_cell.
CREATE TABLE IF NOT EXISTS document_statement (
    document_id   VARCHAR NOT NULL,
    statement_no  INTEGER NOT NULL,
    quantity      VARCHAR NOT NULL,
    sentence      VARCHAR NOT NULL,
    matched       VARCHAR NOT NULL,
    location      VARCHAR,
    stated        DOUBLE,
    cells         VARCHAR NOT NULL,
    table_value   DOUBLE,
    verdict       VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL
);

-- Review of findings by people: `xxgk review` (pipelines/review.py). Keyed by what the finding
-- is about, not by a load, so that it survives every reload of the same document.
CREATE TABLE IF NOT EXISTS finding_review (
    finding_kind  VARCHAR NOT NULL,
    document_id   VARCHAR NOT NULL,
    finding_key   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    reviewed_by   VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    reviewed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (finding_kind, document_id, finding_key)
);

ALTER TABLE dim_category ADD COLUMN IF NOT EXISTS category_path VARCHAR;
ALTER TABLE dim_measure ADD COLUMN IF NOT EXISTS quantity VARCHAR;
