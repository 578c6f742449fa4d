-- The cells of the documents in frame `involved` (versions of reports that have several).
SELECT document_id, category_code, applicant_type, measure, value, printed
FROM document_cell WHERE document_id IN (SELECT document_id FROM involved);
