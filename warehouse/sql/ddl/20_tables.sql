-- xxgk star schema. Facts are keyed by agency, year and disclosure category; every fact
-- keeps the text printed in the report and the document and place it was read from.
-- The warehouse accumulates documents: every document ever loaded stays (dim_document, its
-- cells in document_cell, its findings in document_violation); the fact tables hold the cells
-- of the one document chosen for each agency-year among all of them. Only `xxgk retract`
-- removes a document, and says so in `retraction`.
-- No foreign-key constraints: DuckDB checks them row by row and forbids deleting a parent
-- inside the transaction that reloads it; the loader keeps the keys consistent and the
-- tests check it.

CREATE TABLE IF NOT EXISTS dim_year (
    year            INTEGER PRIMARY KEY,
    format_version  VARCHAR NOT NULL      -- template in force for that year: 2019 (〔2019〕60号) or 2021 (〔2021〕30号)
);

CREATE TABLE IF NOT EXISTS dim_agency (
    agency_id    VARCHAR PRIMARY KEY,     -- stable: a hash of canonical_key, the same in every load
    agency_name  VARCHAR NOT NULL         -- canonical name (xxgk/agency.py); the names reports use: dim_agency_alias
);
-- the agency's region and kind (xxgk/agency.py); ALTER so that older warehouses gain them too
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS canonical_key VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS province_code VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS province VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS city_code VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS city VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS county_code VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS county VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS town VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS region_code VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS level VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS parent_agency_id VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS parent_agency_name VARCHAR;
ALTER TABLE dim_agency ADD COLUMN IF NOT EXISTS resolution_problem VARCHAR;

CREATE TABLE IF NOT EXISTS dim_agency_alias (
    alias_name    VARCHAR PRIMARY KEY,
    agency_id     VARCHAR NOT NULL,
    renamed_from  VARCHAR
);

CREATE TABLE IF NOT EXISTS dim_category (
    category_code  VARCHAR PRIMARY KEY,
    section        INTEGER NOT NULL,      -- 2 = 二, 3 = 三, 4 = 四
    table_name     VARCHAR NOT NULL,
    parent_code    VARCHAR,
    label_2021     VARCHAR,
    label_2019     VARCHAR,
    measures_2021  VARCHAR,
    measures_2019  VARCHAR
);
-- group rows, chart and English labels (spec/category_labels.csv)
ALTER TABLE dim_category ADD COLUMN IF NOT EXISTS is_group BOOLEAN;
ALTER TABLE dim_category ADD COLUMN IF NOT EXISTS sort_order INTEGER;
ALTER TABLE dim_category ADD COLUMN IF NOT EXISTS label_short VARCHAR;
ALTER TABLE dim_category ADD COLUMN IF NOT EXISTS label_en VARCHAR;

CREATE TABLE IF NOT EXISTS dim_applicant_type (
    applicant_type   VARCHAR PRIMARY KEY,
    label            VARCHAR NOT NULL,
    applicant_group  VARCHAR
);

