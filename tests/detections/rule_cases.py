"""Rule cases that carry their events, Panther-style: `tests/detections/<rule>/cases/<case>/`.

- `events.jsonl.gz`: raw ProConnect and app log lines in the input formats (docs/spec/log-formats.md),
  cut from a simulated world by devtools/make_rule_cases.py: the case's own lines and the history
  (and linked accounts) the rule needs;
- `expected.yml`: `rule`, `kind` (positive or negative), `day`, `entity` (the account), and for a
  positive the `severity` and the attack `scenario`, for a negative the `trap` it illustrates.

`run_case` writes the lines as the day files production rotates (one per source and UTC day),
ingests them through the real ingest into a fresh lake with the cases' reference data, and runs
the real runner (baselines, then the case's rule) for the expected day.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

HERE = Path(__file__).parent
REFERENCE = HERE / "reference"  # the simulated world's IP space, tags and organisations
KEY = b"vigie-rule-cases-key"


def case_dirs() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("*/cases/*/expected.yml"))


def expected(case: Path) -> dict:
    return yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))


def line_day(line: str) -> tuple[str, date]:
    """(source, UTC day) of a raw line: the file production would have written it to."""
    row = json.loads(line)
    if "event_type" in row:
        return "app", datetime.fromisoformat(row["ts"]).astimezone(UTC).date()
    stamp = row["time"]
    when = (datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int | float)
            else datetime.fromisoformat(stamp).astimezone(UTC))
    return "proconnect", when.date()


def write_inbox(lines: list[str], inbox: Path) -> list[Path]:
    """The lines as day files, one per source and UTC day, in their original order."""
    files: dict[str, list[str]] = {}
    for line in lines:
        source, day = line_day(line)
        files.setdefault(f"{source}-{day}.jsonl", []).append(line)
    inbox.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (inbox / name).write_text("".join(f"{text}\n" for text in body), encoding="utf-8")
    return sorted(inbox / name for name in files)


def read_events(case: Path) -> list[str]:
    with gzip.open(case / "events.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh if line.strip()]


def run(lines: list[str], rule_id: str, day: date, root: Path) -> list[dict]:
    """Ingest `lines` into `root/lake`, run `rule_id` for `day`: that night's findings of the rule."""
    from transforms.detect import load_rules, run_day
    from transforms.ingest.enrich import load_reference
    from transforms.ingest.pseudonymise import PseudonymKey
    from transforms.ingest.run import IngestOptions, ingest_files
    from transforms.lake.duck import connect

    lake = root / "lake"
    results = ingest_files(write_inbox(lines, root / "inbox"),
                           IngestOptions(lake=lake, key=PseudonymKey(KEY), reference=load_reference(REFERENCE),
                                         memory_limit="1GB"))
    assert not sum(r.rows_quarantined for r in results), [r for r in results if r.rows_quarantined]
    [rule] = [r for r in load_rules() if r.id == rule_id]
    summary = run_day(lake, day, rules=[rule], memory_limit="1GB", link=False)
    assert all(r.status == "ran" for r in summary.rules), [r.message for r in summary.rules]
    conn = connect(lake)
    try:
        return conn.sql("select * from findings where event_date = $d and rule_id = $r",
                        params={"d": day, "r": rule_id}).to_arrow_table().to_pylist()
    finally:
        conn.close()


def verdict(case: dict, findings: list[dict]) -> str | None:
    """None when the findings are what the case expects, else what went wrong."""
    mine = [f for f in findings if f["user_id"] == case["entity"]]
    if case["kind"] == "positive":
        if not mine:
            return f"{case['rule']} missed {case['entity']} on {case['day']} ({case['why']})"
        if case["severity"] not in {f["severity"] for f in mine}:
            return f"{case['rule']} found {case['entity']} at {sorted({f['severity'] for f in mine})}, " \
                   f"expected {case['severity']}"
        return None
    if mine:
        return f"{case['rule']} flagged {case['entity']} on {case['day']} ({case['why']})"
    return None
