-- What the touched agency-years hold now, for the asset's metadata.
SELECT (SELECT count(*) FROM chosen) AS reports,
       (SELECT count(*) FROM dim_document JOIN touched USING (agency_id, year) WHERE status = 'superseded') AS superseded,
       (SELECT count(*) FROM fact_active_disclosure JOIN chosen USING (document_id))
       + (SELECT count(*) FROM fact_application JOIN chosen USING (document_id))
       + (SELECT count(*) FROM fact_review_litigation JOIN chosen USING (document_id)) AS cells,
       (SELECT count(*) FROM fact_extraction_warning JOIN chosen USING (document_id)) AS warnings,
       (SELECT count(*) FROM fact_identity_violation JOIN chosen USING (document_id)
        WHERE identity <> 'XY_CARRY') AS violations;
