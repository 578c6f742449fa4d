-- The rows of view $view in years $years (NULL: every year), in a stable order.
SELECT * FROM query_table($view) WHERE $years IS NULL OR list_contains($years, year) ORDER BY ALL;
