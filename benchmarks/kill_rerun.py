"""The kill-and-rerun loop: `xxgk run` killed with SIGKILL at random points, each time run
again, and the warehouse compared with a clean run's.

    .venv/bin/python -m benchmarks.kill_rerun [--kills 10] [--seed 1] [--inbox FOLDER]

One Dagster home and one warehouse serve every round, as on an operator's machine: the dead
runs pile up and every rerun has to get past them. Each round: start `xxgk run`, kill it
(SIGKILL, the command alone, as the OOM killer does) after a random time between 0.5 s
and 95 % of the last run's wall time, then run it again to the end. The round passes when the
rerun exits 0, the warehouse's tables (`v_disclosure_facts`, `dim_document`, `fact_report`,
`rejected_document`: rows and an ordered hash) equal the clean run's, no process of the
killed run is left, and no writer slot is held. Prints one line per round and a summary.
The default inbox is the two reports of tests/pipelines/test_recovery.py (2023 and 2024).
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.pipelines.xxgk_process import (
    gone_within,
    kill,
    new_setup,
    run,
    start,
    warehouse_digest,
    writer_slot_holders,
)
from xxgk import SAMPLES_DIR


def default_inbox(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "qidong-office-2023.txt", folder)
    text = (SAMPLES_DIR / "dongning-2023.txt").read_text(encoding="utf-8")
    (folder / "dongning-2024.txt").write_text(text.replace("2023", "2024").replace("2022", "2023"), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--inbox", type=Path, help="folder of reports (default: two text reports, 2023 and 2024)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="xxgk-kill-rerun-") as work:
        work = Path(work)
        inbox = args.inbox or default_inbox(work / "inbox")
        clean = new_setup(work / "clean", inbox)
        t0 = time.monotonic()
        done = run(clean)
        clean_seconds = time.monotonic() - t0
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        reference = warehouse_digest(clean.warehouse)
        print(f"clean run: {clean_seconds:.1f} s; {reference}")
        setup = new_setup(work / "killed", inbox)
        passed, reruns = 0, []
        for n in range(1, args.kills + 1):
            # within the run as long as it takes now (the machine's speed drifts): the last rerun's time
            delay = rng.uniform(0.5, 0.95 * (reruns[-1] if reruns else clean_seconds))
            proc = start(setup)
            time.sleep(delay)
            alive = proc.poll() is None
            kill(proc)
            out = proc.stdout.read()
            phase = (out.strip().splitlines() or ["(nothing printed yet)"])[-1].strip()[:60]
            held = len(writer_slot_holders(setup.instance()))
            t1 = time.monotonic()
            again = run(setup)
            reruns.append(time.monotonic() - t1)
            left = gone_within(setup, seconds=10)
            same = again.returncode == 0 and warehouse_digest(setup.warehouse) == reference
            slots = writer_slot_holders(setup.instance())
            recovered = again.stderr.count("died with its process")
            ok = same and not left and not slots
            passed += ok
            print(f"kill {n:2}: after {delay:5.1f} s{'' if alive else ' (had already ended)'} at '{phase}'; "
                  f"writer slot held: {held}; rerun rc {again.returncode} in {reruns[-1]:.1f} s, "
                  f"dead runs recovered: {recovered}; warehouse {'equal' if same else 'DIFFERENT'}; "
                  f"processes left: {len(left)}; slots held after: {len(slots)}  {'ok' if ok else 'FAILED'}", flush=True)
            if not same:
                print(again.stdout[-2000:], again.stderr[-3000:], file=sys.stderr)
        print(f"\n{passed}/{args.kills} rounds ended with the clean run's warehouse; rerun wall time median "
              f"{statistics.median(reruns):.1f} s, max {max(reruns):.1f} s (clean run {clean_seconds:.1f} s)")
    return 0 if passed == args.kills else 1


if __name__ == "__main__":
    sys.exit(main())