CREATE TABLE IF NOT EXISTS dim_document (
    document_id     VARCHAR NOT NULL,     -- sha256 of the bytes (16 hex): the same bytes twice are one document
    source_file     VARCHAR NOT NULL,
    duplicate_files VARCHAR,              -- other paths with the same bytes
    format          VARCHAR NOT NULL,
    size_bytes      BIGINT NOT NULL,
    pages           INTEGER,
    agency_id       VARCHAR,
    year            INTEGER,
    format_version  VARCHAR,
    status          VARCHAR NOT NULL,     -- loaded | superseded (another document of the same agency-year was chosen)
                                          -- | retracted (removed by `xxgk retract`; see retraction; after
                                          --   `xxgk retract --undo`, until a run loads its file again)
    reader          VARCHAR,              -- txt | html | pdfium | pdfplumber, "+ocr" when pages were read by OCR
    reader_check    VARCHAR,              -- PDFs: why that reader (e.g. "pdfium reading not trusted: a font is not embedded")
    archive_key     VARCHAR,              -- sha256 of the bytes (64 hex): the copy kept at <archive>/<key[:2]>/<key>
    cells           INTEGER,              -- what the choice of a version ranks on: cells extracted, cells read,
    cells_read      INTEGER,
    warnings        INTEGER,              -- extraction warnings,
    violations      INTEGER,              -- identity violations (of the report's own identities)
    quality_status  VARCHAR,              -- as fact_report.quality_status, for every version
    first_loaded    TIMESTAMPTZ           -- when these bytes were first loaded
);
-- warehouses made before these columns existed
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS reader VARCHAR;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS reader_check VARCHAR;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS agency_name VARCHAR;  -- as this document names its agency
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS archive_key VARCHAR;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS cells INTEGER;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS cells_read INTEGER;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS warnings INTEGER;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS violations INTEGER;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS quality_status VARCHAR;
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS first_loaded TIMESTAMPTZ;

CREATE TABLE IF NOT EXISTS document_cell (            -- every cell of every kept document, chosen or not
    document_id     VARCHAR NOT NULL,
    table_name      VARCHAR NOT NULL,     -- art20 | applications | review_litigation
    category_code   VARCHAR NOT NULL,
    applicant_type  VARCHAR,
    measure         VARCHAR NOT NULL,
    value           DOUBLE,
    printed         VARCHAR,
    cell_status     VARCHAR NOT NULL,
    location        VARCHAR,
    provenance      VARCHAR NOT NULL,
    confidence      DOUBLE
);

CREATE TABLE IF NOT EXISTS document_violation (       -- the identity findings of every kept document
    document_id  VARCHAR NOT NULL,
    identity     VARCHAR NOT NULL,
    scope        VARCHAR NOT NULL,
    expected     DOUBLE,
    printed      DOUBLE,
    cells        VARCHAR
);

CREATE TABLE IF NOT EXISTS retraction (               -- documents removed by `xxgk retract`: who, when, why
    document_id   VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    agency_id     VARCHAR,
    year          INTEGER,
    retracted_at  TIMESTAMPTZ NOT NULL,
    retracted_by  VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL
);
-- `xxgk retract --undo`: who took a retraction back, when, why (null while it is in force)
ALTER TABLE retraction ADD COLUMN IF NOT EXISTS undone_at TIMESTAMPTZ;
ALTER TABLE retraction ADD COLUMN IF NOT EXISTS undone_by VARCHAR;
ALTER TABLE retraction ADD COLUMN IF NOT EXISTS undo_reason VARCHAR;

CREATE TABLE IF NOT EXISTS fact_report (
    agency_id       VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    document_id     VARCHAR NOT NULL,     -- the document whose facts are loaded for this agency-year
    format_version  VARCHAR NOT NULL,
    cells           INTEGER NOT NULL,
    cells_read      INTEGER NOT NULL,
    warnings        INTEGER NOT NULL,
    versions        INTEGER NOT NULL,     -- documents known for this agency-year (all loads, not retracted)
    quality_status  VARCHAR NOT NULL      -- set by the identity gates
);

CREATE TABLE IF NOT EXISTS fact_active_disclosure (   -- table 二 (第二十条)
    agency_id      VARCHAR NOT NULL,
    year           INTEGER NOT NULL,
    category_code  VARCHAR NOT NULL,
    measure        VARCHAR NOT NULL,
    value          DOUBLE,
    printed        VARCHAR,
    cell_status    VARCHAR NOT NULL,      -- read | converted | implausible | null_mark | blank | not_placed | not_read (OCR) | inferred | derived (not printed: xxgk/extract/inferred.py)
    document_id    VARCHAR NOT NULL,
    location       VARCHAR,
    provenance     VARCHAR NOT NULL,      -- text | ocr
    confidence     DOUBLE                 -- OCR score; null for text
);

CREATE TABLE IF NOT EXISTS fact_application (         -- table 三
    agency_id       VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    category_code   VARCHAR NOT NULL,
    applicant_type  VARCHAR NOT NULL,
    value           DOUBLE,
    printed         VARCHAR,
    cell_status     VARCHAR NOT NULL,
    document_id     VARCHAR NOT NULL,
    location        VARCHAR,
    provenance      VARCHAR NOT NULL,
    confidence      DOUBLE
);

CREATE TABLE IF NOT EXISTS fact_review_litigation (   -- table 四
    agency_id      VARCHAR NOT NULL,
    year           INTEGER NOT NULL,
    category_code  VARCHAR NOT NULL,
    value          DOUBLE,
    printed        VARCHAR,
    cell_status    VARCHAR NOT NULL,
    document_id    VARCHAR NOT NULL,
    location       VARCHAR,
    provenance     VARCHAR NOT NULL,
    confidence     DOUBLE
);

CREATE TABLE IF NOT EXISTS fact_extraction_warning (
    document_id    VARCHAR NOT NULL,
    agency_id      VARCHAR,
    year           INTEGER,
    table_name     VARCHAR,
    category_code  VARCHAR,
    kind           VARCHAR NOT NULL,
    message        VARCHAR NOT NULL,
    printed        VARCHAR,
    location       VARCHAR
);

CREATE TABLE IF NOT EXISTS fact_identity_violation (
    agency_id    VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    identity     VARCHAR NOT NULL,
    scope        VARCHAR NOT NULL,
    expected     DOUBLE,
    printed      DOUBLE,
    cells        VARCHAR,
    document_id  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS fact_version_difference (  -- cells where a superseded version disagrees
    agency_id           VARCHAR NOT NULL,
    year                INTEGER NOT NULL,
    document_id         VARCHAR NOT NULL,      -- the superseded version
    loaded_document_id  VARCHAR NOT NULL,
    category_code       VARCHAR NOT NULL,
    applicant_type      VARCHAR,
    measure             VARCHAR,
    value               DOUBLE,
    printed             VARCHAR,
    loaded_value        DOUBLE,
    loaded_printed      VARCHAR
);

CREATE TABLE IF NOT EXISTS rejected_document (
    document_id  VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,         -- ingestion | normalisation | extraction | retracted (met again after `xxgk retract`)
    year         INTEGER,                  -- known only for documents rejected at extraction
    reason       VARCHAR NOT NULL
);
