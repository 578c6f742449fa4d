-- Labels for what the facts measure and for the identities they are checked against; filled
-- from xxgk/spec/measures.csv and identities.csv by warehouse/dimensions.py.
CREATE TABLE IF NOT EXISTS dim_measure (
    measure      VARCHAR PRIMARY KEY,
    label        VARCHAR NOT NULL,
    label_short  VARCHAR NOT NULL,
    label_en     VARCHAR NOT NULL,
    unit         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_identity (
    identity  VARCHAR PRIMARY KEY,
    label     VARCHAR NOT NULL,
    label_en  VARCHAR NOT NULL,
    rule      VARCHAR NOT NULL
);

ALTER TABLE dim_applicant_type ADD COLUMN IF NOT EXISTS label_en VARCHAR;
