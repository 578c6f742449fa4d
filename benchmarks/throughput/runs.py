"""2. End to end: one `xxgk run` as a subprocess, its wall and CPU time, its process tree's
memory sampled from /proc, and the time of each Dagster step from the run's event log."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC
from pathlib import Path

from benchmarks.throughput.common import PROJECT_ROOT, PY, WRAPPER, say


def _tree(root: int) -> list[int]:
    """`root`'s descendants (not root itself: that is the wrapper)."""
    children = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children[int(fields[1])].append(int(entry.name))
    out, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _rss_pss_each(pids: list[int]) -> dict[int, tuple[int, int]]:
    """RSS and PSS (bytes) of each of `pids`. PSS splits pages shared between the forked
    workers and their parent, so it does not count them twice as RSS does."""
    out: dict[int, tuple[int, int]] = {}
    for pid in pids:
        rss = pss = 0
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss = int(line.split()[1]) * 1024
                    elif line.startswith(b"Pss:"):
                        pss = int(line.split()[1]) * 1024
        except OSError:
            continue
        out[pid] = (rss, pss)
    return out


def _role(pid: int) -> str:
    """What a process of the run's tree is, from its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    argv = cmd.split()
    if "_rusage_wrapper" in " ".join(argv[:2]):
        return "wrapper"
    if "forkserver" in cmd:  # the workers are forked from it: the same command line
        return "forkserver + workers"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "pipelines.cli" in " ".join(argv[:4]):
        return "xxgk run (Dagster, GX, DuckDB)"
    return " ".join(Path(a).name for a in argv[:3])[:40]


class TreeSampler(threading.Thread):
    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = self.samples = self.max_procs = 0
        self.timeline: list[tuple[float, int, int]] = []
        self.peak_each: list[tuple[str, int, int]] = []
        self.wall_minus_perf = time.time() - time.perf_counter()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            pids = _tree(self.root)
            each = _rss_pss_each(pids)
            rss, pss = sum(r for r, _ in each.values()), sum(p for _, p in each.values())
            if rss > self.peak_rss:  # who held the memory at the peak
                self.peak_each = [(_role(pid), r, p) for pid, (r, p) in each.items()]
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.timeline.append((time.perf_counter(), rss, pss))
            self.max_procs = max(self.max_procs, len(pids))
            self.samples += 1


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[float, float]:
    """Seconds of CPU busy (all processes on the machine) and stolen by the hypervisor."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """The machine is shared: wait (at most max_wait s) until the others use < threshold cores
    over a 1-second look. Returns the cores they used in the last look."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, _ = cpu_ticks()
        time.sleep(1.0)
        b1, _ = cpu_ticks()
        busy = b1 - b0
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def _phases(lines: list[list]) -> dict[str, float]:
    """Split the CLI's wall time by the lines it prints (timestamps from the wrapper)."""
    t_read = next((t for t, l in lines if l.startswith("[1/2]")), None)
    t_sorted = next((t for t, l in lines if " files, " in l and " reports" in l), None)
    year_lines = [(t, l) for t, l in lines if l.startswith("[2/2]")]
    out: dict[str, float] = {}
    if t_read is not None:
        out["start-up (imports, definitions, instance)"] = t_read
    if t_read is not None and t_sorted is not None:
        out["inbox job (read + normalise + rejects)"] = t_sorted - t_read
    if t_sorted is not None and year_lines:
        out[f"year jobs ({len(year_lines)} years: extract, GX, load)"] = year_lines[-1][0] - t_sorted
    if year_lines and lines:
        out["summary + exit"] = None  # filled in by the caller (needs the wall time)
        out["_last_year_at"] = year_lines[-1][0]
    return out


def step_windows(home: Path) -> list[tuple[str, float, float]]:
    """(step, start, end) of every Dagster step of the runs in `home`, in epoch seconds (the
    event log stores naive UTC)."""
    import sqlite3
    from datetime import datetime

    out = []
    for db in sorted((home / "history" / "runs").glob("*.db")):
        if db.name == "index.db":
            continue
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT dagster_event_type, step_key, timestamp FROM event_logs WHERE dagster_event_type "
                               "IN ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') ORDER BY id").fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            con.close()
        started: dict[str, float] = {}
        for kind, step, ts in rows:
            when = datetime.fromisoformat(str(ts)).replace(tzinfo=UTC).timestamp()
            if kind == "STEP_START":
                started[step] = when
            elif step in started:
                out.append((step, started.pop(step), when))
    return out


def dagster_steps(windows: list[tuple[str, float, float]]) -> dict[str, float]:
    """Seconds of each Dagster step (STEP_START -> STEP_SUCCESS/FAILURE) from step_windows, summed
    over the runs: the time per stage, end to end. A partitioned step (one per year job) is
    summed over the years; steps are listed in the order they first started."""
    out: dict[str, float] = defaultdict(float)
    first: dict[str, float] = {}
    for step, start, end in windows:
        out[step] += end - start
        first[step] = min(first.get(step, start), start)
    return {step: out[step] for step in sorted(out, key=first.__getitem__)}


