"""Stage 2, normalisation: one script, one width, and what the report says it is.

- pinyin annotations such as 報(bào) are removed *before* converting, so that
  OpenCC sees whole phrases;
- Traditional -> Simplified with OpenCC's ``t2s`` (``tw2sp`` would rewrite
  vocabulary, wrong for mainland text);
- full-width/half-width and whitespace are folded for matching only: the
  printed text of every cell is kept as it was.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import polars as pl

from xxgk.grid import Grid, GridCell
from xxgk.model import (
    Cell,
    DocumentRejected,
    NormalisedDocument,
    NormalisedRow,
    RawDocument,
    Rejection,
    transient,
)
from xxgk.parallel import group_parts, per_document, run_stage
from xxgk.staging import Intact, digests, grids_path, join, raw_documents, write_normalised_rows
from xxgk.vocabulary import FORMAT_2019, FORMAT_2021, table_words

FIRST_STANDARD_YEAR = 2019

# A run of lowercase pinyin letters (tone marks allowed) in brackets right after a Han character.
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（]\s*[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹ]{1,7}\s*[)）]")
_SPACE = re.compile(r"\s+")
# CJK Radicals Supplement code points some PDF producers emit for ordinary characters;
# NFKC folds the Kangxi block (U+2F00–2FD5) but not these.
_RADICALS = str.maketrans(
    {"⺠": "民", "⻓": "长", "⻛": "风", "⻆": "角", "⻔": "门", "⻢": "马", "⻋": "车", "⻅": "见", "⺁": "厂",
     "⻜": "飞", "⻝": "食", "⻩": "黄", "⻬": "齐", "⻚": "页", "⻄": "西", "⻘": "青", "⻰": "龙", "⻳": "龟"}
)


def strip_pinyin(text: str) -> str:
    """報(bào)告 -> 報告; leaves (一) and (单位：万元) alone."""
    return _PINYIN.sub("", text)


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def fold(text: str) -> str:
    """The matching form: NFKC (full-width -> half-width, Kangxi radicals -> Han), no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).translate(_RADICALS))


def normalise_document(raw: RawDocument, *, today: _dt.date | None = None) -> NormalisedDocument:
    if not raw.rows:
        raise DocumentRejected("no text in the document")
    # Convert the whole document at once: per-cell calls would cost an OpenCC call per cell
    # and break phrases that OpenCC converts as a unit.
    # The grids' cells go in the same call, one line each, after the rows.
    grid_cells = [cell for grid in raw.grids for cell in grid.cells]
    lines = ["\t".join(c.replace("\n", " ").replace("\t", " ") for c in r.cells) for r in raw.rows]
    lines += [cell.text.replace("\n", " ").replace("\t", " ") for cell in grid_cells]
    converted = to_simplified(strip_pinyin("\n".join(lines))).split("\n")
    if len(converted) != len(lines):  # OpenCC keeps line structure; be loud if it ever does not
        raise RuntimeError("script conversion changed the number of lines")
    simplified = converted[: len(raw.rows)]
    folded = iter(converted[len(raw.rows):])
    grids = [
        Grid(g.n_rows, g.n_cols, [GridCell(c.row, c.col, fold(next(folded)), c.rowspan, c.colspan, c.where, c.confidence,
                                           c.text.strip()) for c in g.cells], g.where, g.anchor, g.provenance)
        for g in raw.grids
    ]
    rows: list[NormalisedRow] = []
    for raw_row, line in zip(raw.rows, simplified):
        texts = line.split("\t")
        cells = [Cell(fold(t), p.strip()) for t, p in zip(texts, raw_row.cells)]
        rows.append(NormalisedRow(cells, raw_row.where, raw_row.confidences, raw_row.provenance))
    simplified_lines = mend_title([" ".join(t.strip() for t in line.split("\t") if t.strip()) for line in simplified])
    if not is_annual_report(simplified_lines):
        raise DocumentRejected(
            "not a government information-disclosure annual report "
            "(no '政府信息公开…年度报告' title and no standard table headings)"
        )
    year = detect_year(simplified_lines)
    today = today or _dt.date.today()
    if year is None:
        raise DocumentRejected("statistics year not found in the report")
    if year < FIRST_STANDARD_YEAR:
        raise DocumentRejected(f"statistics year {year} predates the standard tables ({FIRST_STANDARD_YEAR})")
    if year > today.year:
        raise DocumentRejected(f"statistics year {year} is in the future")
    return NormalisedDocument(
        document_id=raw.document_id,
        source_file=raw.source_file,
        format=raw.format,
        size_bytes=raw.size_bytes,
        agency=detect_agency(simplified_lines, year),
        year=year,
        format_version=detect_format_version(rows, year),
        rows=rows,
        pages=raw.pages,
        reader=raw.reader,
        reader_check=raw.reader_check,
        grids=grids,
    )


