"""What the throughput benchmark prints: each run, the stages, the summary against the targets."""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from benchmarks.throughput.cells import readers_text
from benchmarks.throughput.common import (
    TARGET_BASELINE_RATIO,
    TARGET_MEMORY_AT,
    TARGET_MEMORY_BYTES,
    TARGET_REPORTS_PER_HOUR_PER_CORE,
    TARGET_S_PER_REPORT,
    TARGET_SPEEDUP,
    mark,
    mb,
    median,
    say,
)
from benchmarks.throughput.stages import READ1


def show(run: dict, label: str, count: int, check: dict | None, max_other_load: float) -> None:
    """One end-to-end run: times, memory, phases, steps, and how busy the rest of the machine was."""
    phases = ", ".join(f"{k.split(' (')[0]} {v:.1f}" for k, v in run["phases"].items())
    say(f"  {label}: wall {run['wall_s']:6.1f} s ({run['wall_s'] / count:.3f} s/report), CPU {run['cpu_s']:6.1f} s "
        f"({run['cpu_s'] / run['wall_s']:.2f} cores busy), peak tree RSS {mb(run['tree_rss_peak'])} / PSS {mb(run['tree_pss_peak'])}, "
        f"largest process {mb(run['largest_process_maxrss'])}, {run['max_procs']} processes"
        + (f"; cells {check['right']}/{check['total']}" if check else ""))
    flag = "  [STILL LOADED after retries]" if run["other_cores"] > max_other_load else ""
    if not run["subreaper"]:
        flag += "  [no subreaper: the workers' CPU is not counted, and counted as the rest of the machine's]"
    say(f"        phases (s): {phases};  rest of the machine: {run['other_cores']:.2f} cores busy, steal {run['steal_cores']:.2f}{flag}")
    say("        Dagster steps (s): " + ", ".join(f"{k} {v:.1f}" for k, v in run["steps"].items()))
    say("        peak tree RSS by phase: " + ", ".join(f"{k.split(' (')[0]} {mb(v)}" for k, v in run["phase_peak"].items()))
    if run.get("step_peak"):
        say("        peak tree RSS by Dagster step: " + ", ".join(f"{k} {mb(v)}" for k, v in run["step_peak"].items()))
    if run.get("peak_each"):
        by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for role, r, p in run["peak_each"]:
            by_role[role][0] += 1
            by_role[role][1] += r
            by_role[role][2] += p
        say("        at the peak, RSS / PSS by process: " + "; ".join(
            f"{role}{f' x{n}' if n > 1 else ''} {mb(r)} / {mb(p)}" for role, (n, r, p) in
            sorted(by_role.items(), key=lambda kv: -kv[1][1])))


def describe(root: Path, pdfs: list[Path]) -> None:
    """The corpus: templates, pages, size."""
    with open(root / "reports.csv", encoding="utf-8") as fh:
        meta = list(csv.DictReader(fh))
    pages = sum(int(r["pages"]) for r in meta)
    templates = defaultdict(int)
    for r in meta:
        templates[r["template"]] += 1
    say(f"        {len(pdfs)} reports ({', '.join(f'{v} x {k} template' for k, v in sorted(templates.items()))}), {pages} pages "
        f"({pages / len(pdfs):.1f} a report), {sum(p.stat().st_size for p in pdfs) / len(pdfs) / 1024:.0f} KB a report")


