-- What a summary covers (warehouse/summary.py): the years of variable summary_years (NULL: every
-- year) and, when variable summary_run is true, only the rows of that run: its documents
-- (summary_run_document, filled by run.sql), the reports of the agency-years they belong to
-- (whichever version is chosen) and the files it rejected (summary_run_rejected).
CREATE OR REPLACE TEMP TABLE summary_run_document (document_id VARCHAR);
CREATE OR REPLACE TEMP TABLE summary_run_rejected (document_id VARCHAR, source_file VARCHAR);

CREATE OR REPLACE TEMP VIEW summary_document AS
SELECT * FROM dim_document
WHERE (getvariable('summary_years') IS NULL OR list_contains(getvariable('summary_years'), year))
  AND (NOT getvariable('summary_run') OR document_id IN (SELECT document_id FROM summary_run_document));

CREATE OR REPLACE TEMP VIEW summary_chosen AS
SELECT document_id FROM fact_report
WHERE (getvariable('summary_years') IS NULL OR list_contains(getvariable('summary_years'), year))
  AND (NOT getvariable('summary_run')
       OR (agency_id, year) IN (SELECT agency_id, year FROM dim_document
                                WHERE document_id IN (SELECT document_id FROM summary_run_document)));
