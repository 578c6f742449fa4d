-- Views for BI tools and analysts. Each is described by COMMENT ON in comments.sql.
-- Numbers are shown with TRY_CAST: a value no report can mean (cell_status implausible, e.g. 23 digits)
-- does not fit DECIMAL(18, 4) or BIGINT, and shows as NULL here (as printed in the fact tables) instead of failing.

-- The public contract: its first ten columns keep their names and meaning; new columns only at the end.
-- `agency` is the name as the report gives it; agency_id / agency_name are the canonical agency.
CREATE OR REPLACE VIEW v_disclosure_facts AS
WITH facts AS (
    SELECT agency_id, year, category_code, CAST(NULL AS VARCHAR) AS applicant_type, measure, value, printed,
           document_id, cell_status, location, provenance, CAST(NULL AS VARCHAR) AS quantity
    FROM fact_active_disclosure
    UNION ALL
    SELECT agency_id, year, category_code, applicant_type, 'count', value, printed,
           document_id, cell_status, location, provenance, 'applications'
    FROM fact_application
    UNION ALL
    SELECT agency_id, year, category_code, CAST(NULL AS VARCHAR), 'count', value, printed,
           document_id, cell_status, location, provenance, 'cases'
    FROM fact_review_litigation
),
-- the labels are joined, not looked up by code_label() row by row: this view has every cell
agencies AS (
    SELECT a.*, lv.label AS level_label, lv.label_en AS level_label_en, lk.label_en AS kind_label_en
    FROM dim_agency a
    LEFT JOIN dim_code_label lv ON lv.code_set = 'level' AND lv.code = a.level
    LEFT JOIN dim_code_label lk ON lk.code_set = 'kind' AND lk.code = a.kind
)
SELECT coalesce(d.agency_name, a.agency_name) AS agency, f.year, d.format_version, f.category_code,
       f.applicant_type, f.measure, f.value, f.printed, f.document_id, d.source_file,
       f.agency_id, a.agency_name, a.region_code, a.province, a.city, a.county, a.level, a.kind,
       c.label_short AS category_label, t.label AS applicant_label, m.label_short AS measure_label, m.unit,
       f.cell_status, f.location, f.provenance,
       -- labels in both languages, what the number counts, and whether it is a sum of other cells
       a.level_label, a.level_label_en, a.kind_label_en, c.category_path, c.label_en AS category_label_en, c.sort_order,
       t.label_en AS applicant_label_en, m.label_en AS measure_label_en, coalesce(f.quantity, m.quantity) AS quantity,
       lq.label AS quantity_label, lq.label_en AS quantity_label_en,
       ls.label AS cell_status_label, ls.label_en AS cell_status_label_en,
       (coalesce(f.applicant_type = 'total', false) OR f.cell_status = 'derived'
        OR f.category_code IN ('result.total', 'review.total', 'litigation_direct.total', 'litigation_after_review.total'))
       AS is_total
FROM facts f
JOIN agencies a USING (agency_id)
JOIN dim_document d USING (document_id)
LEFT JOIN dim_category c USING (category_code)
LEFT JOIN dim_applicant_type t USING (applicant_type)
LEFT JOIN dim_measure m USING (measure)
LEFT JOIN dim_code_label lq ON lq.code_set = 'quantity' AND lq.code = coalesce(f.quantity, m.quantity)
LEFT JOIN dim_code_label ls ON ls.code_set = 'cell_status' AND ls.code = f.cell_status;

