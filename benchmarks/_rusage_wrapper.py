"""Run one command as a child, time it, and record the child tree's CPU time and ru_maxrss.

    python benchmarks/_rusage_wrapper.py RESULT.json LINES.log STDERR.log -- CMD ...

A fresh wrapper per measured run, so resource.getrusage(RUSAGE_CHILDREN) covers that
run's processes only. The wrapper makes itself a child subreaper (Linux prctl
PR_SET_CHILD_SUBREAPER), so processes the command leaves behind — the multiprocessing
forkserver outlives the CLI by a moment, and its workers are its children, not the
CLI's — are reparented to the wrapper and reaped by it: their CPU time and peak RSS are
counted too (without this a 2-worker run would not count its workers' CPU at all).

On Linux ru_maxrss of RUSAGE_CHILDREN is the peak RSS of the *largest single* waited-for
descendant, not the sum over the tree. The child's stdout lines are timestamped (seconds
since the child started) so the caller can split the wall time into the phases the
command prints. The wall time ends when the command exits.
"""
import ctypes
import json
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(timeout: float = 30.0) -> int:
    """Wait for the descendants reparented to this process (at most `timeout` s); how many."""
    reaped, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left
        if pid == 0:
            time.sleep(0.02)
        else:
            reaped += 1
    return reaped


def main() -> int:
    result_path, lines_path, stderr_path, sep, *cmd = sys.argv[1:]
    assert sep == "--" and cmd
    subreaper = become_subreaper()
    lines = []
    with open(stderr_path, "wb") as err:
        t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the caller's perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        for raw in proc.stdout:
            lines.append([round(time.perf_counter() - t0, 4), raw.decode("utf-8", "replace").rstrip("\n")])
        rc = proc.wait()
        wall = time.perf_counter() - t0
    orphans = reap_orphans() if subreaper else 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(lines_path, "w", encoding="utf-8") as fh:
        json.dump(lines, fh, ensure_ascii=False)
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump({"rc": rc, "wall_s": wall, "t0": t0, "maxrss_kb": usage.ru_maxrss,
                   "user_s": usage.ru_utime, "sys_s": usage.ru_stime, "subreaper": subreaper,
                   "orphans_reaped": orphans}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
