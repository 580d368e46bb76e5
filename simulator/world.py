"""`simulate()`: the whole world, day by day, into inbox/, reference/ and labels/.

Why day by day: memory stays bounded by one day's events; each Paris day's events are routed
to the UTC day files they belong to (log rotation is on UTC days), and a UTC day is written as
soon as no later Paris day can add to it: its lines are built, damaged and compressed on a
writer thread while the next day is built (that work is Polars and gzip, which release the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from simulator import activity, attacks, dirt, labels, population, sessions, traps, writers
from simulator.calendar import DAY_MS, utc_midnight_ms
from simulator.context import Day, Sim
from simulator.options import SimulationOptions

T = TypeVar("T")
BIG_FILE = 2_000_000  # lines from which a file is not sorted as a copy but gathered by blocks
WORLD_FOLDERS = ("inbox", "reference", "labels")  # what `simulate` writes under its `out`
QUEUED_ROWS = 1_000_000  # rows queued for the writers past which the main thread waits (two files always fit)


@dataclass
class SimulationSummary:
    out: Path
    days: int
    agents: int
    seed: int
    app_lines: int = 0
    proconnect_lines: int = 0
    files: list[str] = field(default_factory=list)
    attacks: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return self.app_lines + self.proconnect_lines

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def simulate(start_date: date, days: int, agents: int, seed: int, out: Path,
             **options) -> SimulationSummary:
    """Generate a seeded world of `agents` accounts over `days` days into `out`.

    Options (see simulator.options): cutover, amr_cutover, current_cutover, mfa_share,
    technical_line_rate, offset_share, gzip_level, and the groups infostealer, cookie_replay,
    account_manager, abused_advisors, low_and_slow, traps, dirt (each a dataclass or a dict of its fields).
    """
    started = time.monotonic()
    out = Path(out)
    opts = SimulationOptions.from_kwargs(**options)
    if opts.cutover is None:
        opts.cutover = start_date + timedelta(days=days // 2)
    rest = max(0, (start_date + timedelta(days=days) - opts.cutover).days)
    if opts.amr_cutover is None:
        opts.amr_cutover = opts.cutover + timedelta(days=rest // 3)
    if opts.current_cutover is None:
        opts.current_cutover = opts.cutover + timedelta(days=2 * rest // 3)
    pop = population.build(agents, seed, opts, start_date)
    sim = Sim(seed, start_date, [start_date + timedelta(days=i) for i in range(days)], pop, opts)
    rng = np.random.default_rng([seed, 2])
    traps.plan(sim, rng)
    attacks.plan(sim, np.random.default_rng([seed, 3]))
    summary = SimulationSummary(out, days, agents, seed)
    collector = labels.Collector()
    dirt_log: list[dict] = []
    pending: dict[date, dict[str, list[pl.DataFrame]]] = {}
    first_ms, end_ms = utc_midnight_ms(start_date), utc_midnight_ms(start_date) + days * DAY_MS
    truncate_days = _truncate_days(sim, np.random.default_rng([seed, 4]))
    pool = ThreadPoolExecutor(max_workers=2)
    futures: list[tuple[Future, int]] = []

    actors_cache: list = [0, None]

    def actors() -> pl.DataFrame:
        if actors_cache[0] != len(sim.pop.agents):
            actors_cache[:] = [len(sim.pop.agents), writers.actor_table(sim)]
        return actors_cache[1]

    def flush(utc_day: date) -> None:
        parts = pending.pop(utc_day, None)
        if parts is None:
            return
        day_no = (utc_day - start_date).days
        for source in ("proconnect", "app"):
            frames = parts.pop(source, [])
            frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
            frames.clear()  # memory: a 10M-event day must not be held twice
            if source == "proconnect":
                frame = pl.concat([frame, writers.technical(sim, day_no, utc_midnight_ms(utc_day),
                                                            utc_midnight_ms(utc_day) + DAY_MS,
                                                            frame.height, writers.era(sim, utc_day)),
                                   writers.flow_info(sim, frame, utc_day)], how="diagonal_relaxed")
            if frame.height > BIG_FILE:
                # the file's row order (by time, stable) instead of a sorted copy of the whole
                # day: the writer gathers its blocks in that order (slower, less memory)
                order = np.argsort(frame["_t"].to_numpy(), kind="stable")
            else:
                frame, order = frame.sort("_t", maintain_order=True), None
            attack_rows = frame.filter(pl.col("_atk") >= 0)
            if order is not None:
                attack_rows = attack_rows.sort("_t", maintain_order=True)
            if source == "app":
                collector.add_app(attack_rows)
                summary.app_lines += frame.height
            else:
                collector.add_pc(attack_rows)
                summary.proconnect_lines += frame.height
            name = f"{source}-{utc_day.isoformat()}.jsonl.gz"
            _wait_for_room(futures, frame.height)
            futures.append((pool.submit(_finish, out / "inbox" / name, frame, order, source, sim,
                                       utc_day, day_no, actors(), (source, day_no) in truncate_days,
                                       dirt_log), frame.height))
            summary.files.append(f"inbox/{name}")

    for i, d in enumerate(sim.days):
        day = Day(sim, i, d, np.random.default_rng([seed, 100, i]))
        day.segments = activity.plan_day(day)
        for hook in sim.hooks.get(i, []):
            hook(day)
        svc = traps.service_segments(day)
        sessions.run_logins(day, day.segments + svc)
        activity.generate(day, [s for s in day.segments if s.kind == "normal"])
        traps.onboarding_events(day)
        traps.service_events(day, svc)
        for seg in day.segments:
            gen = seg.params.get("gen")
            if gen is not None:
                gen(day, seg)
        for source, frames in (("app", day.app), ("proconnect", day.pc)):
            for frame in frames:
                if frame.height == 0:
                    continue
                frame = frame.filter((pl.col("_t") >= first_ms) & (pl.col("_t") < end_ms))
                utc = (frame["_t"] // DAY_MS).to_numpy()
                for u in np.unique(utc):
                    key = date(1970, 1, 1) + timedelta(days=int(u))
                    pending.setdefault(key, {}).setdefault(source, []).append(
                        frame.filter(pl.Series(utc == u)))
            frames.clear()  # the day's frames now live in `pending` only
            frame = None  # type: ignore[assignment]  # (nor in this loop variable; may be unbound)
        for key in sorted(k for k in pending if k < d):
            flush(key)
    for key in sorted(pending):
        flush(key)
    # labels and reference data while the writer threads finish the last files
    sim.pop.space.write_reference(out / "reference")
    _write_orgs(sim, out / "reference" / "orgs.csv")
    summary.attacks = labels.write(sim, collector, out / "labels")
    for f, _ in futures:
        f.result()
    pool.shutdown()
    summary.files.sort()
    summary.seconds = time.monotonic() - started
    _write_world(sim, summary, sorted(dirt_log, key=lambda r: (r["file"], r["line"])),
                 out / "labels" / "world.json")
    return summary


def _wait_for_room(futures: list[tuple[Future, int]], rows: int) -> None:
    """Block until the writer threads hold few enough rows to take `rows` more: small days queue
    up (the main thread keeps generating), while a 10M-event day's two files go alone."""
    while True:
        busy = [(f, n) for f, n in futures if not f.done()]
        if len(busy) < 2 or sum(n for _, n in busy) + rows <= QUEUED_ROWS:
            return
        busy[0][0].result()


