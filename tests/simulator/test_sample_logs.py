"""sample_logs/README.md's command regenerates the committed sample byte for byte.

Why: `make demo` and the documented figures run on the committed sample; a change to the
simulator that moves its random stream must show up here, not in a demo that quietly differs.
"""

from __future__ import annotations

import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"


def test_readme_command_regenerates_the_sample(tmp_path):
    readme = (SAMPLE / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert '"sample_logs"' in code
    exec(code.replace('"sample_logs"', repr(str(tmp_path))), {})  # noqa: S102 - our own README
    committed = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*") if p.is_file() and p.name != "README.md")
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made == committed
    differ = [str(f) for f in committed if (SAMPLE / f).read_bytes() != (tmp_path / f).read_bytes()]
    assert differ == []
