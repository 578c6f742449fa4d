-- The agency key: stable, a hash of the name as the report prints it, the same in every load.
-- Kept in the database so that BI tools can compute it too: agency_key('某某县人民政府').
CREATE OR REPLACE MACRO agency_key(name) AS substr(md5(name), 1, 12);
