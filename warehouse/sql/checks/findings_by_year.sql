-- For each identity check and each year the warehouse holds: what was checked and what was found.
-- checked: reports of the year (XY_CARRY: agencies with a report of the year before too);
-- findings: violations (extraction_complete: reports whose extraction left a needed cell empty).
WITH years AS (SELECT year, count(*) AS reports FROM fact_report GROUP BY year),
carry AS (
    SELECT r.year, count(*) AS pairs FROM fact_report r
    JOIN fact_report p ON p.agency_id = r.agency_id AND p.year = r.year - 1 GROUP BY r.year
),
violations AS (
    SELECT identity, year, count(*) AS findings, count(DISTINCT document_id) AS reports_with
    FROM fact_identity_violation GROUP BY identity, year
),
incomplete AS (
    SELECT year, count(*) AS findings FROM fact_report
    WHERE quality_status IN ('incomplete_extraction', 'violations_and_incomplete') GROUP BY year
),
checks AS (SELECT unnest(?::VARCHAR[]) AS identity)
SELECT c.identity, y.year,
       CASE WHEN c.identity = 'XY_CARRY' THEN coalesce(carry.pairs, 0) ELSE y.reports END AS checked,
       CASE WHEN c.identity = 'extraction_complete' THEN coalesce(i.findings, 0) ELSE coalesce(v.findings, 0) END AS findings
FROM checks c CROSS JOIN years y
LEFT JOIN carry ON carry.year = y.year
LEFT JOIN violations v ON v.identity = c.identity AND v.year = y.year
LEFT JOIN incomplete i ON i.year = y.year
ORDER BY c.identity, y.year;
