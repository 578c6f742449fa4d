-- What the loaded reports state in prose, beside the cells of their own tables: one row per
-- statement of the chosen document of each agency-year (document_statement holds every
-- version's). A disagreement is a finding about the report: neither number is corrected.
CREATE OR REPLACE VIEW v_narrative_checks AS
SELECT r.agency_id, a.agency_name AS agency, d.agency_name AS agency_as_printed, r.year,
       a.province, a.city, a.county, a.region_code,
       a.level, code_label('level', a.level) AS level_label, code_label_en('level', a.level) AS level_label_en,
       a.kind, code_label_en('kind', a.kind) AS kind_label_en,
       s.statement_no, s.quantity, code_label('narrative_quantity', s.quantity) AS quantity_label,
       code_label_en('narrative_quantity', s.quantity) AS quantity_label_en,
       s.sentence, s.matched, s.location, TRY_CAST(s.stated AS DECIMAL(18, 4)) AS stated, s.cells,
       TRY_CAST(s.table_value AS DECIMAL(18, 4)) AS table_value,
       s.verdict, code_label('verdict', s.verdict) AS verdict_label, code_label_en('verdict', s.verdict) AS verdict_label_en,
       s.reason, s.document_id, d.source_file,
       -- a person's verdict on a disagreement (xxgk review; v_findings)
       CASE WHEN s.verdict <> 'agree' THEN coalesce(fr.status, 'open') END AS review_status,
       fr.reviewed_by, fr.reason AS review_reason
FROM fact_report r
JOIN document_statement s ON s.document_id = r.document_id
LEFT JOIN finding_review fr ON fr.finding_kind = 'narrative' AND fr.document_id = s.document_id
     AND fr.finding_key = s.quantity || ' ' || s.matched || ' @ ' || coalesce(s.location, '-')
JOIN dim_agency a ON a.agency_id = r.agency_id
JOIN dim_document d ON d.document_id = r.document_id;
