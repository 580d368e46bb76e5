"""The end-to-end benchmark behind `vigie bench`: one simulated day of N events through the nightly.

Why a module apart from the flow: the figures in docs/performance.md must be re-measurable
with one command and without Prefect. The run has three parts:

1. **Setup** (in a child process, so its memory is not counted): a seeded world of two days
   (the bench day and the day before it, attacks starting on the bench day); the day before is
   ingested and profiled, and its per-account profiles are copied, thinned and jittered into
   the trailing `history_days` of `account_daily` — what the rules read as 28 days of history —
   without simulating and ingesting a month of events. With `--shards K` the world is
   simulated for N / K events and K − 1 renamed copies of its logs are added
   (`simulator/shards.py`): how a 40M-event day fits in this machine's memory.
2. **The nightly stages**, in the nightly's order, in this process: ingest (the bench day's
   files, with pseudonymisation and enrichment), baselines, detections, incidents, report. Each
   stage gets its wall time, events per second and peak RSS (VmHWM, reset before the stage
   through /proc/self/clear_refs; a sampling thread of VmRSS when that is not allowed). DuckDB's
   memory is native, so RSS is the only honest measure.
3. **The reference** a user could write instead of Vigie's ingest: DuckDB `read_json` +
   `COPY ... TO` Parquet (zstd) on the same raw files, with the same threads and memory limit.

The machine's load average is recorded beside every figure: on 2 shared cores other jobs
change wall times far more than code changes do.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from transforms.lake.duck import DEFAULT_MEMORY_LIMIT
from transforms.lake.sql import sql_string

# Weekday events per simulated agent (accounts, sessions, federation lines): measured on
# 15,000-agent worlds (891k events); the bench asks the simulator for N / EVENTS_PER_AGENT agents.
EVENTS_PER_AGENT = 59.0
BENCH_DAY = date(2025, 11, 4)  # a Tuesday: a full working day
SEED = 7
KEY = b"vigie-bench-key-not-a-secret-0123456789abcdef"


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system of every thread (DuckDB's too): less load-dependent
    events_per_s: float = 0.0
    peak_rss_mb: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    error: str = ""  # a failed stage is reported, and the later stages still run when they can
    detail: dict = field(default_factory=dict)


@dataclass
class BenchResult:
    events: int
    events_target: int
    agents: int
    day: str
    history_days: int
    raw_mb: float
    threads: int
    memory_limit: str
    cpus: int
    shards: int = 1  # copies of the simulated day lived by other agents (simulator/shards.py)
    stages: list[Stage] = field(default_factory=list)
    nightly_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    duckdb_reference_seconds: float = 0.0
    duckdb_reference_cpu_seconds: float = 0.0
    duckdb_reference_events_per_s: float = 0.0
    duckdb_reference_peak_rss_mb: float = 0.0
    ingest_ratio_vs_duckdb: float = 0.0  # reference seconds / Vigie ingest seconds (throughput ratio)
    ingest_cpu_ratio_vs_duckdb: float = 0.0  # the same in CPU seconds
    setup_seconds: float = 0.0
    load_start: float = 0.0
    load_end: float = 0.0
    folder: str = ""
    errors: dict = field(default_factory=dict)  # stage → error, empty when every stage ran
    lake_days: int = 0  # earlier days the lake was given before the (deep) nightly
    nightly_seconds_fresh: float = 0.0  # the nightly on the lake as set up, when lake_days > 0
    peak_rss_mb_fresh: float = 0.0
    stages_fresh: list[Stage] = field(default_factory=list)
    lake_fill: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)  # --reference: load seconds and peak memory

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("stages", "stages_fresh"):
            data[key] = {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in data[key]}
        return data


# --- memory -------------------------------------------------------------------------------

def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


@contextmanager
def peak_rss():
    """Yield a dict whose `mb` is, on exit, the peak RSS of this process during the block."""
    out = {"mb": 0.0}
    resettable = _reset_peak()
    peak = [_status_kb("VmRSS")]
    stop = threading.Event()

    def sample() -> None:  # a fallback when VmHWM cannot be reset, and a cross-check
        while not stop.wait(0.05):
            peak[0] = max(peak[0], _status_kb("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield out
    finally:
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], _status_kb("VmRSS"))
        if resettable:
            peak[0] = max(peak[0], _status_kb("VmHWM"))
        out["mb"] = round(peak[0] / 1024, 1)


@contextmanager
def stdout_to_stderr():
    """DuckDB draws its progress bar on file descriptor 1: keep it off a `--json` answer."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> float:
    return round(os.getloadavg()[0], 2)


