-- Each metric by province and year, for the years up to the page's (parameter: year): over the
-- reports whose value is usable (v_metrics.usable); a count is their sum, a ratio their pooled
-- ratio (the sum of numerators over the sum of denominators, not a mean of ratios). NULL — a
-- blank cell on the page, never 0 — where no report of the province-year has a usable value.
SELECT m.metric, dm.label AS metric_label, dm.label_en AS metric_label_en, dm.unit, dm.sort_order,
       coalesce(m.province, '（未识别地区）') AS province, min(m.province_code) AS province_code, m.year,
       count(*) AS reports, count(*) FILTER (WHERE m.usable) AS usable,
       CASE WHEN count(*) FILTER (WHERE m.usable) = 0 THEN NULL
            WHEN dm.denominator_sql IS NULL THEN sum(m.value) FILTER (WHERE m.usable)
            ELSE sum(m.numerator) FILTER (WHERE m.usable) / nullif(sum(m.denominator) FILTER (WHERE m.usable), 0)
       END AS value
FROM v_metrics m
JOIN dim_metric dm USING (metric)
WHERE m.year <= ?
GROUP BY m.metric, dm.label, dm.label_en, dm.unit, dm.sort_order, dm.denominator_sql, coalesce(m.province, '（未识别地区）'), m.year
ORDER BY dm.sort_order, province_code NULLS LAST, province, m.year;
