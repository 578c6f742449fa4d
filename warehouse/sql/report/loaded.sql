-- The reports of year $1 the warehouse holds, with how many versions it knows of each.
SELECT a.agency_name AS agency, r.year, r.document_id, r.quality_status, r.versions
FROM fact_report r JOIN dim_agency a USING (agency_id)
WHERE r.year = $1
ORDER BY a.agency_name;
