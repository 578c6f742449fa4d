-- New names (frame `new_aliases`) and the agencies they resolve to (frame `new_agencies`, every
-- column of dim_agency): a resolution made again replaces the agency's description.
INSERT INTO dim_agency_alias BY NAME SELECT * FROM new_aliases ON CONFLICT DO NOTHING;

INSERT INTO dim_agency BY NAME SELECT * FROM new_agencies
ON CONFLICT (agency_id) DO UPDATE SET
    agency_name = EXCLUDED.agency_name, canonical_key = EXCLUDED.canonical_key,
    province_code = EXCLUDED.province_code, province = EXCLUDED.province, city_code = EXCLUDED.city_code,
    city = EXCLUDED.city, county_code = EXCLUDED.county_code, county = EXCLUDED.county, town = EXCLUDED.town,
    region_code = EXCLUDED.region_code, level = EXCLUDED.level, kind = EXCLUDED.kind,
    parent_agency_id = EXCLUDED.parent_agency_id, parent_agency_name = EXCLUDED.parent_agency_name,
    resolution_problem = EXCLUDED.resolution_problem;
