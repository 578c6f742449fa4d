-- Every known, not retracted document of the touched agency-years, with what the choice ranks on.
-- The choice groups by `agency`: here the canonical agency's id, so that two names of one agency
-- are versions of one report.
SELECT d.document_id, d.agency_id AS agency, d.year, d.cells_read, d.violations, d.warnings, d.size_bytes
FROM dim_document d
JOIN touched USING (agency_id, year)
WHERE d.status <> 'retracted'
ORDER BY d.document_id;
