-- Rejections accumulate like documents: a new verdict on the same file replaces the earlier
-- one, every other stays (table batch_rejected, made by stage.sql or stages.sql).
DELETE FROM rejected_document r USING batch_rejected n
WHERE r.document_id = n.document_id AND r.source_file = n.source_file AND r.stage = n.stage;

INSERT INTO rejected_document
SELECT document_id, source_file, stage, year, reason FROM batch_rejected ORDER BY source_file, stage;

DROP TABLE batch_rejected;
