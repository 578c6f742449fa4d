"""A warehouse for the BI tests: the six samples plus qidong's 2023 report re-dated 2024 under a
shorter name of the same agency (启东市政府办公室), with three figures changed by hand:
新收 159 -> 167, 予以公开 42 -> 50, 总计 162 -> 170 (natural person and total columns). Its
上年结转 stays 3 while 2023 carried 0 forward: an XY_CARRY finding, found only if the two names
are paired as one agency."""
from __future__ import annotations

import io
import os
import shutil
from contextlib import redirect_stdout
from pathlib import Path

from tests.conftest import SAMPLE_FILES

QIDONG = next(p for p in SAMPLE_FILES if "qidong" in p.name)


def _set_after(text: str, label: str, values: list[str]) -> str:
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if label in line)
    todo = list(values)
    for i in range(at + 1, len(lines)):
        if not todo:
            break
        if lines[i].strip().isdigit():
            lines[i] = todo.pop(0) or lines[i]
    return "\n".join(lines)


def qidong_2024() -> str:
    text = QIDONG.read_text(encoding="utf-8").replace("2023", "2024").replace("啟東市人民政府辦公室", "啟東市政府辦公室")
    text = _set_after(text, "一、本年新收", ["167", "", "", "", "", "", "167"])
    text = _set_after(text, "(一)予以公開", ["50", "", "", "", "", "", "50"])
    return _set_after(text, "(七)總計", ["170", "", "", "", "", "", "170"])


def build(root: Path) -> dict[str, str]:
    from assets.resources import PROJECT_ROOT
    from pipelines.cli import main

    inbox = root / "inbox"
    inbox.mkdir()
    for path in SAMPLE_FILES:
        shutil.copy(path, inbox)
    (inbox / "qidong-office-2024.txt").write_text(qidong_2024(), encoding="utf-8")
    home = root / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {"XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(root / "w.duckdb"), "DAGSTER_HOME": str(home),
           "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_OVERVIEW": str(root / "overview")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["run"]) == 0, out.getvalue()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {**env, "output": out.getvalue()}
