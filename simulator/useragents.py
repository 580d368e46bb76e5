"""Browser and HTTP-client user agents, with versions that move with the calendar.

Why versions matter: a browser auto-update changes the version inside a session (a trap for
naive "user agent changed" rules), while a stolen cookie shows another family or OS.
"""

from __future__ import annotations

import functools
from datetime import date

import numpy as np

_EPOCH = date(2025, 1, 7)
_PLATFORMS = {
    "win10": "Windows NT 10.0; Win64; x64",
    "mac": "Macintosh; Intel Mac OS X 10_15_7",
    "linux": "X11; Linux x86_64",
}
# (family, platform, weight)
BROWSERS = [
    ("chrome", "win10", 0.42), ("edge", "win10", 0.25), ("firefox", "win10", 0.17),
    ("chrome", "mac", 0.05), ("safari", "mac", 0.05), ("firefox", "linux", 0.03),
    ("chrome", "linux", 0.03),
]
SP_CLIENT = "openid-client/5.7.1 (https://github.com/panva/node-openid-client)"
SERVICE_CLIENTS = ["Apache-HttpClient/4.5.14 (Java/17.0.12)", "python-requests/2.32.3",
                   "KairosSync/3.4.1 (+batch)"]
SCRIPT_CLIENTS = ["python-requests/2.31.0", "python-httpx/0.27.2", "aiohttp/3.9.5",
                  "Go-http-client/2.0", "curl/8.5.0"]


def chrome_major(d: date) -> int:
    """Stable Chrome/Edge major in use on `d` (a release every four weeks)."""
    return 132 + (d - _EPOCH).days // 28


def firefox_major(d: date) -> int:
    return 134 + (d - _EPOCH).days // 28


def browser(family: str, platform: str, major: int, build: int) -> str:
    """A realistic user-agent string for a browser family, platform and version."""
    plat = _PLATFORMS[platform]
    if family in ("chrome", "edge"):
        ua = (f"Mozilla/5.0 ({plat}) AppleWebKit/537.36 (KHTML, like Gecko) "
              f"Chrome/{major}.0.{6800 + (major - 132) * 50 + build % 40}.{build % 200} "
              f"Safari/537.36")
        return ua + (f" Edg/{major}.0.{3000 + (major - 132) * 60}.{build % 120}"
                     if family == "edge" else "")
    if family == "firefox":
        fx = major - 132 + 134
        return f"Mozilla/5.0 ({plat}; rv:{fx}.0) Gecko/20100101 Firefox/{fx}.0"
    minor = 1 + (major - 132) // 6
    return (f"Mozilla/5.0 ({plat}) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            f"Version/18.{minor} Safari/605.1.15")


def pick_browser(rng: np.random.Generator, exclude: tuple[str, str] | None = None) -> tuple[str, str]:
    """A (family, platform) drawn by market share, optionally different from `exclude`.

    The same draw as `rng.choice(len(choices), p=weights / weights.sum())` (one uniform against
    the cumulative weights), without its per-call validation: this runs once per device.
    """
    choices, cdf = _browser_cdf(exclude)
    i = int(cdf.searchsorted(rng.random(), side="right"))
    return choices[i][0], choices[i][1]


@functools.cache
def _browser_cdf(exclude: tuple[str, str] | None) -> tuple[list, np.ndarray]:
    choices = [(f, p, w) for f, p, w in BROWSERS if (f, p) != exclude]
    weights = np.array([w for _, _, w in choices])
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return choices, cdf
