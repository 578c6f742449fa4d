-- Whether the warehouse has the Chinese headers of columns (dim_code_label: not views made by hand).
SELECT count(*) > 0 FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'dim_code_label';
