-- The warehouse's tables, then its views, each with its COMMENT (sql/ddl/90_comments.sql).
SELECT table_name, 'table' AS kind, comment FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
UNION ALL
SELECT view_name, 'view', comment FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary
ORDER BY kind DESC, 1;
