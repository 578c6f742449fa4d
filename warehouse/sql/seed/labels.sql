-- dim_category's group rows (不予公开, 无法提供, 不予处理: none is printed as a row of its own, each
-- is the sum of its items) and every row's parent, order and labels, from the registered
-- frame category_labels (xxgk/spec/category_labels.csv). Runs after dim_category is seeded.
INSERT INTO dim_category (category_code, section, table_name, parent_code, label_2021, label_2019,
                          measures_2021, measures_2019)
SELECT l.category_code, 3, 'applications', l.parent_code,
       (SELECT min(split_part(c.label_2021, ' ', 1)) FROM dim_category c WHERE c.category_code LIKE l.category_code || '.%'),
       (SELECT min(split_part(c.label_2019, ' ', 1)) FROM dim_category c WHERE c.category_code LIKE l.category_code || '.%'),
       'count', 'count'
FROM category_labels l
WHERE l.is_group AND l.category_code NOT IN (SELECT category_code FROM dim_category);

UPDATE dim_category c
SET parent_code = l.parent_code, is_group = l.is_group, sort_order = l.sort_order,
    label_short = l.label_short, label_en = l.label_en, category_path = l.path
FROM category_labels l
WHERE c.category_code = l.category_code;

DELETE FROM dim_measure;
INSERT INTO dim_measure (measure, label, label_short, label_en, unit, quantity)
SELECT measure, label, label_short, label_en, unit, quantity FROM measure_labels;
DELETE FROM dim_identity;
INSERT INTO dim_identity SELECT identity, label, label_en, rule FROM identity_labels;
UPDATE dim_applicant_type t SET label_en = l.label_en FROM applicant_labels l WHERE t.applicant_type = l.applicant_type;
DELETE FROM dim_code_label;
INSERT INTO dim_code_label (code_set, code, sort_order, label, label_en)
SELECT code_set, code, sort_order, label, label_en FROM code_labels;
-- the Chinese header of each column of the views (xxgk/spec/column_labels.csv), for exports
INSERT INTO dim_code_label (code_set, code, sort_order, label, label_en)
SELECT 'column', "column", NULL, label, "column" FROM column_labels;
DELETE FROM dim_metric;
INSERT INTO dim_metric BY NAME SELECT * FROM metric_specs;
