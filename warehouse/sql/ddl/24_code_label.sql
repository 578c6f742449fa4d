-- The Chinese and English label of a code of a coded column (dim_code_label), for the views:
-- code_label('level', 'county') = '县级', code_label_en('kind', '部门') = 'department'.
-- A code without a label gives NULL. (After the table: DuckDB binds a macro when it is created.)
CREATE OR REPLACE MACRO code_label(code_set_name, code_value) AS (
    SELECT label FROM dim_code_label WHERE code_set = code_set_name AND code = code_value);
CREATE OR REPLACE MACRO code_label_en(code_set_name, code_value) AS (
    SELECT label_en FROM dim_code_label WHERE code_set = code_set_name AND code = code_value);
