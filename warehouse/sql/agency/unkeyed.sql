-- Agencies of a warehouse made before agencies were resolved: keyed by md5(name), no canonical key.
SELECT agency_id, agency_name FROM dim_agency WHERE canonical_key IS NULL;
