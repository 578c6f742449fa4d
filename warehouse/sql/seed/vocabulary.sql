-- The vocabulary dimensions, from xxgk/spec (frames `cats` and `types`), replaced whole.
DELETE FROM dim_category;
INSERT INTO dim_category SELECT * FROM cats;
DELETE FROM dim_applicant_type;
INSERT INTO dim_applicant_type SELECT applicant_type, label, applicant_group FROM types;
