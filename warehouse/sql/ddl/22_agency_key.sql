-- (after the tables: DuckDB binds a macro's query when it is created)
-- The agency key of a name as a report prints it: the id of its canonical agency, through
-- dim_agency_alias (filled by warehouse/agency.py before any fact is inserted), so that
-- 洪泽区人民政府 and 淮安市洪泽区人民政府 are one agency. BI tools can use it too:
-- agency_key('启东市政府办公室'). A name never loaded gives NULL.
CREATE OR REPLACE MACRO agency_key(name) AS (SELECT agency_id FROM dim_agency_alias WHERE alias_name = name);
