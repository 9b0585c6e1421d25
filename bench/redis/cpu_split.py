#!/usr/bin/env python3
"""Runs a command and prints, as one JSON line on stderr-free stdout, how much CPU each part of the benchmark
machine spent meanwhile: the command itself (the load generator or pgbench), sql-jobber, redis-server and
PostgreSQL (live backends plus those that exited, which the postmaster's children times hold), in seconds.

Usage: cpu_split.py OUT_JSON -- COMMAND [ARGS...]
The command's stdout passes through unchanged; the split goes to OUT_JSON. On a 2-core machine the split says
where a job's CPU goes, which a jobs/s figure alone cannot: every millisecond the queue spends is one PostgreSQL
does not get."""
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
GROUPS = {"sql-jobber": "sql-jobber", "redis-server": "redis", "postgres": "postgres"}


def snapshot():
    """CPU seconds by group: utime+stime of live processes, plus cutime+cstime of PostgreSQL's postmaster (its
    backends that exited meanwhile) so a client's short-lived connections are not lost."""
    totals = {name: 0.0 for name in GROUPS.values()}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is the state (stat field 3): utime, stime, cutime, cstime are stat fields 14-17.
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        group = GROUPS.get(comm)
        if group is None and comm.startswith("postgres"):
            group = "postgres"
        if group is None:
            continue
        ticks = utime + stime
        if group == "postgres" and is_postmaster(fields):
            ticks += cutime + cstime
        totals[group] += ticks / TICK
    return totals


def machine_busy():
    """CPU seconds the whole machine spent busy (not idle or waiting for I/O), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICK


def is_postmaster(fields):
    # The postmaster is the postgres process whose parent is not a postgres process.
    try:
        with open("/proc/%s/stat" % fields[1]) as f:
            raw = f.read()
    except OSError:
        return True
    return not raw[raw.index("(") + 1 : raw.rindex(")")].startswith("postgres")


def main():
    out, command = sys.argv[1], sys.argv[3:]
    before, busy_before = snapshot(), machine_busy()
    started = time.monotonic()
    rc = subprocess.call(command)
    seconds = time.monotonic() - started
    time.sleep(0.2)  # the postmaster reaps the client's backends
    after, busy_after = snapshot(), machine_busy()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    split = {name: round(after[name] - before[name], 3) for name in before}
    split["client"] = round(usage.ru_utime + usage.ru_stime, 3)
    split["machine"] = round(busy_after - busy_before, 3)
    split["wall"] = round(seconds, 3)
    with open(out, "w") as f:
        json.dump(split, f)
    sys.exit(rc)


if __name__ == "__main__":
    main()
