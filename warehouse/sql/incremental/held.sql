-- Which documents of variable `documents` the warehouse holds.
SELECT document_id FROM dim_document WHERE list_contains(getvariable('documents'), document_id) ORDER BY 1;
