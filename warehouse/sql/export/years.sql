-- The years view $view holds.
SELECT DISTINCT year FROM query_table($view);
