"""Dagster assets, one module per stage: ingestion -> normalisation -> extraction -> quality -> warehouse."""
