"""The DuckDB star schema (sql/ddl/) and its bulk, transactional, idempotent loaders."""
