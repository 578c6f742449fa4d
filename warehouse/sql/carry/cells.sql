-- The carry-over rows of years $1..$2, for the XY_CARRY identity: what the warehouse holds
-- (the chosen documents' facts), as the transaction sees it.
SELECT f.document_id, a.agency_name AS agency, f.year, d.format_version, 'applications' AS table_name,
       f.category_code, f.applicant_type, 'count' AS measure, f.value, f.printed, f.cell_status, f.location
FROM fact_application f
JOIN dim_agency a USING (agency_id)
JOIN dim_document d USING (document_id)
WHERE f.year BETWEEN $1 AND $2
  AND f.category_code IN ('application.carried_over', 'application.carried_forward');
