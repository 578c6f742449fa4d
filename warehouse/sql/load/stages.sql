-- The rejections of the early stages (files that never got a year): frame `rejected`.
CREATE OR REPLACE TEMP TABLE batch_rejected AS
SELECT document_id, source_file, stage, year, reason FROM rejected;
