-- XY_CARRY findings belong to the later year of each pair: those of frame `carry_years`
-- replaced by frame `carry_violations`.
DELETE FROM fact_identity_violation WHERE identity = 'XY_CARRY' AND year IN (SELECT year FROM carry_years);

INSERT INTO fact_identity_violation
SELECT agency_key(agency), year, identity, scope, expected, printed, cells, document_id
FROM carry_violations WHERE year IN (SELECT year FROM carry_years) ORDER BY agency, year, scope;
