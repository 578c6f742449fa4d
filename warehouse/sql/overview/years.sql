-- Every year the warehouse holds reports of, for the index page.
SELECT DISTINCT year FROM fact_report ORDER BY year;
