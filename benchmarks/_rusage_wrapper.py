"""Run one command as a child, time it, and record the child tree's ru_maxrss.

    python benchmarks/_rusage_wrapper.py RESULT.json LINES.log STDERR.log -- CMD ...

A fresh wrapper per measured run, so resource.getrusage(RUSAGE_CHILDREN) covers that
run's processes only. On Linux ru_maxrss of RUSAGE_CHILDREN is the peak RSS of the
*largest single* waited-for descendant, not the sum over the tree. The child's stdout
lines are timestamped (seconds since the child started) so the caller can split the
wall time into the phases the command prints.
"""
import json
import resource
import subprocess
import sys
import time


def main() -> int:
    result_path, lines_path, stderr_path, sep, *cmd = sys.argv[1:]
    assert sep == "--" and cmd
    lines = []
    with open(stderr_path, "wb") as err:
        t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the caller's perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        for raw in proc.stdout:
            lines.append([round(time.perf_counter() - t0, 4), raw.decode("utf-8", "replace").rstrip("\n")])
        rc = proc.wait()
        wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(lines_path, "w", encoding="utf-8") as fh:
        json.dump(lines, fh, ensure_ascii=False)
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump({"rc": rc, "wall_s": wall, "t0": t0, "maxrss_kb": usage.ru_maxrss,
                   "user_s": usage.ru_utime, "sys_s": usage.ru_stime}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