@contextmanager
def timed(stage: Stage, events: int):
    stage.load_before = _load()
    started, cpu = time.perf_counter(), _cpu()
    with peak_rss() as mem:
        try:
            yield stage
        except Exception as exc:  # noqa: BLE001 - the figures of the other stages still count
            stage.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    stage.seconds = round(time.perf_counter() - started, 3)
    stage.cpu_seconds = round(_cpu() - cpu, 3)
    stage.events_per_s = round(events / stage.seconds) if stage.seconds else 0
    stage.peak_rss_mb = mem["mb"]
    stage.load_after = _load()


# --- setup: the world and its history (child process) -------------------------------------

def sim_options(events: int) -> dict:
    """Attacks on the bench day (so detections have work), volumes scaled down on tiny days."""
    scale = min(1.0, events / 1_000_000)

    def rng(lo: float, hi: float) -> tuple[float, float]:
        return (max(5.0, lo * scale), max(10.0, hi * scale))

    start = {"start_day": 1}
    return {
        "cutover": BENCH_DAY - timedelta(days=1),
        "infostealer": {**start, "views_per_day": rng(5000, 20000)},
        "cookie_replay": {**start, "views": rng(400, 2500)},
        "account_manager": {**start, "views_per_day": rng(40000, 120000)},
        "abused_advisors": {**start, "views_per_session": rng(800, 3000)},
        "low_and_slow": {**start, "views_per_day": rng(300, 600)},
        "dirt": {"truncated_files": 0},
    }


def agents_for(events: int) -> int:
    return max(20, round(events / EVENTS_PER_AGENT))


def _history(conn: duckdb.DuckDBPyConnection, lake: Path, day: date, history_days: int) -> None:
    """Trailing profiles from the day before's: thinned (days off, weekends) and jittered."""
    from transforms.lake.layout import partition_dir

    src = partition_dir(lake, "account_daily", str(day - timedelta(days=1))) / "account_daily.parquet"
    counts = ("events", "reads", "distinct_beneficiaries", "reads_out_of_portfolio",
              "distinct_out_of_portfolio", "nir_reads", "off_hours_reads", "list_rows", "structure_lists",
              "export_rows")
    conn.execute("select setseed(0.42)")
    for k in range(2, history_days + 1):
        d = day - timedelta(days=k)
        keep = 0.04 if d.weekday() >= 5 else 0.9
        scaled = ", ".join(f"cast(round({c} * (0.6 + 0.8 * random())) as {t}) as {c}"
                           for c, t in ((c, "hugeint" if c in ("list_rows", "export_rows") else "bigint")
                                        for c in counts))
        out = partition_dir(lake, "account_daily", str(d))
        out.mkdir(parents=True, exist_ok=True)
        target = sql_string(str(out / "account_daily.parquet"))
        conn.execute(f"copy (select * replace ({scaled}) from read_parquet('{src}') "
                     f"where random() < {keep}) to {target} (format parquet, compression zstd)")


