-- The safe views: each table of the report in the shape it is printed, one kind of number per
-- view, with its unit said, labels in Chinese and English, and every total twice, as printed and
-- as reconciled from the cells it totals, with a flag where the two differ. Start here rather
-- than with v_disclosure_facts, whose one `value` column holds the 总计 column beside the six
-- applicant columns (SUM(value) counts every application twice) and application counts beside
-- licensing decisions (both in 件).
--
-- A cell's value counts as a number where it was read (read, converted, segmented) or fixed by
-- the report without being printed (inferred, derived); blank, null_mark, not_placed, not_read
-- and implausible cells are no number. A reconciled total is NULL unless every cell it adds
-- up is a number: never a sum of what happens to be there.

-- Table 三, one row per agency-year (its chosen document) and row, one column per applicant type.
CREATE OR REPLACE VIEW v_applications_wide AS
WITH cells AS (
    SELECT agency_id, year, document_id, category_code, applicant_type, cell_status,
           CASE WHEN cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') THEN value END AS number
    FROM fact_application
),
wide AS (
    SELECT agency_id, year, document_id, category_code,
           max(number) FILTER (WHERE applicant_type = 'natural_person') AS natural_person,
           max(number) FILTER (WHERE applicant_type = 'commercial') AS commercial,
           max(number) FILTER (WHERE applicant_type = 'research') AS research,
           max(number) FILTER (WHERE applicant_type = 'social_welfare') AS social_welfare,
           max(number) FILTER (WHERE applicant_type = 'legal_service') AS legal_service,
           max(number) FILTER (WHERE applicant_type = 'other_org') AS other_org,
           max(number) FILTER (WHERE applicant_type = 'total') AS total_printed,
           max(cell_status) FILTER (WHERE applicant_type = 'total') AS total_cell_status,
           count(number) FILTER (WHERE applicant_type <> 'total') AS applicant_numbers,
           sum(number) FILTER (WHERE applicant_type <> 'total') AS applicant_sum,
           bool_or(cell_status = 'derived') AS derived
    FROM cells
    GROUP BY ALL
),
items AS (
    SELECT *, bool_or(category_code LIKE 'result.other.%') OVER (PARTITION BY agency_id, year) AS other_items FROM wide
),
reconciled AS (
    SELECT *, CASE WHEN applicant_numbers = 6 THEN applicant_sum END AS total_reconciled FROM items
)
SELECT w.agency_id, a.agency_name AS agency, d.agency_name AS agency_as_printed, w.year, d.format_version,
       a.province, a.city, a.county, a.region_code,
       a.level, code_label('level', a.level) AS level_label, code_label_en('level', a.level) AS level_label_en,
       a.kind, code_label_en('kind', a.kind) AS kind_label_en,
       w.category_code, c.category_path, c.label_short AS category_label, c.label_en AS category_label_en,
       c.parent_code, c.sort_order, r.row_role,
       code_label('row_role', r.row_role) AS row_role_label, code_label_en('row_role', r.row_role) AS row_role_label_en,
       TRY_CAST(w.natural_person AS BIGINT) AS natural_person, TRY_CAST(w.commercial AS BIGINT) AS commercial,
       TRY_CAST(w.research AS BIGINT) AS research, TRY_CAST(w.social_welfare AS BIGINT) AS social_welfare,
       TRY_CAST(w.legal_service AS BIGINT) AS legal_service, TRY_CAST(w.other_org AS BIGINT) AS other_org,
       TRY_CAST(w.total_printed AS BIGINT) AS total_printed, TRY_CAST(w.total_reconciled AS BIGINT) AS total_reconciled,
       CASE WHEN w.total_reconciled IS NOT NULL THEN w.total_printed IS DISTINCT FROM w.total_reconciled END AS total_differs,
       CAST(6 - w.applicant_numbers AS INTEGER) AS applicant_cells_not_numbers,
       w.total_cell_status, code_label('cell_status', w.total_cell_status) AS total_cell_status_label,
       code_label_en('cell_status', w.total_cell_status) AS total_cell_status_label_en,
       'applications' AS quantity, code_label('quantity', 'applications') AS quantity_label,
       code_label_en('quantity', 'applications') AS quantity_label_en, '件' AS unit,
       w.document_id, d.source_file
