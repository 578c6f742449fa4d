-- Reports whose extraction left a cell an identity needs empty (the first 100).
SELECT r.document_id, a.agency_name AS agency, r.year, r.quality_status
FROM fact_report r JOIN dim_agency a USING (agency_id)
WHERE r.quality_status IN ('incomplete_extraction', 'violations_and_incomplete')
ORDER BY r.year, a.agency_name
LIMIT 100;
