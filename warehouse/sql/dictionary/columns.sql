-- The columns of table or view $1, in order, with their COMMENTs.
SELECT column_name, data_type, comment FROM duckdb_columns()
WHERE database_name = current_database() AND table_name = $1 ORDER BY column_index;
