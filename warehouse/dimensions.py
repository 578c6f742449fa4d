"""The label dimensions' source frames, from xxgk/spec, for `sql/seed/labels.sql`."""
from __future__ import annotations

import polars as pl

from xxgk import SPEC_DIR


def _csv(name: str) -> pl.DataFrame:
    return pl.read_csv(SPEC_DIR / name, infer_schema_length=0)  # every column as text


def label_frames() -> dict[str, pl.DataFrame]:
    """category_labels (group rows, order, short and English labels, paths), measure_labels,
    identity_labels, applicant_labels, code_labels (the labels of coded columns), column_labels
    (the Chinese headers of the views' columns), metric_specs
    (dim_metric): registered under these names while the seed runs."""
    categories = _csv("category_labels.csv").with_columns(
        pl.col("sort_order").cast(pl.Int32), pl.col("is_group") == "true", pl.col("parent_code").replace("", None))
    return {"category_labels": categories, "measure_labels": _csv("measures.csv"),
            "identity_labels": _csv("identities.csv"), "applicant_labels": _csv("applicant_labels.csv"),
            "code_labels": _csv("code_labels.csv").with_columns(pl.col("sort_order").cast(pl.Int32)),
            "column_labels": _csv("column_labels.csv"),
            "metric_specs": _csv("metrics.csv").with_columns(pl.col("sort_order").cast(pl.Int32),
                                                            pl.col("denominator_sql").replace("", None))}
