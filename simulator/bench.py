"""Measure the simulator's speed: `python -m simulator.bench --days 30 --agents 3000`.

Why a module: the figures in the issue (events per second, wall time of a 30-day world of
3,000 agents) must be re-measurable with one command; the machine's load is printed beside
them, since on 2 shared cores other jobs change the wall time far more than any code change.

Measured 2025-11 on the 2-core development machine, shared with other jobs (load average 4-12):
`python -m simulator.bench --days 30 --agents 3000 --repeat 3` gave 6.64M events in 55.9 s
(119k events/s, 88 s CPU) at best, 134 s median; the same 7-day world took 24 s of CPU against
33 s before the line templates and Polars gzip (about 15 us of CPU per event on a busy machine:
a third line templates, a third gzip, a third generating the world).

Since then (issue 3): ISA-L gzip by blocks (about 1 us of CPU per event instead of 2.5-3), a
10M-event day (170k agents) in bounded memory, and this command sets Polars' allocator
(jemalloc) to keep freed pages for 10 s (`_RJEM_MALLOC_CONF`, unless already set), which halves
the system time spent re-faulting them (7-day world: 6.7 -> 3.3 s of 24) for about 0.5 GB more
RSS; it only takes effect when this module is the entry point (before Polars is loaded).
See the figures in the issue's report: every run on this machine was at load 5-7.
"""

from __future__ import annotations

import os

# before Polars is imported (see the docstring); `python -m simulator.bench` only
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from simulator.world import simulate  # noqa: E402


def run(days: int, agents: int, seed: int = 1, start: date = date(2025, 11, 3),
        out: Path | None = None) -> dict:
    """One timed world in a scratch folder (deleted afterwards unless `out` is given)."""
    scratch = out is None
    out = Path(tempfile.mkdtemp(prefix="vigie-bench-")) if scratch else out
    try:
        load = os.getloadavg()[0]
        wall, cpu, t0 = time.perf_counter(), time.process_time(), os.times()
        summary = simulate(start, days, agents, seed, out)
        wall, cpu, t1 = time.perf_counter() - wall, time.process_time() - cpu, os.times()
        size = sum(p.stat().st_size for p in (out / "inbox").iterdir())
    finally:
        if scratch:
            shutil.rmtree(out, ignore_errors=True)
    return {"days": days, "agents": agents, "events": summary.events, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "sys_s": round(t1.system - t0.system, 1),
            "events_per_s": round(summary.events / wall),
            "inbox_mb": round(size / 1e6), "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--agents", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        r = run(args.days, args.agents, args.seed)
        runs.append(r)
        print(r, flush=True)
    if len(runs) > 1:
        walls = [r["wall_s"] for r in runs]
        rates = [r["events_per_s"] for r in runs]
        print(f"wall best {min(walls)} s, median {statistics.median(walls)} s; "
              f"events/s best {max(rates):,}, median {statistics.median(rates):,.0f}")


if __name__ == "__main__":
    main()
