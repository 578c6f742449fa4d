-- The Chinese header of each column of the views.
SELECT code, label FROM dim_code_label WHERE code_set = 'column';
