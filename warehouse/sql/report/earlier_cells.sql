-- The cells of every document of year $1 the warehouse holds (not retracted) but those of frame
-- `known_documents`: what earlier loads brought, in the columns of xxgk.extract.year.CELLS_SCHEMA.
SELECT c.*, coalesce(d.agency_name, d.agency_id) AS agency, d.year, d.format_version
FROM document_cell c JOIN dim_document d USING (document_id)
WHERE d.year = $1 AND d.status <> 'retracted'
  AND d.document_id NOT IN (SELECT document_id FROM known_documents);
