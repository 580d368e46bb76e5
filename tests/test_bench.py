"""`vigie bench`: every nightly stage runs and the JSON carries the figures the issue asks for.

The fast test uses a tiny day (a few thousand events) and only checks the plumbing; the
slow test runs a 200k-event day and prints the table (the figures themselves are measured
with `vigie bench --events 10000000`, see docs/performance.md).
"""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner
from vigie_testing import FIXTURES

from devtools import bench
from flows.cli import app
from simulator.shards import APP_KEYS, PROCONNECT_KEYS, shard_copy
from transforms.ingest.run import ingest_files

STAGES = ["ingest", "baselines", "detections", "incidents", "report"]


def test_bench_json_on_a_tiny_day(tmp_path):
    out = CliRunner().invoke(app, ["bench", "--events", "1000", "--history-days", "3", "--json",
                                   "--keep", str(tmp_path / "bench")])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("events", "ingest_ratio_vs_duckdb", "nightly_seconds", "peak_rss_mb",
                "duckdb_reference_seconds", "stages"):
        assert key in data
    assert list(data["stages"]) == STAGES
    assert data["errors"] == {}
    assert data["events"] > 500
    for name in STAGES:
        stage = data["stages"][name]
        assert stage["seconds"] > 0 and stage["peak_rss_mb"] > 0 and stage["events_per_s"] > 0
    ingest = data["stages"]["ingest"]["detail"]
    assert ingest["lines_read"] == data["events"] == ingest["rows_written"] + ingest["rows_quarantined"]
    assert data["stages"]["detections"]["detail"]["rules_ran"] > 0
    assert data["stages"]["detections"]["detail"]["findings"] > 0  # the attacks gave the rules work
    assert data["duckdb_reference_seconds"] > 0 and data["ingest_ratio_vs_duckdb"] > 0
    assert data["nightly_seconds"] == pytest.approx(sum(data["stages"][s]["seconds"] for s in STAGES), abs=0.01)
    history = sorted(p.name for p in (tmp_path / "bench" / "lake" / "account_daily").iterdir())
    assert len(history) == 4  # 3 days of history + the bench day
    assert (tmp_path / "bench" / "reports").is_dir()


@pytest.mark.slow
def test_bench_200k(capsys):
    result = bench.run(200_000)
    with capsys.disabled():
        print(f"\n{bench.table(result)}\n{result.events:,} events, ratio {result.ingest_ratio_vs_duckdb}")
    assert result.events > 100_000
    assert [s.name for s in result.stages] == STAGES
    assert result.errors == {}
    assert result.stages[2].detail["findings"] > 0
    assert result.peak_rss_mb < 3000


def test_a_shard_is_the_same_day_lived_by_other_agents(tmp_path, ingest_options):
    out = tmp_path / "inbox"
    out.mkdir()
    for name in ("app-2025-07-05.jsonl", "proconnect-2025-07-05.jsonl"):
        src = out / (name + ".gz")
        text = (FIXTURES / name).read_text()
        src.write_bytes(gzip.compress(text.encode()))
        copy = shard_copy(src, out, 2)
        assert copy.name == name.replace(".jsonl", ".shard2.jsonl") + ".gz"
        original, shard = text.splitlines(), gzip.decompress(copy.read_bytes()).decode().splitlines()
        assert len(shard) == len(original)
        for before, after in zip(original, shard, strict=True):
            if before.strip().startswith("{") and before.strip().endswith("}"):
                a, b = json.loads(before), json.loads(after)
                assert a.keys() == b.keys()
                for key in a:
                    renamed = key in (APP_KEYS + PROCONNECT_KEYS) and isinstance(a[key], str)
                    assert b[key] == (f"s2.{a[key]}" if renamed else a[key]), key
    results = ingest_files(sorted(out.iterdir()), ingest_options)
    by_name = {r.source_file: r for r in results}
    for name in ("app-2025-07-05", "proconnect-2025-07-05"):
        first, copy = by_name[f"{name}.jsonl.gz"], by_name[f"{name}.shard2.jsonl.gz"]
        # the copy's rows are new events: nothing is taken for a duplicate of the first file
        assert copy.rows_written == first.rows_written and copy.rows_quarantined == first.rows_quarantined


def test_bench_shards_make_the_day_k_times_bigger(tmp_path):
    out = CliRunner().invoke(app, ["bench", "--events", "2000", "--history-days", "2", "--shards", "2", "--json",
                                   "--keep", str(tmp_path / "bench")])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["shards"] == 2 and data["errors"] == {}
    inbox = tmp_path / "bench" / "setup" / "world" / "inbox"
    originals = list(inbox.glob(f"*-{bench.BENCH_DAY}.jsonl.gz"))
    one_shard = sum(gzip.decompress(p.read_bytes()).count(b"\n") for p in originals)
    ingest = data["stages"]["ingest"]["detail"]
    assert ingest["files"] == 4 and data["events"] == 2 * one_shard
    assert ingest["lines_read"] == ingest["rows_written"] + ingest["rows_quarantined"]
    # the second shard's events are new events, not duplicates of the first shard's
    assert ingest["rows_quarantined"] < one_shard // 10


def test_bench_lake_days_times_the_fresh_and_the_deep_lake(tmp_path):
    out = CliRunner().invoke(app, ["bench", "--events", "1000", "--history-days", "3", "--lake-days", "40",
                                   "--json", "--keep", str(tmp_path / "bench"),
                                   "--reference", str(FIXTURES / "reference")])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["lake_days"] == 40 and data["errors"] == {}
    assert data["nightly_seconds_fresh"] > 0 and data["nightly_seconds"] > 0 and data["peak_rss_mb"] > 0
    assert list(data["stages_fresh"]) == list(data["stages"]) == STAGES
    rows = [data[k]["ingest"]["detail"]["rows_written"] for k in ("stages_fresh", "stages")]
    assert rows[0] == rows[1] > 0
    deep = tmp_path / "bench" / "lake_deep" / "app_events"
    assert len(list(deep.glob("event_date=*"))) == 40 + 2  # 40 earlier days, the day before, the bench day
    assert data["lake_fill"]["files"] > 80
    assert data["reference"]["load_seconds"] > 0 and data["reference"]["sources"]["geo"].startswith("GeoLite2-City")
