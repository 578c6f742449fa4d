-- The year's reports (v_report_overview), parameter: the year.
SELECT agency_id, agency, agency_as_printed, year, province, city, county, region_code, level, kind,
       received, carried_over, granted, partially_granted, denied, unavailable, not_processed, other_handling,
       results_total, carried_forward, review_total, litigation_direct_total, litigation_after_review_total,
       quality_status, identity_violations, warnings, source_file
FROM v_report_overview WHERE year = ? ORDER BY received DESC NULLS LAST, agency;
