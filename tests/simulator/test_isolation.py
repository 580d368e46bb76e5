"""The simulator stays apart from the pipeline (issue 3: nothing in flows/ or transforms/ imports it)."""

from __future__ import annotations

import subprocess
import sys


def test_the_pipeline_never_imports_the_simulator():
    """Only `vigie simulate` and the benchmarks may: the nightly must run where it is not installed."""
    code = ("import sys, pkgutil, importlib, flows, transforms\n"
            "for pkg in (flows, transforms):\n"
            "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'simulator'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
