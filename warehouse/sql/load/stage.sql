-- A year's documents into the warehouse, beside those it holds: frames `documents`, `cells`
-- (a frame or a view of the Parquet parts), `warnings`, `violations`, `rejected`, `statements`.
-- The same bytes loaded again replace their earlier reading; nothing else is deleted.

-- A retracted document is not loaded again, whatever inbox holds it (it is listed as rejected),
-- unless its retraction was taken back (`xxgk retract --undo`).
CREATE OR REPLACE TEMP TABLE batch_document AS
SELECT * FROM documents WHERE document_id NOT IN (SELECT document_id FROM retraction WHERE undone_at IS NULL);

-- The agency-years whose choice may change: where the batch's documents are now, and where an
-- earlier reading of the same bytes put them.
CREATE OR REPLACE TEMP TABLE touched AS
SELECT agency_key(agency) AS agency_id, year FROM batch_document
UNION
SELECT agency_id, year FROM dim_document WHERE document_id IN (SELECT document_id FROM batch_document);

CREATE OR REPLACE TEMP TABLE previous AS
SELECT document_id, archive_key, first_loaded FROM dim_document
WHERE document_id IN (SELECT document_id FROM batch_document);

DELETE FROM dim_document WHERE document_id IN (SELECT document_id FROM batch_document);
DELETE FROM document_cell WHERE document_id IN (SELECT document_id FROM batch_document);
DELETE FROM document_violation WHERE document_id IN (SELECT document_id FROM batch_document);
DELETE FROM document_statement WHERE document_id IN (SELECT document_id FROM batch_document);
DELETE FROM fact_extraction_warning WHERE document_id IN (SELECT document_id FROM batch_document);
-- a document rejected earlier that now loads (a fixed reader) is no longer rejected
DELETE FROM rejected_document WHERE document_id IN (SELECT document_id FROM batch_document);

INSERT INTO dim_year
SELECT DISTINCT year, CASE WHEN year <= 2020 THEN '2019' ELSE '2021' END FROM batch_document
WHERE year NOT IN (SELECT year FROM dim_year);

-- every document enters as 'superseded'; the choice among all known versions follows (choice.sql)
INSERT INTO dim_document (document_id, source_file, duplicate_files, format, size_bytes, pages, agency_id, year,
                          format_version, status, reader, reader_check, archive_key, cells, cells_read, warnings,
                          violations, quality_status, first_loaded, agency_name)
SELECT b.document_id, b.source_file, b.duplicate_files, b.format, b.size_bytes, b.pages, agency_key(b.agency), b.year,
       b.format_version, 'superseded', b.reader, b.reader_check, coalesce(b.archive_key, p.archive_key), b.cells,
       b.cells_read, b.warnings, b.violations, b.quality_status, coalesce(p.first_loaded, now()), b.agency
FROM batch_document b LEFT JOIN previous p USING (document_id)
ORDER BY b.document_id;

INSERT INTO document_cell
SELECT document_id, table_name, category_code, applicant_type, measure, value, printed, cell_status, location,
       provenance, confidence
FROM cells WHERE document_id IN (SELECT document_id FROM batch_document);

INSERT INTO fact_extraction_warning
SELECT document_id, agency_key(agency), year, table_name, category_code, kind, message, printed, location
FROM warnings WHERE document_id IN (SELECT document_id FROM batch_document)
ORDER BY document_id, location, kind;

INSERT INTO document_violation
SELECT document_id, identity, scope, expected, printed, cells
FROM violations WHERE document_id IN (SELECT document_id FROM batch_document) AND identity <> 'XY_CARRY'
ORDER BY document_id, identity, scope;

INSERT INTO document_statement BY NAME
SELECT document_id, statement_no, quantity, sentence, matched, location, stated, cells, table_value, verdict, reason
FROM statements WHERE document_id IN (SELECT document_id FROM batch_document)
ORDER BY document_id, statement_no;

-- rejections, for rejections.sql: the year's own, and retracted documents met again
CREATE OR REPLACE TEMP TABLE batch_rejected AS
SELECT document_id, source_file, stage, year, reason FROM rejected
UNION ALL
SELECT d.document_id, d.source_file, 'retracted', d.year,
       'retracted by ' || r.retracted_by || ' on ' || strftime(r.retracted_at, '%Y-%m-%d') || ': ' || r.reason
       || ' (xxgk retract); not loaded again'
FROM documents d JOIN retraction r ON r.document_id = d.document_id AND r.undone_at IS NULL;