-- Table 三 and 四 per agency-year and category, with the group rows (不予公开, 无法提供, 不予处理)
-- as the sum of their items and 其他处理 as printed or, when only its items are printed, their sum.
-- A group with an item that is not a number (blank, not placed) is NULL, never the sum of the
-- others: a 总计 column left blank in some rows does not add up to 0.
CREATE OR REPLACE VIEW v_category_values AS
WITH cells AS (
    -- a derived cell (result.other as the sum of its printed items) is a subtotal too
    SELECT agency_id, year, category_code, applicant_type, value, cell_status = 'derived' AS is_subtotal FROM fact_application
    UNION ALL
    SELECT agency_id, year, category_code, 'total', value, false FROM fact_review_litigation
),
groups AS (
    SELECT x.agency_id, x.year, c.parent_code AS category_code, x.applicant_type,
           CASE WHEN count(*) = count(x.value) THEN sum(x.value) END AS value, true AS is_subtotal
    FROM cells x JOIN dim_category c USING (category_code)
    JOIN dim_category g ON g.category_code = c.parent_code
    WHERE g.is_group OR (g.category_code = 'result.other' AND NOT EXISTS (
        SELECT 1 FROM fact_application o WHERE o.agency_id = x.agency_id AND o.year = x.year
          AND o.category_code = 'result.other' AND o.applicant_type = x.applicant_type))
    GROUP BY ALL
)
SELECT v.agency_id, v.year, v.category_code, c.parent_code, c.sort_order, c.label_short AS category_label,
       c.label_en AS category_label_en, v.applicant_type, TRY_CAST(v.value AS DECIMAL(18, 4)) AS value, v.is_subtotal
FROM (SELECT * FROM cells UNION ALL SELECT * FROM groups) v
JOIN dim_category c USING (category_code);