_TITLE = re.compile(r"(20\d\d)\s*年\s*度?\s*(.{0,40}?)\s*信\s*息\s*公\s*开\s*(?:工\s*作\s*)?年\s*度\s*报\s*告")
_PERIOD = re.compile(r"统计期限.{0,6}?(20\d\d)\s*年\s*1\s*月\s*1\s*日")


def is_annual_report(lines: list[str]) -> bool:
    head = "".join(lines[:60])
    if _TITLE.search(fold(head)):
        return True
    folded = fold("".join(lines))
    return "收到和处理政府信息公开申请情况" in folded and "主动公开政府信息情况" in folded


_LONE_YEAR = re.compile(r"(20\d\d)年?")


def mend_title(lines: list[str]) -> list[str]:
    """A title whose year a PDF printed on a baseline of its own (a browser's print: the digits
    in another font) comes out as ``X 年政府信息公开工作`` / ``2023`` / ``年度报告``: the year
    is put back before the 年 it belongs to, and the title's lines joined."""
    head = [fold(line) for line in lines[:8]]
    for i, line in enumerate(head):
        m = _LONE_YEAR.fullmatch(line)
        if not m or i == 0 or "年政府信息公开" not in head[i - 1] or _TITLE.search(head[i - 1]):
            continue
        at = head[i - 1].index("年政府信息公开")
        title = head[i - 1][:at] + m.group(1) + head[i - 1][at:]
        for tail in range(i + 1, min(i + 2, len(head)) + 1):  # the title's last words, on the line after the year
            candidate = title + "".join(head[i + 1 : tail])
            if _TITLE.search(candidate):
                return [*lines[: i - 1], candidate, *lines[tail:]]
    return lines


def detect_year(lines: list[str]) -> int | None:
    """The statistics year: from the title, else from the statistics period sentence."""
    for line in lines[:40]:
        m = _TITLE.search(fold(line))
        if m:
            return int(m.group(1))
    # a title split over lines: "2023 年政府信息公开工作年度报告" on its own line is caught
    # above; a year alone on one line and the words on the next are caught here
    head = fold("".join(lines[:40]))
    m = _TITLE.search(head) or _rotated_title(lines[:8]) or _PERIOD.search(fold("".join(lines)))
    return int(m.group(1)) if m else None


def _rotated_title(lines: list[str]) -> re.Match | None:
    """A title a text extractor laid out around its wrapped tail: ``报告  2022 年政府信息公开工作年度``
    (the tail's words first, the line's start after them) reads as a title from its year on,
    then its start."""
    for line in map(fold, lines):
        at = re.search(r"20\d\d年", line)
        if at and at.start() > 0:
            m = _TITLE.match(line[at.start():] + line[: at.start()])
            if m:
                return m
    return None


_INSTITUTION = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会|管理局|监督局|局|委|厅|办|院|中心|街道办事处|政府)$")
_REGION = re.compile(r"(省|市|区|县|旗|州|盟|镇|乡)$")
_SOURCE = re.compile(r"来源\s*[:：]\s*(\S+)")
_LEAD = re.compile(r"^.*?(?:现公布|现将|发布|关于)")


def detect_agency(lines: list[str], year: int) -> str:
    """The agency as the report names itself.

    Prefer the full name: a web page's 来源 line, or the body's "现公布X{year}年…报告",
    over an abbreviated title (启东市政府办 -> 启东市人民政府办公室).
    """
    title_name = ""
    for i, line in enumerate(lines[:40]):
        f = fold(line)
        m = _TITLE.search(f)
        if not m:
            continue
        before = f[: m.start()].strip()
        between = m.group(2)
        if between and between not in ("政府",) and not between.startswith("政府"):
            title_name = between  # "2023年岭东区人民政府信息公开…": the name sits after the year
            # "…办公厅政府信息公开…": the 政府 belongs to 政府信息公开, not to the name
            if title_name.endswith("政府") and _INSTITUTION.search(title_name[:-2]) and not title_name.endswith("人民政府"):
                title_name = title_name[:-2]
            if not _INSTITUTION.search(title_name) and title_name.endswith("人民"):
                title_name += "政府"
        elif before:
            title_name = before
        else:  # title split over lines: the name is on the line(s) above
            for prev in reversed(lines[max(0, i - 3) : i]):
                if fold(prev):
                    title_name = fold(prev)
                    break
        break
    candidates = []
    for line in lines[:60]:
        m = _SOURCE.search(line)
        if m and _INSTITUTION.search(fold(m.group(1))):
            candidates.append(fold(m.group(1)))
    folded = [fold(line) for line in lines[:80]]
    body = "".join(folded)
    starts = {sum(len(f) for f in folded[:i]) for i in range(1, len(folded))}
    for m in re.finditer(rf"([\u4e00-\u9fff]{{2,30}}?){year}年度?政府信息公开工作年度报告", body):
        # a name is not read across the start of a line: "发布机构：X" above the title "X2023年…"
        cut = max((b for b in starts if m.start(1) < b < m.end(1)), default=m.start(1))
        name = _LEAD.sub("", body[cut : m.end(1)])
        if _INSTITUTION.search(name):
            candidates.append(name)
    if title_name and _INSTITUTION.search(title_name) and not candidates:
        return title_name
    for name in candidates:
        if not title_name or _same_agency(title_name, name):
            return name
    if title_name and _REGION.search(title_name) and f"{title_name}人民政府" in body:
        return f"{title_name}人民政府"
    return title_name or (candidates[0] if candidates else "(unknown agency)")


