-- The run a summary is of: frames `run_documents` (document_id) and `run_rejected` (document_id,
-- source_file: the files it rejected while reading).
INSERT INTO summary_run_document SELECT document_id FROM run_documents;
INSERT INTO summary_run_rejected SELECT document_id, source_file FROM run_rejected;
