"""Shared state of one simulation: population, per-device ProConnect state, the current day.

Why one object: attacks, traps and normal work all add segments to the same day and share
the browsers' ProConnect sessions, so a replayed cookie or a reused browser is consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from simulator.calendar import HOUR_MS, local_midnight_ms
from simulator.options import SimulationOptions
from simulator.population import Population


@dataclass
class BrowserState:
    """What a browser holds: its ProConnect session (12 h, not extended) and browsing id."""

    bsid: str
    bsid_n: int = 0
    session: str | None = None
    created: int = 0  # ms, when the session id was issued (IDP_CALLEDBACK)
    acr: str = "eidas1"
    amr: str = '["pwd"]'
    known: bool = False


@dataclass
class Segment:
    """One app session's worth of activity of one account on one device."""

    agent: int
    device: int | None
    ip: str
    ua: str
    t0: int
    t1: int
    kind: str = "normal"
    login: str = "auto"  # auto | none | replay | continue
    logout: bool = False
    atk: int = -1
    app_session: str | None = None
    ip_alt: str | None = None
    ip_switch: int = 0
    ua_alt: str | None = None
    ua_switch: int = 0
    gap: tuple[int, int] | None = None
    n_views: int = 0
    params: dict = field(default_factory=dict)
    act_start: int = 0
    pc_session: str | None = None
    bsid: str | None = None
    acr: str = "eidas1"
    amr: str = '["pwd"]'
    auth_time: int = 0


@dataclass
class Attack:
    """A labelled attack: identities it uses; what it touched is read back from its lines."""

    attack_id: str
    scenario: str
    accounts: list[int] = field(default_factory=list)
    devices: list[int] = field(default_factory=list)
    ips: set[str] = field(default_factory=set)
    app_sessions: set[str] = field(default_factory=set)
    pc_sessions: set[str] = field(default_factory=set)
    bsids: set[str] = field(default_factory=set)
    params: dict = field(default_factory=dict)


@dataclass
class Sim:
    seed: int
    start: date
    days: list[date]
    pop: Population
    opts: SimulationOptions
    browsers: dict[int, BrowserState] = field(default_factory=dict)
    attacks: list[Attack] = field(default_factory=list)
    traps: list[dict] = field(default_factory=list)
    counter: int = 0  # for ids made one at a time
    trap_plan: dict[int, dict[int, dict]] = field(default_factory=dict)
    hooks: dict[int, list] = field(default_factory=dict)  # day index -> callables(day)

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def mfa_share(self, day_index: int) -> float:
        lo, hi = self.opts.mfa_share
        return lo + (hi - lo) * day_index / max(1, len(self.days) - 1)


@dataclass
class Day:
    sim: Sim
    index: int
    date: date
    rng: np.random.Generator
    midnight: int = 0
    segments: list[Segment] = field(default_factory=list)
    app: list[pl.DataFrame] = field(default_factory=list)
    pc: list[pl.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.midnight = local_midnight_ms(self.date)

    def at(self, hours: float | np.ndarray) -> int | np.ndarray:
        """Epoch ms of a Paris local time (hours since midnight) on this day."""
        if isinstance(hours, np.ndarray):
            return self.midnight + (hours * HOUR_MS).astype(np.int64)
        return self.midnight + int(hours * HOUR_MS)
