"""1. The corpus: synthetic report PDFs, generated once per size, seed, font and generator."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.throughput.common import PROJECT_ROOT, PY, SYNTHETIC, say


# The CJK font the generator embeds when it is installed (tests/fixtures/synthetic.EMBEDDABLE_FONT;
# Debian package fonts-wqy-microhei). Read from the generator so the two never disagree.
def embeddable_font() -> Path:
    m = re.search(r'EMBEDDABLE_FONT = Path\("([^"]+)"\)', SYNTHETIC.read_text(encoding="utf-8"))
    return Path(m.group(1)) if m else Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def corpus(n: int, seed: int, cache_root: Path, embed: bool = True) -> tuple[Path, str]:
    """cache_root/n{N}-seed{S}-{font}-{hash}/ with inbox/*.pdf, expected.csv, reports.csv, corpus.json
    (made once). Returns (folder, font description). `embed`: embed the CJK font when installed."""
    font = embeddable_font()
    embedded = embed and font.is_file()
    tag = f"embed-{re.sub(r'[^A-Za-z0-9]+', '', font.stem)}" if embedded else "noembed"
    font_text = (f"CJK font embedded ({font.name}, subset)" if embedded else
                 "CJK font NOT embedded (reportlab STSong-Light)" + ("" if not embed else f"; {font} is not installed"))
    # the generator and the modules it is split into
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SYNTHETIC.parent.glob("*.py")))).hexdigest()[:10]
    final = cache_root / f"n{n}-seed{seed}-{tag}-{digest}"
    if (final / "corpus.json").is_file() and len(list((final / "inbox").glob("*.pdf"))) == n:
        say(f"corpus: {n} PDFs (seed {seed}), {font_text}; reused from {final}")
        return final, font_text
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=cache_root))
    t0 = time.perf_counter()
    say(f"corpus: generating {n} PDFs (seed {seed}), {font_text} (~0.09 s a PDF) ...")
    # in a subprocess: keeps reportlab and the generator out of this process's memory
    out = subprocess.run([PY, "-m", "tests.fixtures.synthetic", str(work / "inbox"), str(n), str(seed),
                          *([] if embedded else ["--no-embed"])],
                         cwd=PROJECT_ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    for name in ("expected.csv", "reports.csv"):  # the inbox holds the PDFs only
        (work / "inbox" / name).rename(work / name)
    (work / "corpus.json").write_text(json.dumps({"n": n, "seed": seed, "embedded_font": str(font) if embedded else None,
                                                  "generator": digest, "generator_said": out}, indent=1))
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    say(f"corpus: {n} PDFs generated in {time.perf_counter() - t0:.1f} s -> {final}  [{out.splitlines()[-1] if out else ''}]")
    return final, font_text


def sub_inbox(pdfs: list[Path], where: Path) -> Path:
    """A folder holding (hard links to) some of the PDFs, for the memory-scaling run."""
    where.mkdir(parents=True, exist_ok=True)
    for p in pdfs:
        try:
            os.link(p, where / p.name)
        except OSError:
            os.symlink(p, where / p.name)
    return where
