"""The severity scale: one Python enum, the same DuckDB ENUM (issue 18)."""

from __future__ import annotations

import duckdb

from transforms.severity import Severity, severity_type_sql


def test_the_severity_scale_is_one_enum_in_python_and_duckdb():
    conn = duckdb.connect()
    conn.execute(severity_type_sql())
    ranks = dict(conn.execute("select s, enum_code(s::severity) from unnest(enum_range(null::severity)) t(s)")
                 .fetchall())
    assert ranks == {s.value: s.rank for s in Severity}
    assert Severity.highest("high", "critical", "low") is Severity.CRITICAL
