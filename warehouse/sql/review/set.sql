-- A person's verdict on one finding (parameters: finding_id, status, reviewed_by, reason): the
-- finding named by its id in v_findings, its review replaced.
INSERT OR REPLACE INTO finding_review (finding_kind, document_id, finding_key, status, reviewed_by, reason, reviewed_at)
SELECT finding_kind, document_id, finding_key, $2, $3, $4, now() FROM v_findings WHERE finding_id = $1;