FROM reconciled w
JOIN dim_agency a ON a.agency_id = w.agency_id
JOIN dim_document d ON d.document_id = w.document_id
JOIN dim_category c ON c.category_code = w.category_code
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN w.category_code = 'application.new_received' THEN 'received'
        WHEN w.category_code = 'application.carried_over' THEN 'carried_over'
        WHEN w.category_code = 'application.carried_forward' THEN 'carried_forward'
        WHEN w.category_code = 'result.total' THEN 'results_total'
        -- （六）其他处理 summed from its three items, or printed beside them: the items count, it does not
        WHEN w.category_code = 'result.other' AND (w.derived OR w.other_items) THEN 'result_subtotal'
        ELSE 'result'
    END AS row_role
) r;

-- Table 三 long, the six applicant columns only (never the 总计 column): SUM(value) over the
-- applicant types of one row is that row's reconciled total; over rows, only WHERE row_role =
-- 'result' (the results counted once: a subtotal and the results total are left out).
CREATE OR REPLACE VIEW v_application_counts AS
WITH cells AS (
    SELECT f.*, bool_or(f.category_code LIKE 'result.other.%') OVER (PARTITION BY f.agency_id, f.year) AS other_items
    FROM fact_application f
),
roles AS (
    SELECT *, CASE
        WHEN category_code = 'application.new_received' THEN 'received'
        WHEN category_code = 'application.carried_over' THEN 'carried_over'
        WHEN category_code = 'application.carried_forward' THEN 'carried_forward'
        WHEN category_code = 'result.total' THEN 'results_total'
        WHEN category_code = 'result.other' AND (cell_status = 'derived' OR other_items) THEN 'result_subtotal'
        ELSE 'result'
    END AS row_role
    FROM cells
    WHERE applicant_type <> 'total'
),
-- the labels are joined, not looked up by code_label() row by row: this view has a row per cell
agencies AS (
    SELECT a.*, lv.label AS level_label, lv.label_en AS level_label_en, lk.label_en AS kind_label_en
    FROM dim_agency a
    LEFT JOIN dim_code_label lv ON lv.code_set = 'level' AND lv.code = a.level
    LEFT JOIN dim_code_label lk ON lk.code_set = 'kind' AND lk.code = a.kind
)
SELECT f.agency_id, a.agency_name AS agency, f.year, d.format_version, a.province, a.city, a.county, a.region_code,
       a.level, a.level_label, a.level_label_en, a.kind, a.kind_label_en,
       f.category_code, c.category_path, c.label_short AS category_label, c.label_en AS category_label_en, c.sort_order,
       f.row_role, lr.label AS row_role_label, lr.label_en AS row_role_label_en,
       f.applicant_type, t.label AS applicant_label, t.label_en AS applicant_label_en, t.applicant_group,
       CASE WHEN f.cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') THEN TRY_CAST(f.value AS BIGINT) END AS value,
       f.printed, f.cell_status, ls.label AS cell_status_label, ls.label_en AS cell_status_label_en,
       'applications' AS quantity, lq.label AS quantity_label, lq.label_en AS quantity_label_en, '件' AS unit,
       f.document_id, d.source_file, f.location
FROM roles f
JOIN agencies a ON a.agency_id = f.agency_id
JOIN dim_document d ON d.document_id = f.document_id
JOIN dim_category c ON c.category_code = f.category_code
JOIN dim_applicant_type t ON t.applicant_type = f.applicant_type
LEFT JOIN dim_code_label lr ON lr.code_set = 'row_role' AND lr.code = f.row_role
LEFT JOIN dim_code_label ls ON ls.code_set = 'cell_status' AND ls.code = f.cell_status
LEFT JOIN dim_code_label lq ON lq.code_set = 'quantity' AND lq.code = 'applications';