def io_manager_bytes(storage: Path) -> dict[str, int]:
    """Bytes Dagster's fs_io_manager wrote per asset (what passes between the steps: the stores'
    manifests, pickled), under DAGSTER_HOME/storage."""
    out: dict[str, int] = defaultdict(int)
    for entry in sorted(storage.glob("*")) if storage.is_dir() else []:
        name = "(op outputs of runs)" if re.fullmatch(r"[0-9a-f-]{36}", entry.name) else entry.name
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        out[name] += sum(f.stat().st_size for f in files)
    return dict(out)


def run_end_to_end(inbox: Path, workers: int, poll: float, keep: bool, quiet: float = 0,
                   verify_share: float | None = None) -> dict:
    """One `python -m pipelines.cli run` on `inbox`, fresh instance, warehouse and staging folder."""
    tmp = Path(tempfile.mkdtemp(prefix=f"xxgk-bench-run-w{workers}-"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp / "xxgk.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(warehouse),
           "XXGK_WORKERS": str(workers), "XXGK_STAGING": str(tmp / "staging"),
           "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_DATA_DOCS": str(tmp / "data_docs"), "PYTHONUNBUFFERED": "1"}
    if verify_share is not None:
        env["XXGK_VERIFY_SHARE"] = str(verify_share)
    # the instance (sqlite run/event storage) is created before the clock starts
    subprocess.run([PY, "-c", "from dagster import DagsterInstance; DagsterInstance.get()"],
                   env=env, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = {k: tmp / f"{k}" for k in ("result.json", "lines.json", "stderr.log")}
    cmd = [PY, str(WRAPPER), *map(str, files.values()), "--", PY, "-m", "pipelines.cli", "run"]
    if quiet:
        wait_for_quiet(quiet)
    busy0, steal0 = cpu_ticks()
    self0 = os.times()
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
    sampler = TreeSampler(proc.pid, poll)
    sampler.start()
    proc.wait()
    sampler.done.set()
    sampler.join()
    busy1, steal1 = cpu_ticks()
    self1 = os.times()
    own_cpu = (self1.user - self0.user) + (self1.system - self0.system)  # this process: the /proc sampler
    if not files["result.json"].is_file():
        raise RuntimeError(f"the wrapper failed (rc {proc.returncode}); see {tmp}")
    result = json.loads(files["result.json"].read_text())
    lines = json.loads(files["lines.json"].read_text())
    if result["rc"] != 0:
        say("\n".join(l for _, l in lines[-30:]))
        say(files["stderr.log"].read_text(errors="replace")[-3000:])
        raise RuntimeError(f"`xxgk run` exited with {result['rc']} (workers={workers}); files kept in {tmp}")
    phases = _phases(lines)
    if "_last_year_at" in phases:
        phases["summary + exit"] = result["wall_s"] - phases.pop("_last_year_at")
    # peak tree RSS within each phase (the wrapper's clock and ours are both CLOCK_MONOTONIC)
    phase_peak: dict[str, int] = {}
    start = result["t0"]
    for name, length in phases.items():
        window = [rss for t, rss, _ in sampler.timeline if start <= t < start + length]
        phase_peak[name] = max(window, default=0)
        start += length
    # peak tree RSS within each Dagster step (over its years), the clocks tied by the sampler
    windows = step_windows(home)
    step_peak: dict[str, int] = defaultdict(int)
    for step, t_start, t_end in windows:
        a, b = t_start - sampler.wall_minus_perf, t_end - sampler.wall_minus_perf
        window = [rss for t, rss, _ in sampler.timeline if a <= t <= b]
        step_peak[step] = max(step_peak[step], max(window, default=0))
    sorted_line = next((l.strip() for _, l in lines if " files, " in l and " reports" in l), "")
    year_times = [float(m.group(1)) for _, l in lines if (m := re.search(r" done in ([0-9.]+) s", l))]
    run = {
        "workers": workers,
        "wall_s": result["wall_s"],
        "cpu_s": result["user_s"] + result["sys_s"],
        "tree_rss_peak": sampler.peak_rss,
        "tree_pss_peak": sampler.peak_pss,
        "tree_samples": sampler.samples,
        "max_procs": sampler.max_procs,
        # CPU the rest of the machine used meanwhile (not the run's tree, not this benchmark's sampler), in cores
        "other_cores": max(0.0, (busy1 - busy0) - (result["user_s"] + result["sys_s"]) - own_cpu) / result["wall_s"],
        "sampler_cores": own_cpu / result["wall_s"],
        "steal_cores": (steal1 - steal0) / result["wall_s"],
        "largest_process_maxrss": result["maxrss_kb"] * 1024,
        "subreaper": result.get("subreaper", False),  # False: the workers' CPU is missing from cpu_s
        "phases": phases,
        "year_times": year_times,
        "phase_peak": phase_peak,
        "step_peak": dict(step_peak),
        "peak_each": sampler.peak_each,
        "inbox_line": sorted_line,
        "steps": dagster_steps(windows),
        "staging_bytes": sum(f.stat().st_size for f in (tmp / "staging").rglob("*") if f.is_file()),
        "io_manager_bytes": io_manager_bytes(home / "storage"),
        "warehouse": warehouse,
        "tmp": tmp,
        "keep": keep,
    }
    return run


def cleanup(run: dict) -> None:
    if not run["keep"]:
        shutil.rmtree(run["tmp"], ignore_errors=True)
