"""Readers: one file format each, into xxgk.model rows and xxgk.grid grids. xxgk.documents
chooses the reader by the file's suffix."""
