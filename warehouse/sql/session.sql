-- Every connection to a warehouse (warehouse/loader.py connect): no progress bar (DuckDB draws one
-- on stdout for queries over 2 s, whatever stdout is), and a bounded memory: DuckDB keeps what it
-- reads cached up to 80% of the machine by default, and a load shares the machine with the
-- workers, so it spills to disk beyond this instead.
SET enable_progress_bar = false;
SET memory_limit = '512MB';