def _simulated_world(world: Path, events: int, shards: int) -> int:
    """Simulate the two days (once: a world already simulated with the same figures is reused,
    the simulator being deterministic), then write shards 2..K of their logs; the agents."""
    from simulator.shards import shard_copy
    from simulator.world import simulate

    agents = agents_for(events // shards)
    marker = world / "bench-world.json"
    wanted = {"seed": SEED, "agents": agents, "events": events // shards,
              "first_day": str(BENCH_DAY - timedelta(days=1))}
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        shutil.rmtree(world, ignore_errors=True)
        simulate(BENCH_DAY - timedelta(days=1), 2, agents, SEED, world, **sim_options(events // shards))
        marker.write_text(json.dumps(wanted))
    inbox = world / "inbox"
    for old in inbox.glob("*.shard*"):
        old.unlink()
    originals = sorted(inbox.glob("*.jsonl.gz"))
    jobs = [(path, inbox, shard) for shard in range(2, shards + 1) for path in originals]
    if jobs:
        with multiprocessing.get_context("spawn").Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
            pool.starmap(shard_copy, jobs)
    return agents


def setup(folder: Path, events: int, history_days: int, memory_limit: str, threads: int, shards: int = 1) -> dict:
    """World + the day before ingested and profiled + history; returns what the parent needs."""
    from transforms.detect import baselines
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.pseudonymise import PseudonymKey
    from transforms.ingest.run import IngestOptions, detect_source, ingest_file
    from transforms.lake.duck import connect

    started = time.perf_counter()
    world = folder / "world"
    agents = _simulated_world(world, events, shards) * shards
    lake = folder / "lake"
    shutil.rmtree(lake, ignore_errors=True)  # what a setup killed halfway left
    opts = IngestOptions(lake=lake, key=PseudonymKey(KEY), reference=load_reference(world / "reference"),
                         memory_limit=memory_limit, threads=threads)
    before = sorted((world / "inbox").glob(f"*-{BENCH_DAY - timedelta(days=1)}.*jsonl.gz"))
    for path in before:
        ingest_file(path, detect_source(path), opts)
    conn = connect(lake, memory_limit, threads)
    try:
        baselines.write_day(conn, lake.resolve(), BENCH_DAY - timedelta(days=1))
        _history(conn, lake.resolve(), BENCH_DAY, history_days)
    finally:
        conn.close()
    return {"agents": agents, "seconds": round(time.perf_counter() - started, 1)}


def _setup_child(queue, *args) -> None:  # noqa: ANN001
    try:
        queue.put(("ok", setup(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, with where it failed
        import traceback

        where = "".join(traceback.format_exception(exc)[-4:])
        queue.put(("error", f"{type(exc).__name__}: {exc}\n{where}"))


def run_setup(folder: Path, events: int, history_days: int, memory_limit: str, threads: int,
              shards: int = 1) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_setup_child, args=(queue, folder, events, history_days, memory_limit, threads,
                                                  shards))
    proc.start()
    status, value = queue.get()
    proc.join()
    if status != "ok":
        raise RuntimeError(f"bench setup failed: {value}")
    return value


def _setup_once(folder: Path, events: int, history_days: int, memory_limit: str, threads: int,
                say, shards: int = 1) -> dict:  # noqa: ANN001
    """The world and its history, made once per `--keep` folder and reused by later runs.

    Why: a 10M-event world takes minutes to simulate; re-timing the stages after a change
    should not. Each run starts from a copy of the setup's lake, so runs are comparable.
    """
    marker = folder / "done.json"
    wanted = {"events": events, "history_days": history_days, "shards": shards}
    if marker.exists():
        info = json.loads(marker.read_text())
        info.setdefault("shards", 1)  # folders set up before shards existed
        if {k: info.get(k) for k in wanted} == wanted:
            say(f"setup: reusing {folder}")
            return info
        marker.unlink()
        shutil.rmtree(folder / "lake", ignore_errors=True)  # the world keeps its own marker
    say(f"setup: about {events:,} events in {shards} shard(s) and {history_days} days of history")
    info = {**run_setup(folder, events, history_days, memory_limit, threads, shards), **wanted}
    marker.write_text(json.dumps(info))
    return info


# --- the reference ------------------------------------------------------------------------

def duckdb_reference(files: list[Path], out: Path, memory_limit: str, threads: int) -> int:
    """What a user could write instead: read_json + COPY TO Parquet, one file at a time."""
    out.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect()
    conn.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        conn.execute(f"set threads = {threads}")
    conn.execute(f"set temp_directory = '{out / 'spill'}'")
    rows = 0
    try:
        for path in files:
            target = out / (path.name.split(".")[0] + ".parquet")
            rows += conn.execute(
                f"copy (select * from read_json('{path}', format = 'newline_delimited', ignore_errors = true,"
                f" maximum_object_size = 1048576)) to '{target}' (format parquet, compression zstd)"
            ).fetchall()[0][0]
    finally:
        conn.close()
    return rows


def reference_load(path: Path) -> dict:
    """Load the reference data at `path` (a folder of CSVs and/or .mmdb files, or one .mmdb) and
    look up 100,000 addresses, per distinct address: seconds and peak memory of each part."""
    import ipaddress
    import random

    from transforms.ingest.enrich import load_reference

    base = _status_kb("VmRSS") / 1024
    started = time.perf_counter()
    with peak_rss() as mem:
        ref = load_reference(Path(path))
    loaded = time.perf_counter() - started
    held = _status_kb("VmRSS") / 1024
    rnd = random.Random(1)
    ips = [str(ipaddress.IPv4Address(rnd.getrandbits(32))) for _ in range(100_000)]
    started = time.perf_counter()
    with peak_rss() as mem_lookup:
        rows = ref.lookup(ips)
    return {"path": str(path), "load_seconds": round(loaded, 3), "load_peak_rss_mb": mem["mb"],
            "rss_before_mb": round(base, 1), "rss_after_load_mb": round(held, 1),
            "lookup_100k_seconds": round(time.perf_counter() - started, 3),
            "lookup_peak_rss_mb": mem_lookup["mb"],
            "countries_found": rows.num_rows - rows.column("src_country").null_count, "sources": ref.sources}


# --- the run ------------------------------------------------------------------------------

def _count_lines(files: list[Path]) -> int:
    """Lines of the gzip files, with ISA-L's inflate (1M-event day: 1.6 s against the zlib module's 2.3 s)."""
    from isal import igzip

    total = 0
    for path in files:
        with igzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                total += chunk.count(b"\n")
    return total


def nightly_stages(lake: Path, reports: Path, world: Path, files: list[Path], n: int, memory_limit: str,
                   threads: int, lang: str, say) -> list[Stage]:  # noqa: ANN001
    """The nightly's stages for the bench day on `lake`, each timed, in this process."""
    from transforms.detect import baselines, incidents
    from transforms.detect.runner import load_rules, run_rules, write_findings
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.pseudonymise import PseudonymKey
    from transforms.ingest.run import IngestOptions, detect_source, ingest_file
    from transforms.lake.duck import connect
    from transforms.lake.layout import private_dir
    from transforms.lake.views import define_views, night_days
    from transforms.report import write_report

    stages: list[Stage] = []
    opts = IngestOptions(lake=lake, key=PseudonymKey(KEY), reference=load_reference(world / "reference"),
                         memory_limit=memory_limit, threads=threads)

    def stage(name: str) -> Stage:
        say(name)
        stages.append(Stage(name))
        return stages[-1]

    with timed(stage("ingest"), n) as st:
        done = [ingest_file(p, detect_source(p), opts) for p in files]
        st.detail = {"files": len(done), "lines_read": sum(r.lines_read for r in done),
                     "rows_written": sum(r.rows_written for r in done),
                     "rows_quarantined": sum(r.rows_quarantined for r in done),
                     "statuses": sorted({r.status for r in done})}

    private_dir(lake)
    window = night_days(BENCH_DAY)  # what run_day reads
    rules = []
    conn = None
    try:
        with timed(stage("baselines"), n) as st:
            conn = connect(lake, memory_limit, threads, window)
            st.detail = {"days_written": baselines.update(conn, lake, BENCH_DAY)}

        with timed(stage("detections"), n) as st:
            define_views(conn, lake, window)
            rules = run_rules(conn, BENCH_DAY, load_rules())
            findings = write_findings(conn, lake, BENCH_DAY)
            st.detail = {"findings": findings, "rules_ran": sum(r.status == "ran" for r in rules),
                         "rules": {r.rule_id: {"status": r.status, "findings": r.findings,
                                               "seconds": r.seconds} for r in rules}}

        with timed(stage("incidents"), n) as st:
            define_views(conn, lake, window)
            st.detail = {"incidents": incidents.link(conn, lake, BENCH_DAY)}
    finally:
        if conn is not None:
            conn.close()

    state = {"late_files": [], "detection": {"status": "ran"},
             "rules": [{"rule_id": r.rule_id, "status": r.status, "findings": r.findings,
                        "message": r.message} for r in rules]}
    with timed(stage("report"), n) as st:
        report = write_report(lake, reports, BENCH_DAY, lang, state, memory_limit, threads)
        st.detail = {"incidents": report.incidents, "findings": report.findings,
                     "people_exposed": report.people_exposed}
    return stages


def _say_stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def _child(queue, target, *args) -> None:  # noqa: ANN001
    try:
        queue.put(("ok", target(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, with where it failed
        import traceback

        queue.put(("error", f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-4:])))


def in_child(target, *args):  # noqa: ANN001, ANN201
    """`target(*args)` in a fresh process: its peak memory is its own, not what an earlier run left."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, target, *args))
    proc.start()
    status, value = queue.get()
    proc.join()
    if status != "ok":
        raise RuntimeError(value)
    return value


# Partitioned tables the deep lake gets copies of, and those whose ids are made fresh per copy.
DEEP_EVENT_TABLES = ("auth_events", "app_events")
DEEP_RECORD_TABLES = ("findings", "incident_versions", "incident_exposed", "incident_members")


def fill_history(lake: Path, source: Path, lake_days: int) -> dict:
    """Give `lake` `lake_days` earlier days, copied from the bench day's partitions of `source`.

    Events are hard links of the bench day's Parquet files (the same bytes under the earlier
    dates: the volume a nightly could scan, without writing gigabytes; nothing in the nightly
    joins event ids across days). Findings and incident partitions are rewritten with fresh
    uids (`<uid>-<k>`) so that no copy is taken for the bench day's own finding or incident;
    the incidents of the last `OPEN_DAYS` + 1 days are left out (a month of open incidents of
    the same accounts would measure a month-long campaign, not the lake's age). Profiles
    (`account_daily`) get the day before's file wherever the setup's history has none.
    """
    from transforms.detect.incidents import OPEN_DAYS
    from transforms.lake.layout import partition_dir

    conn = duckdb.connect()
    copied: dict[str, float] = {"files": 0, "bytes": 0}
    profile = partition_dir(lake, "account_daily", str(BENCH_DAY - timedelta(days=1))) / "account_daily.parquet"
    try:
        for k in range(lake_days):
            d = BENCH_DAY - timedelta(days=2 + k)
            for table in DEEP_EVENT_TABLES:
                for src in sorted(partition_dir(source, table, str(BENCH_DAY)).glob("*.parquet")):
                    out = partition_dir(lake, table, str(d))
                    out.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(src, out / src.name)
                    except OSError:
                        shutil.copyfile(src, out / src.name)
                    copied["files"] += 1
                    copied["bytes"] += src.stat().st_size
            for table in DEEP_RECORD_TABLES:
                if table != "findings" and k + 2 <= OPEN_DAYS + 1:
                    continue
                for src in sorted(partition_dir(source, table, str(BENCH_DAY)).glob("*.parquet")):
                    out = partition_dir(lake, table, str(d))
                    out.mkdir(parents=True, exist_ok=True)
                    cols = [c for c in ("finding_uid", "incident_uid") if c in
                            [r[0] for r in conn.execute(f"describe select * from read_parquet('{src}')").fetchall()]]
                    fresh = ", ".join(f"{c} || '-{k}' as {c}" for c in cols)
                    query = f"select * replace ({fresh}) from read_parquet('{src}')"
                    if table == "incident_versions":
                        query = (f"select * replace ({fresh}, list_transform(finding_uids, lambda x: x || '-{k}') "
                                 f"as finding_uids, [date '{d}'] as finding_days, date '{d}' as first_day, "
                                 f"date '{d}' as last_day) from read_parquet('{src}')")
                    conn.execute(f"copy ({query}) to '{out / src.name}' (format parquet, compression zstd)")
                    copied["files"] += 1
            daily = partition_dir(lake, "account_daily", str(d))
            if not daily.exists() and profile.exists():
                daily.mkdir(parents=True)
                os.link(profile, daily / profile.name)
    finally:
        conn.close()
    copied["gb_events"] = round(copied.pop("bytes") / 1e9, 2)
    return copied


def run(events: int, history_days: int = 28, keep: Path | None = None, memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int = 0, lang: str = "fr", progress=None, shards: int = 1,  # noqa: ANN001
        lake_days: int = 0, reference: Path | None = None) -> BenchResult:
    """Set up a bench day of about `events` events, time the nightly's stages and the reference.

    With `lake_days`, the nightly runs twice, each in its own process: on the lake as set up
    (`nightly_seconds_fresh`) and on that lake given `lake_days` earlier days (`fill_history`):
    `nightly_seconds`, `stages` and `peak_rss_mb` are then the deep run's.
    """
    say = progress or (lambda message: None)
    scratch = keep is None
    folder = Path(tempfile.mkdtemp(prefix="vigie-bench-")) if keep is None else Path(keep)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        load_start = _load()
        info = _setup_once(folder / "setup", events, history_days, memory_limit, threads, say, shards)
        world, lake, reports = folder / "setup" / "world", (folder / "lake").resolve(), folder / "reports"
        shutil.rmtree(lake, ignore_errors=True)
        shutil.rmtree(reports, ignore_errors=True)
        shutil.copytree(folder / "setup" / "lake", lake)
        files = sorted((world / "inbox").glob(f"*-{BENCH_DAY}.*jsonl.gz"))
        n = _count_lines(files)
        result = BenchResult(events=n, events_target=events, agents=info["agents"], day=str(BENCH_DAY),
                             history_days=history_days,
                             raw_mb=round(sum(p.stat().st_size for p in files) / 1e6, 1), threads=threads,
                             memory_limit=memory_limit, cpus=os.cpu_count() or 0, shards=shards,
                             setup_seconds=info["seconds"], load_start=load_start, folder=str(folder),
                             lake_days=lake_days)
        if lake_days:
            say("nightly on the fresh lake (own process)")
            fresh = in_child(nightly_stages, lake, reports, world, files, n, memory_limit, threads, lang,
                             _say_stderr)
            result.nightly_seconds_fresh = round(sum(s.seconds for s in fresh), 3)
            result.peak_rss_mb_fresh = max(s.peak_rss_mb for s in fresh)
            result.stages_fresh = fresh
            deep = (folder / "lake_deep").resolve()
            shutil.rmtree(deep, ignore_errors=True)
            shutil.rmtree(reports, ignore_errors=True)
            shutil.copytree(folder / "setup" / "lake", deep)
            say(f"filling {lake_days} earlier days")
            started = time.perf_counter()
            result.lake_fill = fill_history(deep, lake, lake_days)
            result.lake_fill["seconds"] = round(time.perf_counter() - started, 1)
            say(f"nightly on the {lake_days}-day lake (own process)")
            result.stages = in_child(nightly_stages, deep, reports, world, files, n, memory_limit, threads, lang,
                                     _say_stderr)
        else:
            result.stages = nightly_stages(lake, reports, world, files, n, memory_limit, threads, lang, say)
        if reference is not None:
            say(f"reference data: loading {reference}")
            result.reference = in_child(reference_load, Path(reference))

        result.nightly_seconds = round(sum(s.seconds for s in result.stages), 3)
        result.peak_rss_mb = max(s.peak_rss_mb for s in result.stages)
        result.errors = {s.name: s.error for s in result.stages if s.error}

        say("reference: DuckDB read_json + COPY TO Parquet")
        ref = Stage("duckdb_reference")
        with timed(ref, n):
            ref.detail = {"rows": duckdb_reference(files, folder / "reference_out", memory_limit, threads)}
        result.duckdb_reference_seconds = ref.seconds
        result.duckdb_reference_events_per_s = ref.events_per_s
        result.duckdb_reference_cpu_seconds = ref.cpu_seconds
        result.duckdb_reference_peak_rss_mb = ref.peak_rss_mb
        ingest = result.stages[0]
        result.ingest_ratio_vs_duckdb = round(ref.seconds / ingest.seconds, 3) if ingest.seconds else 0.0
        result.ingest_cpu_ratio_vs_duckdb = (round(ref.cpu_seconds / ingest.cpu_seconds, 3)
                                             if ingest.cpu_seconds else 0.0)
        result.load_end = _load()
        return result
    finally:
        if scratch:
            shutil.rmtree(folder, ignore_errors=True)


def table(result: BenchResult) -> str:
    """The figures as a Markdown table (what docs/performance.md shows)."""
    lines = ["| stage | seconds | CPU s | events/s | peak RSS MB | load before→after |",
             "|---|---:|---:|---:|---:|---|"]
    for s in result.stages:
        lines.append(f"| {s.name} | {s.seconds:.2f} | {s.cpu_seconds:.1f} | {s.events_per_s:,.0f} | "
                     f"{s.peak_rss_mb:,.0f} | "
                     f"{s.load_before}→{s.load_after} |")
    lines.append(f"| **nightly** | **{result.nightly_seconds:.2f}** | "
                 f"{sum(s.cpu_seconds for s in result.stages):.1f} | "
                 f"{result.events / result.nightly_seconds if result.nightly_seconds else 0:,.0f} | "
                 f"**{result.peak_rss_mb:,.0f}** | |")
    lines.append(f"| DuckDB read_json+COPY | {result.duckdb_reference_seconds:.2f} | "
                 f"{result.duckdb_reference_cpu_seconds:.1f} | "
                 f"{result.duckdb_reference_events_per_s:,.0f} | {result.duckdb_reference_peak_rss_mb:,.0f} | |")
    return "\n".join(lines)


def depth_ratio(result: BenchResult) -> float:
    """The deep nightly's time over the fresh one's (0 without --lake-days)."""
    return round(result.nightly_seconds / result.nightly_seconds_fresh, 3) if result.nightly_seconds_fresh else 0.0


def dumps(result: BenchResult) -> str:
    return json.dumps(result.as_dict(), default=str)
