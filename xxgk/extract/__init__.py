"""Stage 3, extraction: the tables of sections 二, 三 and 四 as one row per cell."""
from xxgk.extract.tables import CELL_SCHEMA, WARNING_SCHEMA, Extraction, extract_report

__all__ = ["CELL_SCHEMA", "WARNING_SCHEMA", "Extraction", "extract_report"]
