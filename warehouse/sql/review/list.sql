-- The findings of the loaded reports for `xxgk review` (parameters: status, kind, year; NULL for any).
SELECT finding_id, finding_kind, agency, year, location, description, review_status, reviewed_by, review_reason
FROM v_findings
WHERE (CAST($1 AS VARCHAR) IS NULL OR review_status = $1) AND (CAST($2 AS VARCHAR) IS NULL OR finding_kind = $2)
  AND (CAST($3 AS INTEGER) IS NULL OR year = $3)
ORDER BY year, agency, finding_kind, location, finding_id;
