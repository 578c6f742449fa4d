-- The document chosen for agency $1 (its id) in year $2, if any.
SELECT r.document_id, d.source_file
FROM fact_report r JOIN dim_document d USING (document_id)
WHERE r.agency_id = $1 AND r.year = $2;
