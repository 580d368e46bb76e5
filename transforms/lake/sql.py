"""SQL text: queries loaded from the files under sql/, and values quoted into them."""

from __future__ import annotations

import re
from pathlib import Path

_INSTALLED = Path(__file__).resolve().parents[1] / "sql"  # a wheel carries sql/ inside transforms/
SQL_DIR = _INSTALLED if _INSTALLED.is_dir() else Path(__file__).resolve().parents[2] / "sql"


def read_sql(relative: str) -> str:
    """The text of a file under sql/ (queries live in .sql files, not in Python strings)."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def sql_code(sql: str) -> str:
    """`sql` without its `--` comments (which may name parameters the statement does not use)."""
    return re.sub(r"--[^\n]*", "", sql)


def used_params(sql: str, params: dict) -> dict:
    """DuckDB rejects unused named parameters: bind only those the query names (outside comments)."""
    code = sql_code(sql)
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", code)}


def sql_string(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_in_list(values: list[str]) -> str:
    """`('a', 'b')` written into a query's `x in $list`: DuckDB tests a literal list as it reads
    the rows, where a parameter list is joined afterwards; `(null)` when empty."""
    return "(" + ", ".join(sql_string(str(v)) for v in values) + ")" if values else "(null)"
