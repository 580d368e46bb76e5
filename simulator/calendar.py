"""Working days, French public holidays and Paris local time.

Why: office rhythms (and the attacks' nights and weekends) are defined in Paris time, while
ProConnect writes epoch milliseconds and the files rotate on UTC days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=16)
def holidays(year: int) -> frozenset[date]:
    """The eleven French public holidays of `year`."""
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [e + timedelta(days=1), e + timedelta(days=39), e + timedelta(days=50)]
    return frozenset([date(year, m, d) for m, d in fixed] + moving)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in holidays(d.year)


def is_last_working_day_of_month(d: date) -> bool:
    if not is_working_day(d):
        return False
    nxt = d + timedelta(days=1)
    while not is_working_day(nxt):
        nxt += timedelta(days=1)
    return nxt.month != d.month


def local_midnight_ms(d: date) -> int:
    """Epoch ms of 00:00 Paris time on day `d`."""
    return int(datetime(d.year, d.month, d.day, tzinfo=PARIS).timestamp() * 1000)


def utc_midnight_ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


def utc_day_of_ms(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date()
