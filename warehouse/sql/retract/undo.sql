-- Take a retraction back (frame `target`: document_id, undone_by, reason): who, when, why are
-- recorded beside it, which stays. The document has no cells left (record.sql removed them):
-- its row stays 'retracted' until the next run that meets its file loads it again (stage.sql
-- loads a document whose retraction was taken back). Its rejection as retracted goes.
UPDATE retraction SET undone_at = now(), undone_by = t.undone_by, undo_reason = t.reason
FROM target t
WHERE retraction.document_id = t.document_id AND retraction.undone_at IS NULL;

DELETE FROM rejected_document
WHERE stage = 'retracted' AND document_id IN (SELECT document_id FROM target);