def _truncate_days(sim: Sim, rng: np.random.Generator) -> set[tuple[str, int]]:
    d = sim.opts.dirt
    if not d.enabled or d.truncated_files <= 0:
        return set()
    n = len(sim.days)
    return {(str(rng.choice(["app", "proconnect"])), int(rng.integers(0, n)))
            for _ in range(d.truncated_files)}


def _finish(path: Path, frame: pl.DataFrame, order: np.ndarray | None, source: str, sim: Sim,
            utc_day: date, day_no: int, actors: pl.DataFrame, truncate: bool,
            log: list[dict]) -> None:
    """Lines, dirt and gzip of one file, on a writer thread (Polars and gzip run off the GIL),
    by blocks of rows so that a 10M-line day never holds all its lines at once."""
    if source == "app":
        chunks = writers.app_chunks(sim, frame, day_no, actors, order=order)
    else:
        chunks = writers.pc_chunks(sim, frame, utc_day, day_no, actors, order=order)
    d = sim.opts.dirt
    damage = None
    if d.enabled:
        rng = np.random.default_rng([sim.seed, 5, day_no, 0 if source == "app" else 1])
        atk = frame["_atk"].to_numpy()
        damage = dirt.Damage(atk if order is None else atk[order], source, f"inbox/{path.name}", rng, d.rate,
                             truncate)
    sink = writers.GzipSink(path, sim.opts.gzip_level)
    for lo, lines in _one_ahead(chunks):
        sink.write(lines["line"] if damage is None else damage.apply(lo, lines["line"]))
    if damage is not None:
        tail = damage.tail()
        if tail is not None:
            sink.write(tail)
        log.extend(damage.records)
    sink.close()


_DONE = object()


def _one_ahead(blocks: Iterator[T]) -> Iterator[T]:
    """`blocks`, each next one made on a helper thread while the caller uses the current one.

    Why: a file's lines are built (Polars) then compressed (ISA-L), both off the GIL; in turn,
    a run's last files kept one core idle (a 2-day world spent a third of its time so)."""
    with ThreadPoolExecutor(max_workers=1) as helper:
        pending = helper.submit(next, blocks, _DONE)
        while (block := pending.result()) is not _DONE:
            pending = helper.submit(next, blocks, _DONE)
            yield block  # type: ignore[misc]


def _write_orgs(sim: Sim, path: Path) -> None:
    import csv

    from simulator.geo import FRENCH

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["siret", "org_type", "name", "department"])
        for o in sim.pop.orgs:
            w.writerow([o.siret, o.org_type, o.name, FRENCH[o.city].dept])


def _write_world(sim: Sim, summary: SimulationSummary, dirt_log: list[dict], path: Path) -> None:
    pop = sim.pop
    world = {
        "seed": sim.seed, "start_date": sim.start.isoformat(), "days": len(sim.days),
        "agents_requested": summary.agents, "accounts": len(pop.agents), "orgs": len(pop.orgs),
        "org_types": {t: sum(o.org_type == t for o in pop.orgs) for t in population.ORG_TYPES},
        "options": sim.opts.to_json(),
        "app_lines": summary.app_lines, "proconnect_lines": summary.proconnect_lines,
        "files": summary.files,
        "traps": sim.traps,
        "dirt": dirt_log,
        "attacks": [{"attack_id": a.attack_id, "scenario": a.scenario,
                     "parameters": a.params.get("public", {})} for a in sim.attacks],
    }
    path.write_text(labels.dumps(world))
