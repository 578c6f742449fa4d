-- The year's identity violations, in words (v_identity_findings).
SELECT agency_id, agency, identity, identity_label, scope_label, expected, printed, difference, location, source_file
FROM v_identity_findings WHERE year = ? ORDER BY agency, identity, scope;
