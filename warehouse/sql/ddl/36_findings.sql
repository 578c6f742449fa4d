-- Every finding about the loaded reports, in one list for people to review: identity violations,
-- statements of the prose that do not agree with the tables, extraction warnings. Each has a
-- finding_id made of what it is about (its kind, document and key), so that `xxgk review` can
-- name it and a review (finding_review) stays with it through every reload of the document.
CREATE OR REPLACE VIEW v_findings AS
WITH found AS (
    SELECT 'identity' AS finding_kind, v.document_id, v.identity || ' ' || v.scope AS finding_key,
           v.agency_id, v.year, v.location,
           coalesce(v.identity_label, v.identity) || ' ' || coalesce(v.scope_label, v.scope) || '：应为 '
               || coalesce(rtrim(rtrim(CAST(v.expected AS VARCHAR), '0'), '.'), '—') || '，印出 '
               || coalesce(rtrim(rtrim(CAST(v.printed AS VARCHAR), '0'), '.'), '—') AS description
    FROM v_identity_findings v
    UNION ALL
    SELECT 'narrative', n.document_id, n.quantity || ' ' || n.matched || ' @ ' || coalesce(n.location, '-'), n.agency_id, n.year, n.location,
           coalesce(n.quantity_label, n.quantity) || '：' || n.matched || '；表中 ' || n.cells || '（' || n.verdict_label || '）'
    FROM v_narrative_checks n
    WHERE n.verdict <> 'agree'
    UNION ALL
    SELECT 'warning', w.document_id, w.kind || ' ' || coalesce(w.category_code, '-') || ' ' || coalesce(w.location, '-'),
           w.agency_id, w.year, w.location, w.message
    FROM fact_extraction_warning w
    JOIN fact_report r ON r.document_id = w.document_id
)
SELECT substr(md5(f.finding_kind || '|' || f.document_id || '|' || f.finding_key), 1, 12) AS finding_id,
       f.finding_kind, f.finding_key, f.agency_id, a.agency_name AS agency, f.year, a.province, a.region_code,
       f.document_id, d.source_file, f.location, f.description,
       coalesce(r.status, 'open') AS review_status, code_label('review_status', coalesce(r.status, 'open')) AS review_status_label,
       code_label_en('review_status', coalesce(r.status, 'open')) AS review_status_label_en,
       r.reviewed_by, r.reason AS review_reason, r.reviewed_at
FROM found f
JOIN dim_agency a ON a.agency_id = f.agency_id
JOIN dim_document d ON d.document_id = f.document_id
LEFT JOIN finding_review r ON r.finding_kind = f.finding_kind AND r.document_id = f.document_id AND r.finding_key = f.finding_key;
