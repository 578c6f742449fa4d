-- The vocabulary dimensions, from xxgk/spec (frames `cats` and `types`), replaced whole.
DELETE FROM dim_category;
INSERT INTO dim_category BY NAME SELECT * FROM cats;
DELETE FROM dim_applicant_type;
INSERT INTO dim_applicant_type (applicant_type, label, applicant_group) SELECT applicant_type, label, applicant_group FROM types;
