-- Warehouses made before documents accumulated (dim_document.cells is null there) kept the
-- cells and findings of the chosen documents only, in the fact tables: these become those
-- documents' own. Superseded versions' cells were not kept: they rank with 0 cells read, so a
-- version whose cells are known is always preferred to them. A no-op once done.
INSERT INTO document_cell
SELECT f.document_id, 'art20', f.category_code, NULL, f.measure, f.value, f.printed, f.cell_status, f.location,
       f.provenance, f.confidence
FROM fact_active_disclosure f JOIN dim_document d USING (document_id) WHERE d.cells IS NULL
UNION ALL
SELECT f.document_id, 'applications', f.category_code, f.applicant_type, 'count', f.value, f.printed, f.cell_status,
       f.location, f.provenance, f.confidence
FROM fact_application f JOIN dim_document d USING (document_id) WHERE d.cells IS NULL
UNION ALL
SELECT f.document_id, 'review_litigation', f.category_code, NULL, 'count', f.value, f.printed, f.cell_status,
       f.location, f.provenance, f.confidence
FROM fact_review_litigation f JOIN dim_document d USING (document_id) WHERE d.cells IS NULL;

INSERT INTO document_violation
SELECT v.document_id, v.identity, v.scope, v.expected, v.printed, v.cells
FROM fact_identity_violation v JOIN dim_document d USING (document_id)
WHERE d.cells IS NULL AND v.identity <> 'XY_CARRY';

UPDATE dim_document SET cells = r.cells, cells_read = r.cells_read, warnings = r.warnings,
       quality_status = r.quality_status,
       violations = (SELECT count(*) FROM document_violation v WHERE v.document_id = r.document_id)
FROM fact_report r
WHERE r.document_id = dim_document.document_id AND dim_document.cells IS NULL;

UPDATE dim_document SET cells = 0, cells_read = 0, warnings = 0, violations = 0 WHERE cells IS NULL;
