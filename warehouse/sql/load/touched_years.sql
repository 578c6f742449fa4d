-- The years of the agency-years a load touched (table touched, made by stage.sql or retract/record.sql).
SELECT DISTINCT year FROM touched;
