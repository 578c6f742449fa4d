-- Remove a document (frame `target`: document_id, retracted_by, reason), and say who, when, why.
-- Its dim_document row stays (status 'retracted'), and its bytes in the archive; its cells,
-- findings and statements go. The agency-year is chosen again among the documents left (choice.sql).
INSERT INTO retraction (document_id, source_file, agency_id, year, retracted_at, retracted_by, reason)
SELECT d.document_id, d.source_file, d.agency_id, d.year, now(), t.retracted_by, t.reason
FROM dim_document d JOIN target t USING (document_id);

CREATE OR REPLACE TEMP TABLE touched AS
SELECT DISTINCT agency_id, year FROM dim_document WHERE document_id IN (SELECT document_id FROM target);

UPDATE dim_document SET status = 'retracted' WHERE document_id IN (SELECT document_id FROM target);
DELETE FROM document_cell WHERE document_id IN (SELECT document_id FROM target);
DELETE FROM document_violation WHERE document_id IN (SELECT document_id FROM target);
DELETE FROM document_statement WHERE document_id IN (SELECT document_id FROM target);
DELETE FROM fact_extraction_warning WHERE document_id IN (SELECT document_id FROM target);
