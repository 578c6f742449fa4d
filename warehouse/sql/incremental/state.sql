-- What the warehouse says of the documents of variable `documents` (pipelines/incremental.py):
-- how many it holds (loaded, superseded or retracted), and their retractions.
SELECT count(*) FROM dim_document WHERE list_contains(getvariable('documents'), document_id);

SELECT document_id, CAST(retracted_at AS VARCHAR), CAST(undone_at AS VARCHAR)
FROM retraction WHERE list_contains(getvariable('documents'), document_id) ORDER BY ALL;
