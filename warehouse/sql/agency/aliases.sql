-- Every name already an alias of an agency.
SELECT alias_name FROM dim_agency_alias;
