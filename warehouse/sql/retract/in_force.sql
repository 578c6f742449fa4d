-- The retractions in force of document $1 (0 or 1).
SELECT count(*) FROM retraction WHERE document_id = $1 AND undone_at IS NULL;
