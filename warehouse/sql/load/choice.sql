-- The touched agency-years rebuilt from the choice (frame `choice`: document_id, status) and
-- the versions' differences (frame `differences`): the facts hold the chosen document's cells.
UPDATE dim_document SET status = choice.status FROM choice WHERE dim_document.document_id = choice.document_id;

DELETE FROM fact_report f USING touched t WHERE f.agency_id = t.agency_id AND f.year = t.year;
DELETE FROM fact_active_disclosure f USING touched t WHERE f.agency_id = t.agency_id AND f.year = t.year;
DELETE FROM fact_application f USING touched t WHERE f.agency_id = t.agency_id AND f.year = t.year;
DELETE FROM fact_review_litigation f USING touched t WHERE f.agency_id = t.agency_id AND f.year = t.year;
DELETE FROM fact_version_difference f USING touched t WHERE f.agency_id = t.agency_id AND f.year = t.year;
DELETE FROM fact_identity_violation f USING touched t
WHERE f.agency_id = t.agency_id AND f.year = t.year AND f.identity <> 'XY_CARRY';

CREATE OR REPLACE TEMP TABLE chosen AS
SELECT d.document_id, d.agency_id, d.year FROM dim_document d JOIN touched USING (agency_id, year)
WHERE d.status = 'loaded';

INSERT INTO fact_report
SELECT d.agency_id, d.year, d.document_id, d.format_version, d.cells, d.cells_read, d.warnings, v.versions,
       d.quality_status
FROM dim_document d
JOIN chosen USING (document_id)
JOIN (SELECT agency_id, year, count(*) AS versions FROM dim_document JOIN touched USING (agency_id, year)
      WHERE status <> 'retracted' GROUP BY ALL) v ON v.agency_id = d.agency_id AND v.year = d.year
ORDER BY d.agency_id, d.year;

CREATE OR REPLACE TEMP VIEW chosen_cell AS
SELECT chosen.agency_id, chosen.year, c.* FROM document_cell c JOIN chosen USING (document_id);

INSERT INTO fact_active_disclosure
SELECT agency_id, year, category_code, measure, value, printed, cell_status, document_id, location, provenance, confidence
FROM chosen_cell WHERE table_name = 'art20' ORDER BY agency_id, year, category_code, measure;

INSERT INTO fact_application
SELECT agency_id, year, category_code, applicant_type, value, printed, cell_status, document_id, location, provenance,
       confidence
FROM chosen_cell WHERE table_name = 'applications' ORDER BY agency_id, year, category_code, applicant_type;

INSERT INTO fact_review_litigation
SELECT agency_id, year, category_code, value, printed, cell_status, document_id, location, provenance, confidence
FROM chosen_cell WHERE table_name = 'review_litigation' ORDER BY agency_id, year, category_code;

INSERT INTO fact_identity_violation
SELECT chosen.agency_id, chosen.year, v.identity, v.scope, v.expected, v.printed, v.cells, v.document_id
FROM document_violation v JOIN chosen USING (document_id)
ORDER BY chosen.agency_id, chosen.year, v.identity, v.scope;

INSERT INTO fact_version_difference  -- `agency` is the agency's id (candidates.sql)
SELECT agency, year, document_id, loaded_document_id, category_code, applicant_type, measure, value,
       printed, loaded_value, loaded_printed
FROM differences ORDER BY ALL;

DROP VIEW chosen_cell;