def _same_agency(short: str, full: str) -> bool:
    """启东市政府办 abbreviates 启东市人民政府办公室: same region prefix, letters in order."""
    if short == full:
        return True
    region = re.match(r"^.*?(?:省|市|区|县|旗|州|盟)", short)
    if not region or not full.startswith(region.group(0)):
        return False
    rest = iter(full[len(region.group(0)) :])
    return all(ch in rest for ch in short[len(region.group(0)) :])


_HEADERS_2019 = tuple(w.word for w in table_words() if w.template == FORMAT_2019 and w.kind in ("measure", "heading")
                      and w.word not in ("项目数量", "总金额", "采购总金额"))
_HEADERS_2021 = tuple(w.word for w in table_words() if w.template == FORMAT_2021 and w.kind == "measure")


def detect_format_version(rows: list[NormalisedRow], year: int) -> str:
    """From the section-二 table headers themselves; the year only breaks a tie."""
    texts = [c.text for r in rows for c in r.cells if c.text]
    score_2019 = sum(any(h in t for t in texts) for h in _HEADERS_2019)
    score_2021 = sum(any(h in t for t in texts) for h in _HEADERS_2021)
    if score_2019 != score_2021:
        return FORMAT_2019 if score_2019 > score_2021 else FORMAT_2021
    return FORMAT_2019 if year <= 2020 else FORMAT_2021


def normalise_all(documents: list[RawDocument], *, today: _dt.date | None = None, progress=None) -> tuple[list[NormalisedDocument], list[dict]]:
    """Normalise every document; those that are not usable reports are rejected with the reason."""
    done: list[NormalisedDocument] = []
    rejected: list[dict] = []
    for n, raw in enumerate(documents, start=1):
        try:
            done.append(normalise_document(raw, today=today))
        except DocumentRejected as exc:
            rejected.append(Rejection(raw.document_id, raw.source_file, "normalisation", exc.reason).record())
        if progress:
            progress(n, len(documents), raw.source_file)
    return done, rejected


# --- a whole raw store, in worker processes ------------------------------------------------

@dataclass
class NormalisedStore:
    """Normalised documents; their rows are in part files, one folder per statistics year."""

    folder: str
    documents: pl.DataFrame  # the raw manifest + agency, year, format_version; part = the normalised part
    rejected: list[dict]  # ingestion and normalisation rejects
    duplicate_files: dict[str, list[str]]
    files_seen: int
    # for a later run (normalise_store's `previous`): the code and settings that made it, the
    # sha256 of its part files as written; documents normalised in this run (not taken from before)
    cache_key: str = ""
    checksums: dict[str, str] = field(default_factory=dict)
    normalised: int = 0
    files_read: int = 0  # files the readers were given in this run (xxgk.inbox.RawStore.files_read)

    @property
    def years(self) -> list[int]:
        return sorted(self.documents["year"].unique().to_list())


class NormaliseTask(NamedTuple):
    """Raw parts a worker normalises: _normalise_parts's arguments."""
    parts: list[str]
    rows: list[dict]  # their manifest rows
    folder: str
    today: _dt.date | None


