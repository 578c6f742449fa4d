-- The rows of view $view in years $years (NULL: every year) to folder $path, a folder per year.
COPY (SELECT * FROM query_table($view) WHERE $years IS NULL OR list_contains($years, year) ORDER BY ALL)
TO $path (FORMAT parquet, PARTITION_BY (year), FILENAME_PATTERN 'part_{i}');
