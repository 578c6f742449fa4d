-- Documents of an agency whose region is not known get a warning row, like any other doubt
-- (frame `documents` of the load: every version, as their other warnings; the chosen one's are
-- shown with its report); returns the number of rows written.
INSERT INTO fact_extraction_warning
SELECT d.document_id, a.agency_id, d.year, NULL, NULL, 'agency_not_resolved',
       'agency region not resolved: ' || a.resolution_problem, d.agency, NULL
FROM documents d
JOIN dim_agency_alias l ON l.alias_name = d.agency
JOIN dim_agency a ON a.agency_id = l.agency_id
WHERE a.resolution_problem IS NOT NULL AND d.document_id NOT IN (SELECT document_id FROM retraction)
ORDER BY d.document_id;
