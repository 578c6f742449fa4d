-- Whether the warehouse has the findings view (made by a load with this version).
SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND view_name = 'v_findings';
