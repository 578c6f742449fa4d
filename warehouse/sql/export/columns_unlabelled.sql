-- Every column of the views $views, in their order: its type, what it means (the warehouse's
-- comments); no Chinese header (a warehouse without dim_code_label).
SELECT c.table_name AS view, c.column_name AS "column", c.data_type AS type, c.comment AS meaning,
       CAST(NULL AS VARCHAR) AS label
FROM duckdb_columns() c
WHERE c.database_name = current_database() AND list_contains($views, c.table_name)
ORDER BY list_position($views, c.table_name), c.column_index;
