-- The vocabulary tables, one statement per section of the dictionary (warehouse/dictionary.py
-- _VOCABULARY, in this order): five columns each, '' where a section has fewer.

-- Categories, in report order; group rows in bold
SELECT CASE WHEN is_group THEN '**' || category_code || '**' ELSE category_code END, coalesce(parent_code, ''),
       label_short, label_en, coalesce(label_2021, label_2019)
FROM dim_category ORDER BY sort_order;

-- Measures
SELECT measure, label, label_short, label_en, unit FROM dim_measure ORDER BY measure;

-- Identities
SELECT identity, label, label_en, rule, '' FROM dim_identity ORDER BY identity;

-- Metrics
SELECT metric, label || ' / ' || label_en, unit, formula || ' `' || formula_sql || '`', does_not_mean || ' ' || does_not_mean_en
FROM dim_metric ORDER BY sort_order;

-- Labels of coded columns
SELECT code_set, code, label, label_en, '' FROM dim_code_label WHERE code_set <> 'column'
ORDER BY code_set, sort_order;
