"""Hunting queries: the saved queries under sql/hunting/, their parameters, and running one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.lake.sql import SQL_DIR
from transforms.workbench.query import run

HUNTING_DIR = SQL_DIR / "hunting"


# --- hunting queries --------------------------------------------------------------------

@dataclass
class HuntParam:
    name: str
    description: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass
class Hunt:
    name: str
    title: str
    description: str
    sql: str
    params: list[HuntParam] = field(default_factory=list)


_PARAM = re.compile(r"^@param\s+(\w+)\s+(.*?)(?:\s*\(default:?\s*(.*?)\))?\s*$")


def load_hunt(path: Path) -> Hunt:
    """A hunting query and its header: first comment line the title, then the description,
    then `@param name description (default: value)` lines."""
    text = Path(path).read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    # the title is the header's first sentence, however many comment lines it spans
    text_lines = [line for line in header if not line.startswith("@param")]
    end = next((i for i, line in enumerate(text_lines) if line.endswith(".")), 0)
    title = " ".join(text_lines[:end + 1]) if text_lines else path.stem
    params, description = [], []
    for line in header[end + 1:] if text_lines else header:
        match = _PARAM.match(line)
        if match:
            params.append(HuntParam(match.group(1), match.group(2), match.group(3)))
        elif line:
            description.append(line)
    declared = {p.name for p in params}
    used = set(re.findall(r"\$(\w+)", text))
    if used - declared:
        raise ValueError(f"{path.name}: parameter(s) {', '.join(sorted(used - declared))} not declared")
    return Hunt(path.stem, title, " ".join(description), text, params)


def hunts(folder: Path = HUNTING_DIR) -> dict[str, Hunt]:
    return {p.stem: load_hunt(p) for p in sorted(Path(folder).glob("*.sql"))}


def hunt_params(hunt: Hunt, given: dict[str, str]) -> dict[str, str]:
    """Given values over defaults; every parameter bound (never pasted into the SQL)."""
    unknown = set(given) - {p.name for p in hunt.params}
    if unknown:
        raise ValueError(f"hunt {hunt.name} has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes {', '.join(p.name for p in hunt.params) or 'none'}")
    values = {}
    for p in hunt.params:
        if p.name in given:
            values[p.name] = given[p.name]
        elif p.default is not None:
            values[p.name] = p.default
        else:
            raise ValueError(f"hunt {hunt.name} needs --param {p.name}=... ({p.description})")
    return values


def run_hunt(conn: duckdb.DuckDBPyConnection, name: str, given: dict[str, str]) -> pa.Table:
    catalogue = hunts()
    if name not in catalogue:
        raise ValueError(f"no hunt named {name!r}; known: {', '.join(catalogue)}")
    hunt = catalogue[name]
    result = run(conn, hunt.sql, hunt_params(hunt, given))
    assert result is not None
    return result
