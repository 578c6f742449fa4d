-- One finding of v_findings by its id (parameter: finding_id), with its review.
SELECT finding_id, finding_kind, agency, year, location, description, review_status, reviewed_by, review_reason
FROM v_findings WHERE finding_id = $1;