def _normalise_parts(raw_parts: list[str], manifest: list[dict], folder: str, today: _dt.date | None):
    """Normalise the documents of some raw parts; write them, one part per year. Runs in a worker process."""
    by_part: dict[str, list[dict]] = {}
    for m in manifest:
        by_part.setdefault(m["part"], []).append(m)
    raw = [doc for part in raw_parts for doc in raw_documents(part, by_part[part])]
    done, rejected = normalise_all(raw, today=today)
    by_year: dict[int, list[NormalisedDocument]] = {}
    for doc in done:
        by_year.setdefault(doc.year, []).append(doc)
    meta = {m["document_id"]: m for m in manifest}
    rows, sums = [], {}
    for year, docs in by_year.items():
        # named by the first document too: a task run again one document at a time writes apart
        part = write_normalised_rows(docs, join(folder, f"year={year}", f"norm-{_stem(raw_parts[0])}-{manifest[0]['document_id'][:8]}.parquet"))
        sums.update(digests([part, grids_path(part)]))
        rows += [{**meta[d.document_id], "agency": d.agency, "year": d.year, "format_version": d.format_version,
                  "part": str(part)} for d in docs]
    return rows, rejected, sums


def _stem(part: str) -> str:
    """A part's name without its folder and suffix; the shard folder kept, so names stay unique."""
    folder, _, name = part.rstrip("/").rpartition("/")
    shard = folder.rpartition("/")[2]
    return (f"{shard}-" if shard.startswith("shard=") else "") + name.removesuffix(".parquet")


def normalise_store(raw, folder: str | Path, *, workers: int = 1, today: _dt.date | None = None, progress=None,
                    budget=None, previous: NormalisedStore | None = None, cache_key: str = "") -> NormalisedStore:
    """Normalise every document of a raw store (xxgk.inbox.RawStore), whole raw parts per task,
    into a store under `folder` (a local path or an fsspec URL).

    `previous`: the normalised store an earlier run wrote for this inbox; made under the same
    `cache_key` (the code, the reading's settings, this year: a report's year is "in the future"
    until it is not), its documents of the same bytes and format are taken as they are (their
    part files intact) and their rejections kept, instead of normalising them again."""
    folder = str(folder)
    rows, rejected = [], list(raw.rejected)
    checksums: dict[str, str] = {}
    todo = raw.documents
    if previous is not None and cache_key and previous.cache_key == cache_key:
        kept, kept_rejected, sums = _earlier(raw.documents, previous)
        rows += kept
        rejected += kept_rejected
        checksums.update(sums)
        todo = raw.documents.filter(~pl.col("document_id").is_in([r["document_id"] for r in [*kept, *kept_rejected]]))
    tasks = [NormaliseTask(parts, task_rows, folder, today) for parts, task_rows in group_parts(todo)]

    def failed(task: NormaliseTask, reason: str):
        m = task.rows[0]
        return [], [Rejection(m["document_id"], m["source_file"], "normalisation", reason).record()], {}

    part_rows, part_rejected, sums = run_stage(_normalise_parts, tasks, workers, per_document(failed, budget), 3, progress)
    rows += part_rows
    rejected += part_rejected
    checksums.update(sums)
    order = {d: i for i, d in enumerate(raw.documents["document_id"])}
    schema = {**raw.documents.schema, "agency": pl.String, "year": pl.Int32, "format_version": pl.String}
    documents = pl.DataFrame(sorted(rows, key=lambda r: order[r["document_id"]]), schema=schema)
    rejected.sort(key=lambda r: (r["stage"] != "ingestion", r["source_file"]))
    referenced = {f for p in documents["part"] for f in (p, grids_path(p))}
    return NormalisedStore(folder, documents, rejected, raw.duplicate_files, raw.files_seen, cache_key,
                           {k: v for k, v in checksums.items() if k in referenced}, todo.height)


def _earlier(documents: pl.DataFrame, previous: NormalisedStore) -> tuple[list[dict], list[dict], dict[str, str]]:
    """The documents of the raw manifest `documents` that `previous` normalised, as rows of the
    new store (this run's raw fields: the file's name may have changed), and those it rejected."""
    before = {(r["document_id"], r["format"]): r for r in previous.documents.iter_rows(named=True)}
    refused = {(r["document_id"], Path(r["source_file"]).suffix.lower()): r for r in previous.rejected
               if r["stage"] == "normalisation" and not transient(r["reason"])}
    intact = Intact(previous.checksums)
    rows, rejected, sums = [], [], {}
    for raw in documents.iter_rows(named=True):
        old = before.get((raw["document_id"], raw["format"]))
        if old is not None and intact(old["part"]):
            rows.append({**raw, "agency": old["agency"], "year": old["year"], "format_version": old["format_version"],
                         "part": old["part"]})
            sums.update({f: previous.checksums[f] for f in (old["part"], grids_path(old["part"])) if f in previous.checksums})
        elif (raw["document_id"], Path(raw["source_file"]).suffix.lower()) in refused:
            rejected.append({**refused[(raw["document_id"], Path(raw["source_file"]).suffix.lower())],
                             "source_file": raw["source_file"]})
    return rows, rejected, sums
