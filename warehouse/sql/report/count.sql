-- The reports of year $1 the warehouse holds.
SELECT count(*) FROM fact_report WHERE year = $1;