-- Table 二, one row per agency-year, row and column: what each number counts (documents,
-- decisions, items) or amounts to (万元), said in quantity and unit.
CREATE OR REPLACE VIEW v_active_disclosure AS
SELECT f.agency_id, a.agency_name AS agency, f.year, d.format_version, a.province, a.city, a.county, a.region_code,
       a.level, code_label('level', a.level) AS level_label, code_label_en('level', a.level) AS level_label_en,
       a.kind, code_label_en('kind', a.kind) AS kind_label_en,
       f.category_code, c.category_path, c.label_short AS category_label, c.label_en AS category_label_en, c.sort_order,
       f.measure, m.label AS measure_label, m.label_en AS measure_label_en,
       m.quantity, code_label('quantity', m.quantity) AS quantity_label, code_label_en('quantity', m.quantity) AS quantity_label_en,
       m.unit, code_label_en('unit', m.unit) AS unit_en,
       CASE WHEN f.cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') THEN TRY_CAST(f.value AS DECIMAL(18, 4)) END AS value,
       f.printed, f.cell_status, code_label('cell_status', f.cell_status) AS cell_status_label,
       code_label_en('cell_status', f.cell_status) AS cell_status_label_en,
       f.document_id, d.source_file, f.location
FROM fact_active_disclosure f
JOIN dim_agency a ON a.agency_id = f.agency_id
JOIN dim_document d ON d.document_id = f.document_id
LEFT JOIN dim_category c ON c.category_code = f.category_code
LEFT JOIN dim_measure m ON m.measure = f.measure;

-- Table 四, one row per agency-year and group (行政复议, 直接起诉, 复议后起诉): the four outcomes,
-- the 总计 as printed and as their sum.
CREATE OR REPLACE VIEW v_review_litigation AS
WITH cells AS (
    SELECT agency_id, year, document_id, split_part(category_code, '.', 1) AS review_group,
           split_part(category_code, '.', 2) AS outcome, cell_status,
           CASE WHEN cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') THEN value END AS number
    FROM fact_review_litigation
),
wide AS (
    SELECT agency_id, year, document_id, review_group,
           max(number) FILTER (WHERE outcome = 'upheld') AS upheld,
           max(number) FILTER (WHERE outcome = 'corrected') AS corrected,
           max(number) FILTER (WHERE outcome = 'other') AS other,
           max(number) FILTER (WHERE outcome = 'pending') AS pending,
           max(number) FILTER (WHERE outcome = 'total') AS total_printed,
           max(cell_status) FILTER (WHERE outcome = 'total') AS total_cell_status,
           count(number) FILTER (WHERE outcome <> 'total') AS item_numbers,
           sum(number) FILTER (WHERE outcome <> 'total') AS item_sum
    FROM cells
    GROUP BY ALL
)
SELECT w.agency_id, a.agency_name AS agency, w.year, d.format_version, a.province, a.city, a.county, a.region_code,
       a.level, code_label('level', a.level) AS level_label, code_label_en('level', a.level) AS level_label_en,
       a.kind, code_label_en('kind', a.kind) AS kind_label_en,
       w.review_group, g.sort_order, g.label AS review_group_label, g.label_en AS review_group_label_en,
       TRY_CAST(w.upheld AS BIGINT) AS upheld, TRY_CAST(w.corrected AS BIGINT) AS corrected,
       TRY_CAST(w.other AS BIGINT) AS other, TRY_CAST(w.pending AS BIGINT) AS pending,
       TRY_CAST(w.total_printed AS BIGINT) AS total_printed,
       TRY_CAST(CASE WHEN w.item_numbers = 4 THEN w.item_sum END AS BIGINT) AS total_reconciled,
       CASE WHEN w.item_numbers = 4 THEN w.total_printed IS DISTINCT FROM w.item_sum END AS total_differs,
       CAST(4 - w.item_numbers AS INTEGER) AS outcome_cells_not_numbers,
       w.total_cell_status, code_label('cell_status', w.total_cell_status) AS total_cell_status_label,
       code_label_en('cell_status', w.total_cell_status) AS total_cell_status_label_en,
       'cases' AS quantity, code_label('quantity', 'cases') AS quantity_label,
       code_label_en('quantity', 'cases') AS quantity_label_en, '件' AS unit,
       w.document_id, d.source_file
FROM wide w
JOIN dim_agency a ON a.agency_id = w.agency_id
JOIN dim_document d ON d.document_id = w.document_id
LEFT JOIN dim_code_label g ON g.code_set = 'review_group' AND g.code = w.review_group;
