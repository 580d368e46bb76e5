"""The one world builder of the tests: the simulator's world, through Vigie's real path.

`simulate_world` writes a small seeded world (inbox files in the input formats, reference
data, labels) with the simulator (simulator/world.py), every attack and trap scaled down to
run in a second. `build` then runs the nightly pipeline on it (transforms.nightly.run_nights,
what `vigie backfill` runs): the real ingest, baselines, rules, incident linker and reports.
Tests read the findings and incidents the real runner and linker made, and the labels to know
which accounts, sessions, addresses and people the attacks involved.

Build it once per session (`tests/conftest.py`: `world`) when a test only reads it; a test
that writes (triage, suppress, retention) takes `world_copy`, a private copy of the lake.
"""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import duckdb

START = date(2025, 11, 17)  # a Monday
DAYS = 6
AGENTS = 50
SEED = 18
KEY = "worlds-test-key-0123456789abcdef"  # the pseudonym key every world is ingested with

# Attack volumes scaled to a world of tens of accounts; the attacks start early so that each
# has a night of its own within the few days.
SMALL: dict = {
    "infostealer": {"views_per_day": (300, 500), "start_day": 3},
    "cookie_replay": {"views": (120, 200), "start_day": 3},
    "account_manager": {"views_per_day": (400, 600), "start_day": 2},
    "abused_advisors": {"views_per_session": (160, 240), "start_day": 2},
    "low_and_slow": {"start_day": 0},
    "campaign": {"start_day": 1, "stagger_days": 3, "views_per_day": (80, 120), "network": "residential_proxy"},
    "insider": {"enabled": False},  # its quiet days alone outlast a world of a few days
    "dirt": {"rate": 2e-4},
}


def simulate_world(out: Path, start: date = START, days: int = DAYS, agents: int = AGENTS,
                   seed: int = SEED, **overrides) -> Path:
    """A simulated world in `out` (inbox/, reference/, labels/); `overrides` replace groups of SMALL."""
    from simulator.world import simulate

    simulate(start, days, agents, seed, out, **{**SMALL, **overrides})
    return out


def settings(root: Path, world: Path, **extra):
    """Vigie's settings for a deployment rooted in `root` reading `world`'s inbox and reference."""
    from transforms.settings import Settings

    return Settings(inbox=world / "inbox", lake=root / "lake", reports=root / "reports",
                    reference=world / "reference", state=root / ".vigie", pseudonym_key=KEY,
                    duckdb_memory_limit="1GB", **extra)


