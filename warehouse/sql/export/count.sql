-- The rows of view $view in years $years (NULL: every year).
SELECT count(*) FROM query_table($view) WHERE $years IS NULL OR list_contains($years, year);
