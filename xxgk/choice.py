"""The choice of one document per agency-year among the versions of its report, by one rule
(:func:`choose_documents`), and where a superseded version says otherwise (:func:`version_differences`).

The choice that counts is the warehouse's (warehouse/loader.py), among every version it knows,
those of earlier loads too. Before the load, a year's tables carry a provisional choice among the
versions of this run only (xxgk.shards.merge_tables, then YearTables.rechoose once the identity
gates know which versions add up): it decides what the year's checks and its assets' metadata
show, and nothing that is loaded.
"""
from __future__ import annotations

import polars as pl

DIFFERENCE_SCHEMA = {
    "agency": pl.String, "year": pl.Int32, "document_id": pl.String, "loaded_document_id": pl.String,
    "category_code": pl.String, "applicant_type": pl.String, "measure": pl.String,
    "value": pl.Float64, "printed": pl.String, "loaded_value": pl.Float64, "loaded_printed": pl.String,
}


def choose_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """One document per agency-year: most cells read, then fewest identity violations (when
    known), then fewest warnings, then the largest file, then the document id (so the choice
    never depends on the order files were read).

    The others stay as 'superseded' versions of the same report.
    """
    if "violations" not in documents.columns:
        documents = documents.with_columns(pl.lit(0, dtype=pl.Int32).alias("violations"))
    ranked = documents.sort(
        ["agency", "year", "cells_read", "violations", "warnings", "size_bytes", "document_id"],
        descending=[False, False, True, False, False, True, False],
    )
    first = pl.col("document_id").first().over(["agency", "year"]) == pl.col("document_id")
    return ranked.with_columns(pl.when(first).then(pl.lit("loaded")).otherwise(pl.lit("superseded")).alias("status"))


def version_differences(documents: pl.DataFrame, cells: pl.LazyFrame) -> pl.DataFrame:
    """Every cell where a superseded version of a report disagrees with the loaded version.

    A cell printed in one version and absent from the other counts as a difference too.
    Only the cells of reports that arrived as several documents are read.
    """
    key = ["category_code", "applicant_type", "measure"]
    loaded = documents.filter(pl.col("status") == "loaded").select("agency", "year", pl.col("document_id").alias("loaded_document_id"))
    others = documents.filter(pl.col("status") == "superseded").select("agency", "year", "document_id")
    if others.is_empty():
        return pl.DataFrame(schema=DIFFERENCE_SCHEMA)
    pairs = others.join(loaded, on=["agency", "year"])
    involved = pl.concat([pairs["document_id"], pairs["loaded_document_id"]]).unique().to_list()
    cells = cells.filter(pl.col("document_id").is_in(involved)).select("document_id", *key, "value", "printed").collect()
    mine = pairs.join(cells, on="document_id").with_columns(in_mine=pl.lit(True))
    theirs = cells.select(pl.col("document_id").alias("loaded_document_id"), *key,
                          pl.col("value").alias("loaded_value"), pl.col("printed").alias("loaded_printed"),
                          in_theirs=pl.lit(True))
    both = mine.join(theirs, on=["loaded_document_id", *key], how="full", nulls_equal=True, coalesce=True)
    # cells only in the loaded version: give them the pair they belong to
    both = both.drop("document_id", "agency", "year").join(pairs, on="loaded_document_id")
    # two blanks agree; a cell present in one version only does not
    differ = pl.col("value").ne_missing(pl.col("loaded_value")) | pl.col("in_mine").is_null() | pl.col("in_theirs").is_null()
    return both.filter(differ).select(DIFFERENCE_SCHEMA.keys()).cast(DIFFERENCE_SCHEMA).sort(
        "agency", "year", "document_id", *key, nulls_last=True)