@dataclass
class World:
    """A simulated world after the nightly runs: where everything is, and what the labels say."""

    root: Path
    world: Path
    days: list[date]
    summaries: list = field(default_factory=list, repr=False)

    @property
    def inbox(self) -> Path:
        return self.world / "inbox"

    @property
    def reference(self) -> Path:
        return self.world / "reference"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @cached_property
    def labels(self) -> list[dict]:
        return json.loads((self.world / "labels" / "labels.json").read_text(encoding="utf-8"))

    @cached_property
    def facts(self) -> dict:
        """labels/world.json: options, traps, dirt lines."""
        return json.loads((self.world / "labels" / "world.json").read_text(encoding="utf-8"))

    def attack(self, scenario: str) -> dict:
        [label] = [lab for lab in self.labels if lab["scenario"] == scenario]
        return label

    def accounts(self, scenario: str) -> list[str]:
        return [a["actor_user_id"] for a in self.attack(scenario)["malicious_accounts"]]

    def settings(self, **extra):
        return settings(self.root, self.world, **extra)

    def sql(self, query: str, params: dict | None = None) -> list[tuple]:
        """Rows of a query over the lake's views (read-only)."""
        from transforms.lake.duck import connect

        conn = connect(self.lake)
        try:
            return conn.execute(query, params or {}).fetchall()
        finally:
            conn.close()

    def dicts(self, query: str, params: dict | None = None) -> list[dict]:
        from transforms.lake.duck import connect

        conn = connect(self.lake)
        try:
            return conn.sql(query, params=params or {}).to_arrow_table().to_pylist()
        finally:
            conn.close()

    @cached_property
    def clear_values(self) -> set[str]:
        """Every job seeker's id, account e-mail and ProConnect subject in the raw logs: none
        may reach a report, an export or a lake column in clear."""
        found: set[str] = set()
        keys = ("beneficiary_id", "actor_email", "target_email", "idpEmail", "email")
        for path in sorted(self.inbox.glob("*.jsonl*")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(row, dict):
                        found.update(str(row[k]) for k in keys if row.get(k))
        return found

    def raw_rows(self, source: str) -> list[dict]:
        """Every line of `source`'s inbox files (app, proconnect) less the simulator's deliberate
        dirt (world.json): what ingest must accept."""
        skip = {(d["file"], d["line"]) for d in self.facts["dirt"]}
        rows = []
        for path in sorted(self.inbox.glob(f"{source}-*.jsonl*")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                for no, line in enumerate(fh, 1):
                    if line.strip() and (f"inbox/{path.name}", no) not in skip:
                        rows.append(json.loads(line))
        return rows

    def copy(self, dest: Path) -> World:
        """A private copy of the deployment (lake, reports, state) over the same world files."""
        shutil.copytree(self.root, dest, symlinks=True, dirs_exist_ok=True)
        return World(dest, self.world, self.days, self.summaries)


def run(world: World, days: list[date] | None = None, **extra) -> list:
    """The nightly run over `days` (all the world's days by default), as `vigie backfill` does."""
    from transforms.nightly import run_nights

    summaries = run_nights(days or world.days, world.settings(**extra))
    world.summaries.extend(summaries)
    return summaries


def build(root: Path, start: date = START, days: int = DAYS, agents: int = AGENTS, seed: int = SEED,
          **overrides) -> World:
    """Simulate a world into `root/world`, then run every night of it into `root/lake` and `root/reports`."""
    simulate_world(root / "world", start, days, agents, seed, **overrides)
    world = World(root, root / "world", [start + timedelta(days=i) for i in range(days)])
    run(world)
    return world


ONE_ATTACK: dict = {name: {"enabled": False} for name in (
    "cookie_replay", "account_manager", "abused_advisors", "low_and_slow", "campaign", "insider")}


class Inbox(list):
    """The day files `write_inbox` wrote, and the story its labels tell."""

    labels: list[dict]
    victim: str  # the infostealer's account
    attacker_ips: list[str]
    exposed: int  # people the attack exposed
    exposed_with_nir: int
    clear_ids: list[str]  # the job seekers it exposed, in clear
    clear_emails: list[str]  # every e-mail in the raw lines
    clear_beneficiaries: list[str]  # every job seeker's id in the raw lines

    def clear_sample(self, others: int = 200) -> list[str]:
        """What no output may hold in clear: the people the attack exposed, every e-mail, and
        `others` of the other job seekers' ids (a sample keeps substring scans quick)."""
        rest = sorted(set(self.clear_beneficiaries) - set(getattr(self, "clear_ids", [])))
        return [*getattr(self, "clear_ids", []), *self.clear_emails, *rest[:: max(1, len(rest) // others)]]


def write_inbox(inbox: Path, days: list[date], attack_day: date | None = None, proconnect: bool = False,
                agents: int = 20, seed: int = SEED, **overrides) -> Inbox:
    """A simulated world's day files, as plain `app-D.jsonl` (and `proconnect-D.jsonl` when
    `proconnect`: a night is complete only when both sources delivered), for tests of the
    nightly's mechanics (plans, late files, locks, crashes, retention, notifications): normal
    work, the traps, and one infostealer extraction on `attack_day` alone (the night's one
    incident). The story is on the returned list (victim, attacker_ips, exposed, clear ids); the
    world's reference data (its IP space) is written beside the inbox, `inbox.parent / "reference"`."""
    assert days == [days[0] + timedelta(days=i) for i in range(len(days))], days
    tmp = inbox.parent / f".world-{inbox.name}"
    attack = {"infostealer": {"enabled": False}}  # an attack day after the files: none in them
    if attack_day in days:
        attack = {"infostealer": {"start_day": days.index(attack_day), "duration_days": (1, 1),
                                  "views_per_day": (240, 240)}}
    simulate_world(tmp, days[0], len(days), agents, seed,
                   **{**SMALL, **ONE_ATTACK, **attack, "dirt": {"enabled": False}, **overrides})
    inbox.mkdir(parents=True, exist_ok=True)
    files = Inbox()
    emails: set[str] = set()
    people: set[str] = set()
    for path in sorted((tmp / "inbox").glob("*.jsonl.gz")):
        source, day = path.name.split("-", 1)[0], date.fromisoformat(path.name.split("-", 1)[1][:10])
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        for line in text.splitlines():
            row = json.loads(line) if line.startswith("{") and line.endswith("}") else {}
            emails.update(str(row[k]) for k in ("idpEmail", "target_email", "actor_email", "email") if row.get(k))
            if row.get("beneficiary_id"):
                people.add(str(row["beneficiary_id"]))
        if day in days and (source == "app" or proconnect):
            files.append(inbox / f"{source}-{day}.jsonl")
            files[-1].write_text(text, encoding="utf-8")
    shutil.copytree(tmp / "reference", inbox.parent / "reference", dirs_exist_ok=True)
    files.labels = json.loads((tmp / "labels" / "labels.json").read_text(encoding="utf-8"))
    files.clear_emails = sorted(emails)
    files.clear_beneficiaries = sorted(people)
    if files.labels:
        [label] = files.labels
        files.victim = label["malicious_accounts"][0]["actor_user_id"]
        files.attacker_ips = label["malicious_ips"]
        files.exposed, files.exposed_with_nir = label["exposed_count"], label["exposed_with_nir"]
        files.clear_ids = label["exposed_beneficiaries"]
    shutil.rmtree(tmp)
    return files


def event_count(lake: Path) -> int:
    return duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/app_events/*/*.parquet')").fetchone()[0]
