"""Measure the simulator's speed: `python -m simulator.bench --days 30 --agents 3000`.

Why a module: the figures in the issue (events per second, wall time of a 30-day world of
3,000 agents) must be re-measurable with one command; the machine's load is printed beside
them, since on 2 shared cores other jobs change the wall time far more than any code change.

Measured 2025-11 on the 2-core development machine, shared with other jobs (load average 4-12):
`python -m simulator.bench --days 30 --agents 3000 --repeat 3` gave 6.64M events in 55.9 s
(119k events/s, 88 s CPU) at best, 134 s median; the same 7-day world took 24 s of CPU against
33 s before the line templates and Polars gzip (about 15 us of CPU per event on a busy machine:
a third line templates, a third gzip, a third generating the world).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from simulator.world import simulate


def run(days: int, agents: int, seed: int = 1, start: date = date(2025, 11, 3),
        out: Path | None = None) -> dict:
    """One timed world in a scratch folder (deleted afterwards unless `out` is given)."""
    scratch = out is None
    out = Path(tempfile.mkdtemp(prefix="vigie-bench-")) if scratch else out
    try:
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        summary = simulate(start, days, agents, seed, out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = sum(p.stat().st_size for p in (out / "inbox").iterdir())
    finally:
        if scratch:
            shutil.rmtree(out, ignore_errors=True)
    return {"days": days, "agents": agents, "events": summary.events, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "events_per_s": round(summary.events / wall),
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
