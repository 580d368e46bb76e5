"""Named parameters are bound by whole name, outside comments (lake.used_params, issue 18)."""

from __future__ import annotations

import importlib
from datetime import date

import duckdb

from transforms.lake.sql import used_params


def test_a_parameter_is_bound_by_its_whole_name():
    sql = "select $day_count as n -- $day is not used here"
    assert used_params(sql, {"day": date(2025, 11, 24), "day_count": 3}) == {"day_count": 3}
    assert duckdb.connect().execute(sql, used_params(sql, {"day": 1, "day_count": 3})).fetchall() == [(3,)]


def test_the_report_binds_day_without_day_count(monkeypatch):
    """The report's `_rows` bound `$day` to a query naming only `$day_count` (a substring test)."""
    collect = importlib.import_module("transforms.report.collect")
    monkeypatch.setattr(collect, "read_sql", lambda _name: "select $day_count as n")
    assert collect._rows(duckdb.connect(), "any", {"day": date(2025, 11, 24), "day_count": 3}) == [{"n": 3}]


def test_the_workbench_binds_the_same_way():
    from transforms.workbench.query import run

    table = run(duckdb.connect(), "select $day_count as n -- $day", {"day": 1, "day_count": 3})
    assert table is not None and table.to_pylist() == [{"n": 3}]
