"""Throughput of the real pipeline on synthetic text-layer report PDFs, against the targets.

    .venv/bin/python -m benchmarks.throughput [--reports N] [--repeat R] [--workers 1,2] [--no-embed]
                                              [--memory-run M] [--memory-only] [--profile]

Prints figures; asserts nothing about time (this is a benchmark, not a test). In order:

1. a corpus of N synthetic PDFs of both templates (tests/fixtures/synthetic.write_corpus via
   `python -m tests.fixtures.synthetic OUT N SEED`), cached in $TMPDIR/xxgk-bench/ under a
   key of N, seed, whether a CJK font is embedded (fonts-wqy-microhei when installed, as
   published PDFs do; `--no-embed`: reportlab's non-embedded STSong-Light, which makes
   the pipeline fall back to pdfplumber for every file) and the generator's source hash;
2. end to end: `python -m pipelines.cli run` as a subprocess, per worker count
   (XXGK_WORKERS; XXGK_VERIFY_SHARE as in production unless --verify-share; XXGK_STAGING
   in the run's temporary folder), each run with a fresh DAGSTER_HOME (dagster.yaml
   copied, instance created before the clock starts), a fresh warehouse and Data Docs
   off; wall time, CPU time, peak memory, the time of each Dagster step (from the run's
   event log); R repeats, worker counts alternated (ABBA), medians;
3. every generated cell checked against v_disclosure_facts (value and printed text), and
   from dim_document (reader, reader_check) how many documents each PDF reader read;
4. time per stage, in process, on the same files, through the streaming stage functions
   the assets call (xxgk.inbox.read_inbox -> xxgk.normalise.normalise_store ->
   xxgk.extract.year.extract_store -> expectations.gates.validate_report_batches ->
   warehouse.loader.load_years + validate_year_carry), 1 worker, then reading, normalising
   and extracting again with 2 workers; the cells of *every* document (superseded
   versions too) checked against expected.csv;
5. the naive baseline: pdfplumber.open + page.extract_tables() on every page, 1 process;
6. a summary against the targets;
7. with --memory-run M: one end-to-end run with --memory-workers (default 2) on a corpus of
   M reports, its peak memory printed as MEASURED next to the linear extrapolation from N/2 and N
   (--memory-only: that run and nothing else);
8. with --profile: cProfile of read + normalise + extract on ~50 reports, 1 process.

How long it takes here (2 cores): about 260 s of fixed cost (8 end-to-end runs at ~30 s of
start-up, GX import, 6 year jobs and cell check each) plus ~1.0-1.2 s per report (3 + 3 runs,
the N/2 scaling runs, the in-process stages at 1 and 2 workers, and the naive baseline at
~0.25-0.37 s a report, which alone is a quarter of it). So the default N = 500 takes ~13-15
minutes on a quiet machine (N = 1000 would take ~22-25 min, hence not the default), plus
~50 s to generate the corpus the first time (~0.1 s a PDF, ~82 KB each; cached after).
`--memory-run 10000` adds ~15 min to generate that corpus once (~0.8 GB on disk, cached)
and one run of ~10 min. On a shared machine each measurement first waits up to
--quiet-wait s for the others to go quiet, and a run is redone (at most --retries times)
when they kept more than --max-other-load cores busy: add up to that much.

Peak memory is measured without psutil (not installed in the venv), two ways:
- "tree RSS" (used for the target): the sum of RSS over the run's process tree (the CLI,
  the forkserver and its worker processes), sampled from /proc/<pid>/smaps_rollup every
  --poll seconds; it can miss a spike shorter than the interval, and counts the pages the
  workers share with the forkserver once per process (an over-statement); "tree PSS" is
  the same sum with shared pages split;
- "largest process": getrusage(RUSAGE_CHILDREN).ru_maxrss in a fresh wrapper process per
  run (benchmarks/_rusage_wrapper.py): exact, but the peak of the largest single process.

The machine may be shared: before each measurement the script waits (up to --quiet-wait
seconds) for the rest of the machine to go quiet, and prints how many cores the rest of
the machine kept busy during each run. The code fingerprint in the header hashes the
pipeline's sources, so a set of figures can be tied to the code it measured.
"""