def print_stages(stages: dict, n: int) -> None:
    """4. the stage functions in process: what they read, the cells, the time of each."""
    say(f"  {stages['documents']} reports, {stages['rejected']} rejected, years {stages['years']}, {stages['cells']} cells extracted")
    say("  readers (raw store): " + ", ".join(f"{r}: {k}" for r, k in stages["readers"]))
    for reader, why, k in stages["reader_checks"][:6]:
        say(f"    {k:6d}  {reader:<16} {why[:110]}")
    pd, pw, pt = stages["pdfplumber_pages"]
    say(f"  pdfplumber read {pd} of {n} documents (fallback or verification): {pw} of their {pt} pages (page 1 + table pages)")
    ac = stages["all_cells"]
    say(f"  cells right, in process, every document (superseded versions too): {ac['right']} / {ac['total']}")
    if ac["wrong"].height:
        for r in ac["wrong"].head(10).iter_rows(named=True):
            say(f"    {r['file']}  {r['category_code']}  {r['applicant_type'] or '-'}  {r['measure']}: expected {r['printed']!r}, got "
                + ("nothing" if r["got_printed"] is None else f"{r['got_printed']!r} ({r['got_value']})"))
    total = sum(stages["stages"].values())
    for name, secs in stages["stages"].items():
        say(f"  {name:<62} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report  {secs / total:5.1%}")
    say(f"  {'sum':<62} {total:7.2f} s  {total / n * 1000:7.1f} ms/report")
    say(f"  GX import (import great_expectations, once per process)       {stages['gx_import']:7.2f} s")
    say(f"  GX ephemeral context + 2 suites (once per process)             {stages['gx_setup']:7.2f} s")
    say(f"  warm-up before the clock (imports, 2 reports read both ways)   {stages['warm']:7.2f} s")
    one = {stages["stage_of"].get(k, k): v for k, v in stages["stages"].items()}
    for name, (stage, secs) in stages["extra"].items():
        speed = f"  (speed-up {one[stage] / secs:.2f}x over 1 worker)" if stage in one else ""
        say(f"  {name:<62} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report{speed}")
    say("  on disk per report: " + ", ".join(f"{k} {v / n / 1024:.1f} KB" for k, v in stages["store_bytes"].items())
        + "; pickled between Dagster steps: " + ", ".join(f"{k} {v / n:.0f} B" for k, v in stages["pickled_bytes"].items()))



