"""Render a report in headless Chromium and save a screenshot, to check it as a reader would.

Usage: .venv/bin/python devtools/screenshot_report.py reports/2025-11-30/report.html [out.png]
       [--width 1280] [--height 2200]

Needs Debian's `chromium` package (`apt-get install -y chromium`). The page is opened from
the file system with every network feature of the browser turned off: a report that needs
the network to display shows up broken here.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-extensions", "--disable-default-apps", "--mute-audio"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("chromium not found: apt-get update && apt-get install -y chromium")


def screenshot(html: Path, out: Path, width: int = 1280, height: int = 2200, timeout: float = 60) -> Path:
    with tempfile.TemporaryDirectory(prefix="vigie-chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                   f"--screenshot={out.resolve()}", html.resolve().as_uri()]
        subprocess.run(command, check=True, timeout=timeout, capture_output=True)
    if not out.exists():
        sys.exit(f"chromium wrote no screenshot for {html}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2200)
    args = parser.parse_args()
    out = args.out or args.html.with_suffix(".png")
    print(screenshot(args.html, out, args.width, args.height))


if __name__ == "__main__":
    main()
