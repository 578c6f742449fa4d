-- Every row of an agency keyed by md5(name) moved to its resolved key (frame `moved_agencies`:
-- old_id, new_id), and the old agencies dropped (their names are aliases of the new ones by now).
UPDATE dim_document t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_report t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_active_disclosure t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_application t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_review_litigation t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_extraction_warning t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_identity_violation t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE fact_version_difference t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
UPDATE retraction t SET agency_id = m.new_id FROM moved_agencies m WHERE t.agency_id = m.old_id;
DELETE FROM dim_agency WHERE canonical_key IS NULL;
