"""The DuckDB star schema (schema.sql) and its bulk, transactional, idempotent loaders."""
