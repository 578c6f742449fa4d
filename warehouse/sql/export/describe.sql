-- The columns of view $view and their types.
DESCRIBE SELECT * FROM query_table($view);
