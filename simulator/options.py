"""Every knob of the world, with defaults taken from spec/scenarios.md.

Why dataclasses: `simulate(**options)` takes plain dicts, the CLI takes `--set group.field=value`
and `--options FILE` (see `from_cli`), and the options are written back into labels/world.json,
which `--options` reads again, so any world can be regenerated exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import date
from pathlib import Path

Range = tuple[float, float]
Windows = tuple[Range, ...]  # Paris local hours, e.g. ((0.5, 5.5), (20.5, 23.8))


@dataclass
class InfostealerOptions:
    """Kairos 2025: a small training body's stolen password, mass extraction for weeks."""

    enabled: bool = True
    views_per_day: Range = (5000, 20000)
    pacing_ms: Range = (100, 500)
    duration_days: Range = (21, 42)
    out_of_portfolio: float = 0.97
    network: str = "random"  # foreign_vps | fr_hosting | residential_proxy | random
    start_day: int | None = None
    # one session starts in each window; the day's views are split among them at random
    workday_hours: Windows = ((0.5, 5.5), (20.5, 23.8))
    weekend_hours: Windows = ((0.5, 5.5), (10.0, 17.0), (20.5, 23.8))


@dataclass
class CookieReplayOptions:
    """A live session replayed from a second machine, interleaved with its owner."""

    enabled: bool = True
    views: Range = (400, 2500)
    pacing_ms: Range = (800, 4000)
    network: str = "random"
    start_day: int | None = None


@dataclass
class AccountManagerOptions:
    """Missions Locales 2025: an RGC creates two accounts that pull structure-wide data."""

    enabled: bool = True
    created_accounts: int = 2
    views_per_day: Range = (40000, 120000)
    duration_days: Range = (7, 21)
    nir_share: float = 0.35
    login_hours: Range = (21.0, 23.5)
    network: str = "random"
    start_day: int | None = None
    pull_hours: Windows = ((0.2, 7.5), (8.0, 15.5), (16.0, 23.8))  # after the first day, even split


@dataclass
class AbusedAdvisorOptions:
    """Cap emploi 2024: several advisor accounts query far beyond their portfolio off-hours."""

    enabled: bool = True
    accounts: Range = (3, 6)
    views_per_session: Range = (800, 3000)
    pacing_ms: Range = (900, 2500)
    duration_days: Range = (10, 20)
    network: str = "residential_proxy"
    start_day: int | None = None
    workday_share: float = 0.75  # chance of an evening session on a working day, per account
    workday_hours: Windows = ((19.0, 21.5),)  # a session starts inside each window
    weekend_hours: Windows = ((10.0, 13.0), (17.0, 21.0))


@dataclass
class LowSlowOptions:
    """One account that stays under any fixed daily threshold, all out of portfolio."""

    enabled: bool = True
    views_per_day: Range = (300, 600)
    duration_days: Range = (21, 35)
    network: str = "residential_proxy"
    start_day: int | None = None
    hours: Windows = ((9.5, 12.0), (14.0, 17.0))  # working days only, even split


@dataclass
class CampaignOptions:
    """One operator, several accounts of unrelated structures, each under any single threshold."""

    enabled: bool = True
    accounts: Range = (3, 5)
    views_per_day: Range = (120, 280)  # per account, out of portfolio, working days
    duration_days: Range = (8, 15)
    network: str = "hosting"  # hosting (one /24) | residential_proxy (the browser build links)
    start_day: int | None = None
    stagger_days: int = 4  # each account starts within this many days of the first
    hours: Range = (9.5, 17.5)  # one two-hour session inside, Paris time


@dataclass
class InsiderOptions:
    """An advisor reading out of portfolio from a personal laptop at home: quiet days first."""

    enabled: bool = True
    quiet_days: int = 4  # a few dozen reads a day, under every rule's floor
    quiet_views_per_day: Range = (20, 60)
    views_per_day: Range = (250, 500)
    duration_days: Range = (12, 20)
    start_day: int | None = None
    hours: Range = (19.0, 23.0)  # every day, one session inside, Paris time


@dataclass
class TrapOptions:
    heavy_user_share: float = 0.03
    month_end_exports: bool = True
    campaign_days: int = 1
    vpn_org_share: float = 0.12
    mobile_share: float = 0.08
    ipv6_share: float = 0.35
    laptop_moves_per_day: float = 0.01
    auto_updates_per_day: float = 0.015
    travel_per_day: float = 0.004
    onboarding_accounts: Range = (10, 30)
    new_vpn_range: bool = True  # a region's VPN concentrator moves to a new range mid-period
    service_accounts: int | None = None  # default: max(2, agents // 400)


@dataclass
class DirtOptions:
    """Realistic damage; every instance is recorded in labels/world.json."""

    enabled: bool = True
    rate: float = 2e-5  # per line, for missing-field and duplicated lines
    truncated_files: int = 1


