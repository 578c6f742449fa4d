-- The public contract for BI tools: keep these names and columns stable.
CREATE OR REPLACE VIEW v_disclosure_facts AS
SELECT a.agency_name AS agency, f.year, d.format_version, f.category_code,
       CAST(NULL AS VARCHAR) AS applicant_type, f.measure, f.value, f.printed, f.document_id, d.source_file
FROM fact_active_disclosure f
JOIN dim_agency a USING (agency_id)
JOIN dim_document d USING (document_id)
UNION ALL
SELECT a.agency_name, f.year, d.format_version, f.category_code,
       f.applicant_type, 'count', f.value, f.printed, f.document_id, d.source_file
FROM fact_application f
JOIN dim_agency a USING (agency_id)
JOIN dim_document d USING (document_id)
UNION ALL
SELECT a.agency_name, f.year, d.format_version, f.category_code,
       CAST(NULL AS VARCHAR), 'count', f.value, f.printed, f.document_id, d.source_file
FROM fact_review_litigation f
JOIN dim_agency a USING (agency_id)
JOIN dim_document d USING (document_id);
