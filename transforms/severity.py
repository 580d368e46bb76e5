"""The severity scale of findings and incidents, defined once (issue 18).

Sigma's levels, lowest first. Python ranks with `Severity.rank` (members compare as strings:
never rank with `<` or `max` on them directly); SQL ranks with the DuckDB ENUM type
`severity` that `define_views` creates from this class on every connection
(`severity::severity`, `enum_code(...)` for the 0-4 rank). The lake stores severities as
VARCHAR (the values below), never as the ENUM.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 (informational) to 4 (critical): the same number as SQL's `enum_code(s::severity)`."""
        return _ORDER.index(self)

    @classmethod
    def most_severe_first(cls) -> list[Severity]:
        return sorted(cls, key=lambda s: s.rank, reverse=True)

    @classmethod
    def highest(cls, *levels: str) -> Severity:
        """The most severe of `levels` (severity names)."""
        return max((cls(level) for level in levels), key=lambda s: s.rank)


_ORDER = list(Severity)


def severity_type_sql() -> str:
    """The DuckDB ENUM type `severity`, lowest first (created on each connection by define_views)."""
    return "create type if not exists severity as enum (" + ", ".join(f"'{s.value}'" for s in Severity) + ")"
