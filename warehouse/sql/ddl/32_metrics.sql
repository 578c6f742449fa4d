-- The metrics layer: dim_metric says what each metric is (xxgk/spec/metrics.csv), v_metric_inputs
-- holds the cells the metrics read, one row per agency-year, and v_metrics computes them. The
-- formulas below are those of dim_metric.formula_sql over v_metric_inputs, written out
-- (tests/warehouse/test_metrics.py evaluates dim_metric's text against this view).
--
-- Never a silent number: an input that is not a number (blank, a null mark, not placed, not read,
-- implausible, or a row the report does not have) makes the metric NULL, and metric_status says
-- which; a denominator of 0 gives NULL and zero_denominator; a number from a report that breaks
-- its own identities is shown, with metric_status identity_violations, and is not ranked.

-- One row per agency-year: each input cell's number (NULL unless it is one) and its status:
-- ok | blank | not_placed | missing.
CREATE OR REPLACE VIEW v_metric_inputs AS
WITH wanted(input, category_code, applicant_type, measure) AS (
    VALUES ('new_received', 'application.new_received', 'total', 'count'),
           ('carried_over', 'application.carried_over', 'total', 'count'),
           ('granted', 'result.granted', 'total', 'count'),
           ('partially_granted', 'result.partially_granted', 'total', 'count'),
           ('results_total', 'result.total', 'total', 'count'),
           ('review_corrected', 'review.corrected', NULL, 'count'),
           ('review_pending', 'review.pending', NULL, 'count'),
           ('review_total', 'review.total', NULL, 'count'),
           ('litigation_direct_corrected', 'litigation_direct.corrected', NULL, 'count'),
           ('litigation_direct_pending', 'litigation_direct.pending', NULL, 'count'),
           ('litigation_direct_total', 'litigation_direct.total', NULL, 'count'),
           ('litigation_after_review_corrected', 'litigation_after_review.corrected', NULL, 'count'),
           ('litigation_after_review_pending', 'litigation_after_review.pending', NULL, 'count'),
           ('litigation_after_review_total', 'litigation_after_review.total', NULL, 'count'),
           ('licensing_decisions', 'active.licensing', NULL, 'decisions'),
           ('penalty_decisions', 'active.penalty', NULL, 'decisions')
),
cells AS (
    SELECT agency_id, year, category_code, applicant_type, 'count' AS measure, value, cell_status FROM fact_application
    UNION ALL
    SELECT agency_id, year, category_code, NULL, 'count', value, cell_status FROM fact_review_litigation
    UNION ALL
    SELECT agency_id, year, category_code, NULL, measure, value, cell_status FROM fact_active_disclosure
),
inputs AS (
    SELECT r.agency_id, r.year, w.input,
           CASE WHEN c.cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') THEN c.value END AS number,
           CASE WHEN c.cell_status IS NULL THEN 'missing'
                WHEN c.cell_status IN ('read', 'converted', 'segmented', 'inferred', 'derived') AND c.value IS NOT NULL THEN 'ok'
                WHEN c.cell_status IN ('blank', 'null_mark') THEN 'blank'
                ELSE 'not_placed' END AS status
    FROM fact_report r
    CROSS JOIN wanted w
    LEFT JOIN cells c ON c.agency_id = r.agency_id AND c.year = r.year AND c.category_code = w.category_code
     AND c.measure = w.measure AND c.applicant_type IS NOT DISTINCT FROM w.applicant_type
)
SELECT agency_id, year,
       max(number) FILTER (WHERE input = 'new_received') AS new_received,
       max(status) FILTER (WHERE input = 'new_received') AS new_received_status,
       max(number) FILTER (WHERE input = 'carried_over') AS carried_over,
       max(status) FILTER (WHERE input = 'carried_over') AS carried_over_status,
       max(number) FILTER (WHERE input = 'granted') AS granted,
       max(status) FILTER (WHERE input = 'granted') AS granted_status,
       max(number) FILTER (WHERE input = 'partially_granted') AS partially_granted,
       max(status) FILTER (WHERE input = 'partially_granted') AS partially_granted_status,
       max(number) FILTER (WHERE input = 'results_total') AS results_total,
       max(status) FILTER (WHERE input = 'results_total') AS results_total_status,
       max(number) FILTER (WHERE input = 'review_corrected') AS review_corrected,
       max(status) FILTER (WHERE input = 'review_corrected') AS review_corrected_status,
       max(number) FILTER (WHERE input = 'review_pending') AS review_pending,
       max(status) FILTER (WHERE input = 'review_pending') AS review_pending_status,
       max(number) FILTER (WHERE input = 'review_total') AS review_total,
       max(status) FILTER (WHERE input = 'review_total') AS review_total_status,
       max(number) FILTER (WHERE input = 'litigation_direct_corrected') AS litigation_direct_corrected,
       max(status) FILTER (WHERE input = 'litigation_direct_corrected') AS litigation_direct_corrected_status,
       max(number) FILTER (WHERE input = 'litigation_direct_pending') AS litigation_direct_pending,
       max(status) FILTER (WHERE input = 'litigation_direct_pending') AS litigation_direct_pending_status,
       max(number) FILTER (WHERE input = 'litigation_direct_total') AS litigation_direct_total,
       max(status) FILTER (WHERE input = 'litigation_direct_total') AS litigation_direct_total_status,
       max(number) FILTER (WHERE input = 'litigation_after_review_corrected') AS litigation_after_review_corrected,
       max(status) FILTER (WHERE input = 'litigation_after_review_corrected') AS litigation_after_review_corrected_status,
       max(number) FILTER (WHERE input = 'litigation_after_review_pending') AS litigation_after_review_pending,
       max(status) FILTER (WHERE input = 'litigation_after_review_pending') AS litigation_after_review_pending_status,
       max(number) FILTER (WHERE input = 'litigation_after_review_total') AS litigation_after_review_total,
       max(status) FILTER (WHERE input = 'litigation_after_review_total') AS litigation_after_review_total_status,
       max(number) FILTER (WHERE input = 'licensing_decisions') AS licensing_decisions,
       max(status) FILTER (WHERE input = 'licensing_decisions') AS licensing_decisions_status,
       max(number) FILTER (WHERE input = 'penalty_decisions') AS penalty_decisions,
       max(status) FILTER (WHERE input = 'penalty_decisions') AS penalty_decisions_status
FROM inputs
GROUP BY ALL;

-- Agency-year × metric: numerator, denominator, value, status, ranks, change on the year before.
CREATE OR REPLACE VIEW v_metrics AS
WITH i AS (SELECT * FROM v_metric_inputs),
m AS (
    SELECT agency_id, year, 'received' AS metric, new_received AS numerator, CAST(NULL AS DOUBLE) AS denominator,
           [new_received_status] AS statuses
    FROM i
    UNION ALL
    SELECT agency_id, year, 'accepted_total', new_received + carried_over, NULL,
           [new_received_status, carried_over_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'disclosure_rate', granted + partially_granted, results_total,
           [granted_status, partially_granted_status, results_total_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'review_correction_rate', review_corrected, review_total - review_pending,
           [review_corrected_status, review_total_status, review_pending_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'litigation_correction_rate', litigation_direct_corrected + litigation_after_review_corrected,
           (litigation_direct_total - litigation_direct_pending) + (litigation_after_review_total - litigation_after_review_pending),
           [litigation_direct_corrected_status, litigation_after_review_corrected_status, litigation_direct_total_status,
            litigation_direct_pending_status, litigation_after_review_total_status, litigation_after_review_pending_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'dispute_rate', review_total + litigation_direct_total + litigation_after_review_total, new_received,
           [review_total_status, litigation_direct_total_status, litigation_after_review_total_status, new_received_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'corrected_dispute_rate',
           review_corrected + litigation_direct_corrected + litigation_after_review_corrected, new_received,
           [review_corrected_status, litigation_direct_corrected_status, litigation_after_review_corrected_status,
            new_received_status]
    FROM i
    UNION ALL
    SELECT agency_id, year, 'licensing_penalty_ratio', licensing_decisions, penalty_decisions,
           [licensing_decisions_status, penalty_decisions_status]
    FROM i
),
findings AS (
    SELECT agency_id, year, count(*) AS identity_violations FROM fact_identity_violation GROUP BY ALL
),
valued AS (
    SELECT m.*, dm.denominator_sql IS NOT NULL AS is_ratio,
           CAST(coalesce(f.identity_violations, 0) AS INTEGER) AS identity_violations,
           CASE WHEN list_contains(m.statuses, 'missing') THEN 'missing'
                WHEN list_contains(m.statuses, 'not_placed') THEN 'not_placed'
                WHEN list_contains(m.statuses, 'blank') THEN 'blank'
                WHEN dm.denominator_sql IS NOT NULL AND m.denominator = 0 THEN 'zero_denominator'
                WHEN coalesce(f.identity_violations, 0) > 0 THEN 'identity_violations'
                ELSE 'ok' END AS metric_status
    FROM m
    JOIN dim_metric dm ON dm.metric = m.metric
    LEFT JOIN findings f ON f.agency_id = m.agency_id AND f.year = m.year
),
computed AS (
    SELECT v.*, a.agency_name AS agency, a.province_code, a.province, a.city, a.county, a.region_code, a.level, a.kind,
           CASE WHEN v.metric_status IN ('ok', 'identity_violations')
                THEN CASE WHEN v.is_ratio THEN v.numerator / v.denominator ELSE v.numerator END END AS value
    FROM valued v
    JOIN dim_agency a ON a.agency_id = v.agency_id
),
ranked AS (
    SELECT c.*,
           CASE WHEN c.metric_status = 'ok' AND c.province_code IS NOT NULL THEN
               rank() OVER (PARTITION BY c.year, c.metric, c.province_code, c.metric_status = 'ok' AND c.province_code IS NOT NULL
                            ORDER BY c.value DESC) END AS rank_in_province,
           CASE WHEN c.metric_status = 'ok' AND c.province_code IS NOT NULL THEN
               count(*) OVER (PARTITION BY c.year, c.metric, c.province_code, c.metric_status = 'ok' AND c.province_code IS NOT NULL)
           END AS ranked_in_province,
           CASE WHEN c.metric_status = 'ok' AND c.level IS NOT NULL THEN
               rank() OVER (PARTITION BY c.year, c.metric, c.level, c.metric_status = 'ok' AND c.level IS NOT NULL
                            ORDER BY c.value DESC) END AS rank_in_level,
           CASE WHEN c.metric_status = 'ok' AND c.level IS NOT NULL THEN
               count(*) OVER (PARTITION BY c.year, c.metric, c.level, c.metric_status = 'ok' AND c.level IS NOT NULL)
           END AS ranked_in_level
    FROM computed c
)
SELECT r.agency_id, r.agency, r.year, r.province_code, r.province, r.city, r.county, r.region_code,
       r.level, code_label('level', r.level) AS level_label, code_label_en('level', r.level) AS level_label_en,
       r.kind, code_label_en('kind', r.kind) AS kind_label_en,
       r.metric, dm.sort_order, dm.label AS metric_label, dm.label_en AS metric_label_en, dm.unit,
       r.numerator, r.denominator, r.value,
       r.metric_status, code_label('metric_status', r.metric_status) AS metric_status_label,
       code_label_en('metric_status', r.metric_status) AS metric_status_label_en,
       r.metric_status = 'ok' AS usable, r.identity_violations,
       CAST(r.rank_in_province AS INTEGER) AS rank_in_province, CAST(r.ranked_in_province AS INTEGER) AS ranked_in_province,
       CAST(r.rank_in_level AS INTEGER) AS rank_in_level, CAST(r.ranked_in_level AS INTEGER) AS ranked_in_level,
       p.year AS previous_year, p.value AS previous_value, p.metric_status AS previous_metric_status,
       r.value - p.value AS change
FROM ranked r
JOIN dim_metric dm ON dm.metric = r.metric
LEFT JOIN computed p ON p.agency_id = r.agency_id AND p.metric = r.metric AND p.year = r.year - 1;
