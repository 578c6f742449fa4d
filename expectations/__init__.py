"""Great Expectations gates over the accounting identities of the annual reports.

A pure library (no Dagster): `expectations.identities` builds identity instances from
extracted cells, `expectations.gates` checks them with GX, `expectations.datadocs`
writes offline-readable Data Docs.
"""
