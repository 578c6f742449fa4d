-- The violations of one identity, for people and machines (the check's metadata): the first 100.
SELECT v.document_id, a.agency_name AS agency, v.year, v.scope, v.expected, v.printed
FROM fact_identity_violation v JOIN dim_agency a USING (agency_id)
WHERE v.identity = ?
ORDER BY v.year, a.agency_name, v.scope
LIMIT 100;
