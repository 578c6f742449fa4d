-- The documents a `xxgk retract` argument names: $1 a document id, $2 a list of spellings of a
-- file path as loaded (the document's own path or one of its duplicates).
SELECT d.document_id, d.source_file, d.status, d.agency_id, a.agency_name, d.year, r.retracted_by, r.retracted_at, r.reason
FROM dim_document d
LEFT JOIN dim_agency a USING (agency_id)
LEFT JOIN retraction r ON r.document_id = d.document_id AND r.undone_at IS NULL  -- the retraction in force
WHERE d.document_id = $1 OR list_contains($2, d.source_file)
   OR list_has_any(coalesce(string_split(d.duplicate_files, '; '), []), $2)
ORDER BY d.document_id;
