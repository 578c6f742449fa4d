-- Applications received and results, each agency of the year against its report of the year before.
SELECT agency, region_code, category_code, category_label, previous_value, value, change, change_pct
FROM v_year_over_year
WHERE year = ? AND applicant_type = 'total'
  AND category_code IN ('application.new_received', 'result.total', 'result.granted')
ORDER BY agency, sort_order;