-- One row per agency-year: the headline figures of the report, its quality, and where the agency is.
CREATE OR REPLACE VIEW v_report_overview AS
WITH t AS (
    SELECT agency_id, year,
           sum(value) FILTER (WHERE category_code = 'application.new_received') AS received,
           sum(value) FILTER (WHERE category_code = 'application.carried_over') AS carried_over,
           sum(value) FILTER (WHERE category_code = 'result.granted') AS granted,
           sum(value) FILTER (WHERE category_code = 'result.partially_granted') AS partially_granted,
           sum(value) FILTER (WHERE category_code = 'result.denied') AS denied,
           sum(value) FILTER (WHERE category_code = 'result.unavailable') AS unavailable,
           sum(value) FILTER (WHERE category_code = 'result.not_processed') AS not_processed,
           sum(value) FILTER (WHERE category_code = 'result.other') AS other_handling,
           sum(value) FILTER (WHERE category_code = 'result.total') AS results_total,
           sum(value) FILTER (WHERE category_code = 'application.carried_forward') AS carried_forward,
           sum(value) FILTER (WHERE category_code = 'review.total') AS review_total,
           sum(value) FILTER (WHERE category_code = 'litigation_direct.total') AS litigation_direct_total,
           sum(value) FILTER (WHERE category_code = 'litigation_after_review.total') AS litigation_after_review_total
    FROM v_category_values
    WHERE applicant_type = 'total'
    GROUP BY ALL
),
money AS (
    SELECT agency_id, year,
           sum(value) FILTER (WHERE category_code = 'active.fees' AND measure = 'amount_10k_yuan') AS fees_10k_yuan,
           sum(value) FILTER (WHERE category_code = 'active.procurement' AND measure = 'amount_10k_yuan') AS procurement_10k_yuan
    FROM fact_active_disclosure
    GROUP BY ALL
),
findings AS (
    SELECT agency_id, year, count(*) AS identity_violations FROM fact_identity_violation GROUP BY ALL
),
-- the totals again, from the cells they total (v_applications_wide, v_review_litigation): the
-- six applicant columns of a row; the results counted once over the six columns; the four
-- outcomes of a table-四 group. NULL where one of those cells is not a number.
rows3 AS (
    SELECT agency_id, year,
           max(total_reconciled) FILTER (WHERE category_code = 'application.new_received') AS received_reconciled,
           max(total_reconciled) FILTER (WHERE category_code = 'application.carried_over') AS carried_over_reconciled,
           max(total_reconciled) FILTER (WHERE category_code = 'application.carried_forward') AS carried_forward_reconciled,
           CASE WHEN count(*) FILTER (WHERE row_role = 'result') = count(total_reconciled) FILTER (WHERE row_role = 'result')
                 AND count(*) FILTER (WHERE row_role = 'result') = 18 + CASE WHEN count(*) FILTER (
                     WHERE category_code LIKE 'result.other.%') > 0 THEN 3 ELSE 1 END
                THEN sum(total_reconciled) FILTER (WHERE row_role = 'result') END AS results_total_reconciled
    FROM v_applications_wide
    GROUP BY ALL
),
rows4 AS (
    SELECT agency_id, year,
           max(total_reconciled) FILTER (WHERE review_group = 'review') AS review_total_reconciled,
           max(total_reconciled) FILTER (WHERE review_group = 'litigation_direct') AS litigation_direct_total_reconciled,
           max(total_reconciled) FILTER (WHERE review_group = 'litigation_after_review') AS litigation_after_review_total_reconciled
    FROM v_review_litigation
    GROUP BY ALL
),
both_ AS (
    SELECT r.agency_id, r.year, rows3.*, rows4.*,
           list_filter([
               CASE WHEN rows3.received_reconciled IS NOT NULL AND t.received IS DISTINCT FROM rows3.received_reconciled THEN 'received' END,
               CASE WHEN rows3.carried_over_reconciled IS NOT NULL AND t.carried_over IS DISTINCT FROM rows3.carried_over_reconciled THEN 'carried_over' END,
               CASE WHEN rows3.results_total_reconciled IS NOT NULL AND t.results_total IS DISTINCT FROM rows3.results_total_reconciled THEN 'results_total' END,
               CASE WHEN rows3.carried_forward_reconciled IS NOT NULL AND t.carried_forward IS DISTINCT FROM rows3.carried_forward_reconciled THEN 'carried_forward' END,
               CASE WHEN rows4.review_total_reconciled IS NOT NULL AND t.review_total IS DISTINCT FROM rows4.review_total_reconciled THEN 'review_total' END,
               CASE WHEN rows4.litigation_direct_total_reconciled IS NOT NULL AND t.litigation_direct_total IS DISTINCT FROM rows4.litigation_direct_total_reconciled THEN 'litigation_direct_total' END,
               CASE WHEN rows4.litigation_after_review_total_reconciled IS NOT NULL AND t.litigation_after_review_total IS DISTINCT FROM rows4.litigation_after_review_total_reconciled THEN 'litigation_after_review_total' END
           ], x -> x IS NOT NULL) AS differing
    FROM fact_report r
    LEFT JOIN t ON t.agency_id = r.agency_id AND t.year = r.year
    LEFT JOIN rows3 ON rows3.agency_id = r.agency_id AND rows3.year = r.year
    LEFT JOIN rows4 ON rows4.agency_id = r.agency_id AND rows4.year = r.year
)
SELECT r.agency_id, a.agency_name AS agency, d.agency_name AS agency_as_printed, r.year, r.format_version,
       a.province_code, a.province, a.city_code, a.city, a.county_code, a.county, a.region_code, a.level, a.kind,
       a.parent_agency_name,
       TRY_CAST(t.received AS BIGINT) AS received, TRY_CAST(t.carried_over AS BIGINT) AS carried_over,
       TRY_CAST(t.granted AS BIGINT) AS granted, TRY_CAST(t.partially_granted AS BIGINT) AS partially_granted,
       TRY_CAST(t.denied AS BIGINT) AS denied, TRY_CAST(t.unavailable AS BIGINT) AS unavailable,
       TRY_CAST(t.not_processed AS BIGINT) AS not_processed, TRY_CAST(t.other_handling AS BIGINT) AS other_handling,
       TRY_CAST(t.results_total AS BIGINT) AS results_total, TRY_CAST(t.carried_forward AS BIGINT) AS carried_forward,
       TRY_CAST(t.review_total AS BIGINT) AS review_total, TRY_CAST(t.litigation_direct_total AS BIGINT) AS litigation_direct_total,
       TRY_CAST(t.litigation_after_review_total AS BIGINT) AS litigation_after_review_total,
       TRY_CAST(money.fees_10k_yuan AS DECIMAL(18, 4)) AS fees_10k_yuan,
       TRY_CAST(money.procurement_10k_yuan AS DECIMAL(18, 4)) AS procurement_10k_yuan,
       r.quality_status, CAST(coalesce(findings.identity_violations, 0) AS INTEGER) AS identity_violations,
       r.warnings, r.cells, r.cells_read, r.document_id, d.source_file,
       -- labels in both languages; the totals reconciled from their cells, and which differ from print
       code_label('level', a.level) AS level_label, code_label_en('level', a.level) AS level_label_en,
       code_label_en('kind', a.kind) AS kind_label_en,
       code_label('quality_status', r.quality_status) AS quality_status_label,
       code_label_en('quality_status', r.quality_status) AS quality_status_label_en,
       b.received_reconciled, b.carried_over_reconciled, b.results_total_reconciled, b.carried_forward_reconciled,
       b.review_total_reconciled, b.litigation_direct_total_reconciled, b.litigation_after_review_total_reconciled,
       len(b.differing) > 0 AS totals_differ, nullif(array_to_string(b.differing, ', '), '') AS totals_differing