@dataclass
class SimulationOptions:
    cutover: date | None = None  # legacy ProConnect format before; default: mid-period
    # The federation's later format eras (docs/simulator.md, tests/fixtures/eras/README.md):
    # from `cutover`, the Sep-Oct 2025 lines (raw X-Forwarded-For in `ip`, single `amr`, no
    # levelNumber); from `amr_cutover`, levelNumber and a single `amr`; from `current_cutover`,
    # spAmr/idpAmr and the technical lines of every kind on the same stream. Default: the days
    # from `cutover` on split in three.
    amr_cutover: date | None = None
    current_cutover: date | None = None
    mfa_share: Range = (0.25, 0.6)  # share of accounts with MFA at start and end
    technical_line_rate: float = 0.003
    offset_share: float = 0.3  # app lines written with a +01:00/+02:00 offset instead of Z
    gzip_level: int = 1
    infostealer: InfostealerOptions = field(default_factory=InfostealerOptions)
    cookie_replay: CookieReplayOptions = field(default_factory=CookieReplayOptions)
    account_manager: AccountManagerOptions = field(default_factory=AccountManagerOptions)
    abused_advisors: AbusedAdvisorOptions = field(default_factory=AbusedAdvisorOptions)
    low_and_slow: LowSlowOptions = field(default_factory=LowSlowOptions)
    campaign: CampaignOptions = field(default_factory=CampaignOptions)
    insider: InsiderOptions = field(default_factory=InsiderOptions)
    traps: TrapOptions = field(default_factory=TrapOptions)
    dirt: DirtOptions = field(default_factory=DirtOptions)

    @classmethod
    def from_kwargs(cls, **kw) -> SimulationOptions:
        """Build from keyword options; nested groups may be dataclasses or dicts."""
        opts = cls()
        names = {f.name for f in fields(cls)}
        for key, value in kw.items():
            if key not in names:
                raise TypeError(f"unknown simulation option {key!r}")
            current = getattr(opts, key)
            if is_dataclass(current) and not isinstance(current, type) and isinstance(value, dict):
                unknown = set(value) - {f.name for f in fields(current)}
                if unknown:
                    raise TypeError(f"unknown option {key}.{sorted(unknown)[0]}")
                value = replace(current, **{k: _tuple(v) for k, v in value.items()})
            if key in ("cutover", "amr_cutover", "current_cutover") and isinstance(value, str):
                value = date.fromisoformat(value)
            value = _tuple(value)  # a range read from JSON
            setattr(opts, key, value)
        return opts

    def to_json(self) -> dict:
        data = asdict(self)
        for name in ("cutover", "amr_cutover", "current_cutover"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return data


def _tuple(value: object) -> object:
    """JSON gives ranges and hour windows as lists; the defaults are tuples (same world)."""
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def from_cli(assignments: list[str], options_file: Path | None = None) -> dict:
    """Keyword options for `simulate()` from `--options FILE` then each `--set key=value`.

    FILE is a JSON object of options, or a world's labels/world.json (its "options"). Keys are
    `group.field` (`infostealer.views_per_day=500,1000`) or a top-level field (`cutover=...`);
    values are parsed by the field's type. Raises ValueError with the offending key.
    """
    kw: dict = {}
    if options_file is not None:
        data = json.loads(Path(options_file).read_text())
        kw = dict(data.get("options", data)) if isinstance(data, dict) else {}
        if not kw:
            raise ValueError(f"{options_file}: no options object")
    defaults = SimulationOptions()
    for text in assignments:
        key, sep, raw = text.partition("=")
        if not sep:
            raise ValueError(f"--set {text!r}: expected key=value")
        group, _, name = key.strip().rpartition(".")
        owner = getattr(defaults, group, None) if group else defaults
        if not is_dataclass(owner) or isinstance(owner, type):
            raise ValueError(f"--set {key}: unknown option group {group!r}")
        target = kw.setdefault(group, {}) if group else kw
        kinds = {f.name: str(f.type) for f in fields(owner)}
        if name not in kinds or is_dataclass(getattr(owner, name)):
            raise ValueError(f"--set {key}: unknown option")
        try:
            target[name] = _parse(kinds[name], raw.strip())
        except ValueError as exc:
            raise ValueError(f"--set {key}: {exc}") from None
    return kw


def _parse(kind: str, raw: str) -> object:
    if "None" in kind and raw.lower() in ("none", "null", ""):
        return None
    kind = kind.replace(" | None", "")
    if kind == "Windows":
        return tuple(_window(part) for part in raw.split(","))
    if kind == "Range":
        parts = raw.split(",")
        if len(parts) != 2:
            raise ValueError(f"expected two numbers 'low,high', got {raw!r}")
        low, high = (_number(x) for x in parts)
        if low > high:
            raise ValueError(f"low {low:g} above high {high:g}")
        return (low, high)
    if kind == "bool":
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"expected true or false, got {raw!r}")
        return raw.lower() in ("true", "1", "yes")
    if kind == "date":
        return date.fromisoformat(raw)
    return {"int": int, "float": float, "str": str}[kind](raw)


def _window(raw: str) -> Range:
    """'20.5-23.8': from 20:30 to 23:48, Paris time."""
    low, sep, high = raw.partition("-")
    if not sep:
        raise ValueError(f"expected hour windows 'from-to,from-to', got {raw!r}")
    h0, h1 = _number(low), _number(high)
    if not 0 <= h0 < h1 <= 24:
        raise ValueError(f"hour window {raw!r} not within 0-24 with from < to")
    return (h0, h1)


def _number(raw: str) -> int | float:
    """500 stays an int (as the defaults are: counts, days), 0.5 a float."""
    try:
        return int(raw)
    except ValueError:
        return float(raw)
