"""Detections: baselines, the generic rule runner, incidents with exposure, evaluation.

`run_day` is what the nightly flow calls for one day; it needs no Prefect.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from transforms.detect import baselines, incidents
from transforms.detect.runner import DetectSummary, Rule, RuleResult, load_rules, run_rules, write_findings
from transforms.lake.duck import DEFAULT_MEMORY_LIMIT, connect
from transforms.lake.layout import private_dir
from transforms.lake.views import define_views, night_days

__all__ = ["DetectSummary", "Rule", "RuleResult", "load_rules", "run_day", "run_days"]


def run_day(lake: Path, day: date, rules: list[Rule] | None = None, overrides: dict | None = None,
            memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 0, link: bool = True) -> DetectSummary:
    """Update the day's baselines, run every rule, write the day's findings, relink incidents.

    `overrides` maps rule id → {parameter: value}. Re-running a day replaces its baseline
    partition and findings file with identical content (deterministic uids).
    """
    started = time.monotonic()
    lake = Path(lake).resolve()
    private_dir(lake)
    rules = load_rules() if rules is None else rules
    summary = DetectSummary(day=day)
    window = night_days(day)  # only the partitions the night reads: its cost does not grow with the lake
    conn = connect(lake, memory_limit, threads, window)
    try:
        summary.baseline_days = baselines.update(conn, lake, day)
        define_views(conn, lake, window)  # account_daily now has the new partitions
        summary.rules = run_rules(conn, day, rules, overrides)
        summary.findings = write_findings(conn, lake, day)
        summary.by_severity = dict(conn.execute(
            "select severity, count(*) from day_findings group by 1 order by 1").fetchall())
        if link:
            define_views(conn, lake, window)
            summary.incidents = incidents.link(conn, lake, day)
    finally:
        conn.close()
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def run_days(lake: Path, days: list[date], **kwargs) -> list[DetectSummary]:
    """Backfill: days in order, each night's findings linked into the incidents open on its eve."""
    return [run_day(lake, d, **kwargs) for d in sorted(days)]
