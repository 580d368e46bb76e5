"""The simulator's benchmark (`vigie bench --simulator`) reports its figures and judges the targets.

The speed itself is measured by the benchmark, not asserted here: these tests check what it
reports and how it decides, on a world small enough to run in a second.
"""

from __future__ import annotations

import json

import pytest

from devtools import sim_bench as bench


def _run(days: int, agents: int, events: int, wall: float) -> dict:
    return {"days": days, "agents": agents, "events": events, "wall_s": wall,
            "events_per_s": round(events / wall)}


def test_verdict_takes_the_best_run_and_judges_the_world_only_at_its_size():
    slow, fast = _run(30, 3000, 6_600_000, 40.0), _run(30, 3000, 6_600_000, 20.0)
    v = bench.verdict([slow, fast])
    assert v["events_per_s_best"] == 330_000 and v["events_per_s_met"]
    assert v["world_s_best"] == 20.0 and v["world_s_met"]
    assert not bench.verdict([slow])["events_per_s_met"]
    assert bench.verdict([_run(30, 3000, 6_600_000, 130.0)])["world_s_met"] is False
    assert "world_s_met" not in bench.verdict([_run(7, 3000, 1_500_000, 4.0)])


def test_benchmark_prints_its_runs_and_exits_1_when_a_target_is_missed(capsys):
    status = bench.main(["--days", "1", "--agents", "40", "--repeat", "2", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert len(report["runs"]) == 2
    for r in report["runs"]:
        assert r["events"] > 0 and r["wall_s"] > 0 and r["peak_rss_mb"] > 0
    assert report["events_per_s_target"] == 300_000
    assert status == (0 if report["events_per_s_met"] else 1)




def test_benchmark_passes_its_options_to_the_world(capsys, monkeypatch):
    seen = []

    def simulate(*args, **options):
        seen.append(options)
        return real(*args, **options)

    real = bench.simulate
    monkeypatch.setattr(bench, "simulate", simulate)
    bench.main(["--days", "1", "--agents", "40", "--json", "--set", "account_manager.enabled=false"])
    assert seen == [{"account_manager": {"enabled": False}}]
    assert json.loads(capsys.readouterr().out)["runs"][0]["events"] > 0
    with pytest.raises(SystemExit) as stop:
        bench.main(["--days", "1", "--set", "nope.x=1"])
    assert stop.value.code == 2
