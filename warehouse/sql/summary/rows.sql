-- The summary's parts, in the order of warehouse.summary.Summary's fields, within scope.sql's scope.

-- documents
SELECT count(*) FROM summary_document WHERE status <> 'retracted';

-- reports
SELECT a.agency_name, r.year, r.format_version, r.cells, r.warnings, r.quality_status, d.source_file
FROM fact_report r JOIN dim_agency a USING (agency_id) JOIN dim_document d USING (document_id)
WHERE r.document_id IN (SELECT document_id FROM summary_chosen) ORDER BY r.year, a.agency_name;

-- cells
SELECT count(*) FROM v_disclosure_facts WHERE document_id IN (SELECT document_id FROM summary_chosen);

-- warnings
SELECT count(*) FROM fact_extraction_warning WHERE document_id IN (SELECT document_id FROM summary_chosen);

-- violations
SELECT a.agency_name, v.year, v.identity, v.scope, v.expected, v.printed
FROM fact_identity_violation v JOIN dim_agency a USING (agency_id)
WHERE (v.agency_id, v.year) IN (SELECT agency_id, year FROM fact_report
                                WHERE document_id IN (SELECT document_id FROM summary_chosen))
ORDER BY v.year, a.agency_name, v.identity, v.scope;

-- implausible
SELECT a.agency_name, w.year, w.category_code, w.printed, w.location
FROM fact_extraction_warning w JOIN dim_agency a USING (agency_id)
WHERE w.kind = 'implausible_value' AND w.document_id IN (SELECT document_id FROM summary_chosen)
ORDER BY w.year, a.agency_name, w.location;

-- rejected: of a run, those it rejected while reading, or, of its documents, those rejected while
-- loading one of the years (extracting, or met again after `xxgk retract`)
SELECT source_file, stage, reason FROM rejected_document
WHERE NOT getvariable('summary_run')
   OR (document_id, source_file) IN (SELECT document_id, source_file FROM summary_run_rejected)
   OR (stage NOT IN ('ingestion', 'normalisation')
       AND document_id IN (SELECT document_id FROM summary_run_document)
       AND (year IS NULL OR getvariable('summary_years') IS NULL OR list_contains(getvariable('summary_years'), year)))
ORDER BY source_file;

-- superseded
SELECT coalesce(a.agency_name, d.agency_id), d.year, d.source_file FROM summary_document d
LEFT JOIN dim_agency a USING (agency_id) WHERE d.status = 'superseded'
ORDER BY d.year, 1, d.source_file;

-- duplicates
SELECT source_file, duplicate_files FROM summary_document WHERE duplicate_files IS NOT NULL ORDER BY source_file;