def print_summary(n: int, font_text: str, repeat: int, workers: list[int], runs: dict[int, list[dict]],
                  half_runs: dict[int, dict], checks: list[dict], readers_seen: set[str], stages: dict | None,
                  base: dict | None, mrun: dict | None) -> None:
    """6. medians per worker count, against the targets."""
    n_half = n // 2
    keys = ("wall_s", "cpu_s", "tree_rss_peak", "tree_pss_peak", "largest_process_maxrss", "other_cores")
    med = {w: {k: median([r[k] for r in runs[w]]) for k in keys} for w in workers}
    phase_names = list(runs[workers[0]][0]["phases"])
    step_names = list(dict.fromkeys(k for w in workers for r in runs[w] for k in r["steps"]))
    marginal = {w: (med[w]["wall_s"] - half_runs[w]["wall_s"]) / (n - n_half) for w in half_runs}
    say(f"\n== summary: {n} synthetic text-layer reports ({font_text}), medians of {repeat} runs ==")
    say(f"  {'':<44}" + "".join(f"{f'workers={w}':>18}" for w in workers))
    rows = [
        ("wall time (s)", lambda w: f"{med[w]['wall_s']:.1f}"),
        ("  each run (s)", lambda w: " ".join(f"{r['wall_s']:.1f}" for r in runs[w])),
        ("  fastest run (s) (least disturbed)", lambda w: f"{min(r['wall_s'] for r in runs[w]):.1f}"),
        *[(f"  {p.split(' (')[0]} (s)", (lambda p: lambda w: f"{median([r['phases'].get(p, float('nan')) for r in runs[w]]):.1f}")(p))
          for p in phase_names],
        ("    first year job (GX import) (s)", lambda w: f"{median([r['year_times'][0] for r in runs[w] if r['year_times']]):.1f}"),
        ("    each later year job (s)", lambda w: f"{median([t for r in runs[w] for t in r['year_times'][1:]]):.1f}"),
        ("  time per Dagster step (s, all years):", lambda w: ""),
        *[(f"    {s_}", (lambda s_: lambda w: f"{median([r['steps'].get(s_, 0.0) for r in runs[w]]):.1f}")(s_)) for s_ in step_names],
        ("s per report (wall / N)", lambda w: f"{med[w]['wall_s'] / n:.3f}"),
        ("core-s per report (wall x workers / N)", lambda w: f"{med[w]['wall_s'] * w / n:.3f}"),
        ("CPU s per report (all processes)", lambda w: f"{med[w]['cpu_s'] / n:.3f}"),
        ("reports/hour", lambda w: f"{n / med[w]['wall_s'] * 3600:,.0f}"),
        ("reports/hour per core", lambda w: f"{n / med[w]['wall_s'] * 3600 / w:,.0f}"),
        ("reports per CPU-hour (N / CPU s)", lambda w: f"{n / med[w]['cpu_s'] * 3600:,.0f}"),
    ]
    if half_runs:
        rows += [
            (f"marginal s/report ({n_half}->{n} reports)", lambda w: f"{marginal[w]:.3f}" if w in marginal else "-"),
            ("  -> reports/hour per core", lambda w: f"{3600 / marginal[w] / w:,.0f}" if w in marginal and marginal[w] > 0 else "-"),
            ("fixed cost per run (s)", lambda w: f"{med[w]['wall_s'] - marginal[w] * n:.1f}" if w in marginal else "-"),
        ]
    rows += [
        ("peak memory, tree RSS", lambda w: mb(med[w]["tree_rss_peak"])),
        *[(f"  in {p.split(' (')[0]}", (lambda p: lambda w: mb(median([r['phase_peak'].get(p, 0) for r in runs[w]])))(p))
          for p in phase_names],
        ("peak memory, tree PSS", lambda w: mb(med[w]["tree_pss_peak"])),
        ("peak memory, largest process", lambda w: mb(med[w]["largest_process_maxrss"])),
        ("staging stores on disk (MB)", lambda w: f"{median([r['staging_bytes'] for r in runs[w]]) / 2**20:.1f}"),
        ("Dagster IO manager pickles (KB)", lambda w: f"{median([sum(r['io_manager_bytes'].values()) for r in runs[w]]) / 1024:.0f}"),
        ("rest of machine busy (cores)", lambda w: f"{med[w]['other_cores']:.2f}"),
    ]
    if base:
        rows.append(("naive baseline / pipeline (s/report)", lambda w: f"{base['seconds'] / med[w]['wall_s']:.2f}x"))
    for label, fn in rows:
        say(f"  {label:<44}" + "".join(f"{fn(w):>18}" for w in workers))
    if base:
        say(f"  naive baseline: {base['seconds'] / n:.3f} s/report (1 process)")
    say(f"  documents by reader (dim_document): {readers_text(checks[0]['readers'])}"
        + ("" if len(readers_seen) == 1 else f"  [runs differ: {' | '.join(sorted(readers_seen))}]"))

    say("\n  targets:")
    for w in workers:
        rate = n / med[w]["wall_s"] * 3600 / w
        say(f"  - ≥ {TARGET_REPORTS_PER_HOUR_PER_CORE:,} text-layer reports/hour/core (≤ {TARGET_S_PER_REPORT} s/report), end to end, "
            f"workers={w}{f' (divided by {w})' if w > 1 else ''}: {rate:,.0f}/h/core = {med[w]['wall_s'] * w / n:.3f} core-s/report "
            f"-> {mark(rate >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
        if w in marginal and marginal[w] > 0:
            r2 = 3600 / marginal[w] / w
            say(f"      without the fixed cost per run (marginal, {n_half}->{n} reports): {r2:,.0f}/h/core = "
                f"{marginal[w] * w:.3f} core-s/report -> {mark(r2 >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
    if stages:
        steady = sum(stages["stages"].values())
        say(f"      in-process stage sum (no Dagster, no imports): {steady / n:.3f} s/report = {n / steady * 3600:,.0f}/h/core "
            f"-> {mark(n / steady * 3600 >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
    if base:
        say(f"  - ≥ {TARGET_BASELINE_RATIO}x the naive baseline ({base['seconds'] / n:.3f} s/report, 1 process), end to end: "
            + "; ".join(f"workers={w} {base['seconds'] / med[w]['wall_s']:.2f}x -> {mark(base['seconds'] / med[w]['wall_s'] >= TARGET_BASELINE_RATIO)}"
                        for w in workers))
        if stages:
            ing = stages["stages"][READ1]
            say(f"      reading alone (read_inbox, in process, 1 worker): {ing / n:.3f} s/report -> {base['seconds'] / ing:.2f}x the baseline")
    if 1 in workers and 2 in workers:
        sp = med[1]["wall_s"] / med[2]["wall_s"]
        say(f"  - ≥ {TARGET_SPEEDUP}x speed-up 1 -> 2 workers, end to end: {sp:.2f}x (medians; pairs of runs: "
            + ", ".join(f"{a['wall_s'] / b['wall_s']:.2f}x" for a, b in zip(runs[1], runs[2])) + f") -> {mark(sp >= TARGET_SPEEDUP)}")
        if 1 in marginal and 2 in marginal and marginal[2] > 0:
            say(f"      marginal per-report cost: {marginal[1] / marginal[2]:.2f}x")
        if stages and stages["extra"]:
            one = {stages["stage_of"].get(k, k): v for k, v in stages["stages"].items()}
            parts = [f"{stage} {one[stage] / secs:.2f}x" for _, (stage, secs) in stages["extra"].items() if stage in one]
            pool = [secs for _, (stage, secs) in stages["extra"].items() if stage == "pool"]
            say("      in process, stage by stage: " + ", ".join(parts)
                + (f" (fork server + workers start {pool[0]:.2f} s once per process, workers {pool[-1]:.2f} s each stage:"
                   " in the stage times)" if pool else ""))
    for w in workers:
        peak, pss = med[w]["tree_rss_peak"], med[w]["tree_pss_peak"]
        head = f"  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={w}:"
        if n >= TARGET_MEMORY_AT:
            say(f"{head} MEASURED at {n:,}: tree RSS {mb(peak)} (PSS {mb(pss)}) -> {mark(peak < TARGET_MEMORY_BYTES)}")
        elif w in half_runs:
            slope = (peak - half_runs[w]["tree_rss_peak"]) / (n - n_half)
            slope_pss = (pss - half_runs[w]["tree_pss_peak"]) / (n - n_half)
            est = peak + max(slope, 0) * (TARGET_MEMORY_AT - n)
            est_pss = pss + max(slope_pss, 0) * (TARGET_MEMORY_AT - n)
            say(f"{head} EXTRAPOLATED, not measured: tree RSS {mb(half_runs[w]['tree_rss_peak'])} at {n_half}, {mb(peak)} at {n} reports "
                f"-> {slope / 1024:,.1f} KB/report -> ~{est / 2**30:.2f} GB at {TARGET_MEMORY_AT:,} (PSS: ~{est_pss / 2**30:.2f} GB) "
                f"-> {mark(est < TARGET_MEMORY_BYTES)} (linear extrapolation from {n} reports)")
            say(f"      (the two peaks differ by {(peak - half_runs[w]['tree_rss_peak']) / 2**20:+,.0f} MB, PSS "
                f"{(pss - half_runs[w]['tree_pss_peak']) / 2**20:+,.0f} MB: one run each, so a difference of a few tens of MB "
                f"is run-to-run noise, multiplied by {(TARGET_MEMORY_AT - n) / (n - n_half):,.0f} here; --memory-run measures)")
        else:
            say(f"{head} tree RSS {mb(peak)} at {n} reports; no scaling run, cannot extrapolate -> n/a")
    if mrun:
        say(f"  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={mrun['workers']}: MEASURED at {mrun['n']:,} reports: "
            f"tree RSS {mb(mrun['tree_rss_peak'])} (PSS {mb(mrun['tree_pss_peak'])}, largest process "
            f"{mb(mrun['largest_process_maxrss'])}) -> {mark(mrun['tree_rss_peak'] < TARGET_MEMORY_BYTES)}"
            + ("" if mrun["n"] >= TARGET_MEMORY_AT else f" (at {mrun['n']:,}, fewer than {TARGET_MEMORY_AT:,})"))
        say(f"      that run: wall {mrun['wall_s']:.1f} s = {mrun['n'] / mrun['wall_s'] * 3600 / mrun['workers']:,.0f} reports/hour/core; "
            f"cells right {mrun['check']['right']} / {mrun['check']['total']}")
    elif n < TARGET_MEMORY_AT:
        say(f"      (not measured at {TARGET_MEMORY_AT:,}: add --memory-run {TARGET_MEMORY_AT} for one measured run)")
    worst = min(checks, key=lambda c: c["right"])
    say(f"  - 100% of generated cells right, in v_disclosure_facts: {worst['right']} / {worst['total']} (worst of {len(checks)} runs) -> "
        f"{mark(all(c['right'] == c['total'] for c in checks))}")
    if worst["superseded_cells"]:
        say(f"      the {worst['superseded_cells']} missing cells are those of {worst['superseded_files'].height} superseded second reports of an "
            f"agency-year (one document per agency-year, by design); of the documents loaded: "
            f"{worst['loaded_right']} / {worst['loaded_total']} -> {mark(worst['loaded_right'] == worst['loaded_total'])}")
    if stages:
        ac = stages["all_cells"]
        say(f"      extraction of every document, in process (superseded ones too): {ac['right']} / {ac['total']} -> "
            f"{mark(ac['right'] == ac['total'])}")
