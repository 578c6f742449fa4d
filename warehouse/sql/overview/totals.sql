-- The reports of year $1 and their identity violations, for the overview asset's metadata.
SELECT count(*), sum(identity_violations) FROM v_report_overview WHERE year = $1;
