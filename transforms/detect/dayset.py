"""The night's working set: the day's activity, history, peers and logins, defined once.

Why: the baselines, fifteen rules and the findings' exposure all read the same day of
`app_activity`, the same trailing `account_history` / `peer_history` and the same ProConnect
logins. Through the lake's views and table macros each query re-derived the user-agent
family (a regular expression per row), the local time (a time-zone conversion per row) and
re-evaluated the history macros, which cost more than the rules' own logic. Here
(`sql/detect/day_*.sql`):

- `activity()`: `day_activity`, a temp view of app_activity for the day (only that day's
  Parquet partition, read column by column by each query: nothing the size of the day is held
  in memory), with `day_agents` (user agent → ua_family, ua_key) and `day_hours` (UTC quarter-hour →
  local offset, off_hours) derived once per distinct value (`day_activity_hours` joins the
  latter for the queries that need local time);
- `parts()`: `day_parts`, the day's events grouped once by account, session, network,
  address, device, browser and service flag (a few hundred thousand rows for ten million
  events): the baselines roll it up per account, `day_sessions` per session, so the day's
  events are grouped once a night, not once per consumer. It is kept on the connection for
  its day (baselines and rules run back to back on one connection in `run_day`) and dropped
  with the rest of the working set;
- `context()`: `activity()` plus `day_history`, `day_peers` and `day_pc_logins`, temp tables
  of account_history(day), peer_history(day) and pc_logins_between(day - 1, day), and
  `day_sessions` (one row per app session: what rules test before reading a session's events
  again), computed once for all the rules.

These tables are the rules' contract (docs/detections.md, "The day tables"): `for_shell()`
builds the very same ones on an analyst's connection (`vigie shell --day D`) and binds the
rules' parameters, so a rule's file runs there as it runs at night.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from transforms.lake.sql import read_sql, sql_code, used_params

if TYPE_CHECKING:
    from transforms.detect.runner import Rule


def _statements(name: str) -> list[str]:
    return [s for s in read_sql(f"detect/{name}.sql").split(";\n") if s.strip()]


def activity(conn: duckdb.DuckDBPyConnection, day: date) -> None:
    """Define `day_activity` (and `day_agents`, `day_hours`) for `day` on this connection."""
    literal = f"date '{date(day.year, day.month, day.day).isoformat()}'"  # a view takes no parameters
    for statement in _statements("day_activity"):
        conn.execute(statement.replace("$event_date", literal))


def parts(conn: duckdb.DuckDBPyConnection, day: date) -> None:
    """Define `day_parts` for `day` (after `activity()`), unless this connection already has it."""
    have = conn.execute("select count(*) from duckdb_tables() where temporary and table_name = 'day_parts_day'"
                        ).fetchall()[0][0]
    if have and conn.execute("select any_value(day) from day_parts_day").fetchall()[0][0] == day:
        return
    for statement in _statements("day_parts"):
        conn.execute(statement)
    conn.execute("create or replace temp table day_parts_day as select $d::date as day", {"d": day})


def context(conn: duckdb.DuckDBPyConnection, day: date) -> None:
    """`activity()` and `parts()` plus the day's history, peers and ProConnect logins, for the rules."""
    activity(conn, day)
    parts(conn, day)
    for statement in _statements("day_context"):
        conn.execute(statement, used_params(statement, {"event_date": day}))


def drop(conn: duckdb.DuckDBPyConnection) -> None:
    """Free the working set (the connection lives on for the incidents)."""
    conn.execute("drop view if exists day_activity_hours")
    conn.execute("drop view if exists day_activity")
    for table in ("day_agents", "day_hours", "day_history", "day_peers", "day_pc_logins", "day_sessions",
                  "day_parts", "day_parts_day"):
        conn.execute(f"drop table if exists {table}")


# --- the same day tables in `vigie shell --day D` ------------------------------------------

def _normal(sql: str) -> str:
    """A query's code for comparing pasted text with a rule file: no comments, one space, no `;`."""
    return re.sub(r"\s+", " ", sql_code(sql)).strip().rstrip(";").strip()


def shell_params(day: date, rules: list[Rule]) -> Callable[[str], dict]:
    """What the shell binds for a statement: `$event_date` and `$day` (= `day`) and rule parameters.

    A statement that is one rule's query (its file pasted or `.read`, comments and spacing
    aside) gets that rule's defaults; any other statement gets the defaults every rule that
    declares the name agrees on (`floor` is 150 in one rule and 300 in another: not bound)."""
    by_text = {_normal(rule.sql): rule.parameters() for rule in rules}
    shared: dict[str, object] = {}
    clashing: set[str] = set()
    for rule in rules:
        for name, value in rule.parameters().items():
            if name in shared and shared[name] != value:
                clashing.add(name)
            shared.setdefault(name, value)
    common = {k: v for k, v in shared.items() if k not in clashing}

    def params(sql: str) -> dict:
        return {**by_text.get(_normal(sql), common), "event_date": day, "day": day}

    return params


def for_shell(conn: duckdb.DuckDBPyConnection, day: date) -> Callable[[str], dict]:
    """Define the day tables for `day` on an analyst's connection, as the runner does; return the
    parameters to bind (`shell_params`), so that a rule's file runs there as it runs at night."""
    from transforms.detect.runner import load_rules

    context(conn, day)
    return shell_params(day, load_rules())
