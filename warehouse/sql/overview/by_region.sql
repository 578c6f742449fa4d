-- Totals of the year by region (province, city) and level; an unresolved agency is its own row.
SELECT coalesce(province, '（未识别地区）') AS province, coalesce(city, '') AS city, coalesce(level, '') AS level,
       count(*) AS reports, sum(received) AS received, sum(results_total) AS results_total,
       sum(review_total) AS review_total, sum(litigation_direct_total + litigation_after_review_total) AS litigation_total
FROM v_report_overview WHERE year = ?
GROUP BY ALL ORDER BY received DESC NULLS LAST, province, city, level;