FROM fact_report r
JOIN dim_agency a ON a.agency_id = r.agency_id
JOIN dim_document d ON d.document_id = r.document_id
LEFT JOIN t ON t.agency_id = r.agency_id AND t.year = r.year
LEFT JOIN money ON money.agency_id = r.agency_id AND money.year = r.year
LEFT JOIN findings ON findings.agency_id = r.agency_id AND findings.year = r.year
LEFT JOIN both_ b ON b.agency_id = r.agency_id AND b.year = r.year;

-- Each agency, category and applicant column against the same agency's report of the year before.
CREATE OR REPLACE VIEW v_year_over_year AS
SELECT cur.agency_id, a.agency_name AS agency, a.region_code, a.province, a.city, a.county, a.level, a.kind,
       cur.category_code, cur.category_label, cur.sort_order, cur.applicant_type, cur.is_subtotal,
       cur.year, cur.value, prev.year AS previous_year, prev.value AS previous_value,
       cur.value - prev.value AS change,
       TRY_CAST(round(100.0 * (cur.value - prev.value) / nullif(prev.value, 0), 1) AS DECIMAL(10, 1)) AS change_pct
FROM v_category_values cur
JOIN v_category_values prev
  ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1
 AND prev.category_code = cur.category_code AND prev.applicant_type = cur.applicant_type
JOIN dim_agency a ON a.agency_id = cur.agency_id;

-- Accounting identities that do not hold, in words, with the document and the place in it.
CREATE OR REPLACE VIEW v_identity_findings AS
SELECT v.agency_id, a.agency_name AS agency, a.region_code, a.province, a.city, a.county, v.year,
       v.identity, i.label AS identity_label, i.label_en AS identity_label_en, i.rule,
       v.scope,
       CASE split_part(v.scope, ' ', 1)
           WHEN 'column' THEN '列：' || coalesce(t.label, split_part(v.scope, ' ', 2))
           WHEN 'row' THEN '行：' || coalesce(c.label_short, split_part(v.scope, ' ', 2))
           WHEN 'group' THEN '组：' || coalesce(g.label_short, split_part(v.scope, ' ', 2))
           ELSE v.scope
       END AS scope_label,
       TRY_CAST(v.expected AS DECIMAL(18, 4)) AS expected, TRY_CAST(v.printed AS DECIMAL(18, 4)) AS printed,
       TRY_CAST(v.printed - v.expected AS DECIMAL(18, 4)) AS difference,
       array_to_string(list_sort(list_distinct(regexp_extract_all(v.cells, '(?:doc [0-9a-f]+, )?(?:line|page) [0-9]+'))), '; ') AS location,
       v.cells, v.document_id, d.source_file, r.quality_status,
       -- a person's verdict on it (xxgk review; v_findings)
       coalesce(fr.status, 'open') AS review_status, fr.reviewed_by, fr.reason AS review_reason
FROM fact_identity_violation v
JOIN dim_agency a USING (agency_id)
LEFT JOIN dim_identity i USING (identity)
LEFT JOIN dim_document d USING (document_id)
LEFT JOIN fact_report r ON r.agency_id = v.agency_id AND r.year = v.year
LEFT JOIN dim_applicant_type t ON t.applicant_type = split_part(v.scope, ' ', 2)
LEFT JOIN dim_category c ON c.category_code = split_part(v.scope, ' ', 2)
LEFT JOIN dim_category g ON g.category_code = split_part(v.scope, ' ', 2) || '.total'
LEFT JOIN finding_review fr ON fr.finding_kind = 'identity' AND fr.document_id = v.document_id
     AND fr.finding_key = v.identity || ' ' || v.scope;
