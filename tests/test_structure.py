"""The pipeline (transforms/, flows/) never imports the development packages (simulator/,
devtools/), which stay in the checkout, outside the wheel: only the development commands of
flows/cli.py import them, inside their function, after `need_checkout`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_PACKAGES = {"simulator", "devtools"}


def _dev_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    else:
        return []
    return [name for name in names if name.split(".")[0] in DEV_PACKAGES]


def _walk(tree: ast.AST, in_function: bool = False):
    for child in ast.iter_child_nodes(tree):
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        for name in _dev_imports(child):
            yield child.lineno, name, in_function
        yield from _walk(child, inside)


def test_pipeline_does_not_import_dev_packages():
    wrong = []
    lazy = []
    for folder in ("transforms", "flows"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for line, name, in_function in _walk(ast.parse(path.read_text(encoding="utf-8"))):
                if relative == "flows/cli.py" and in_function:
                    lazy.append(name)
                else:
                    wrong.append(f"{relative}:{line} imports {name}")
    assert not wrong, "the pipeline imports a development package:\n" + "\n".join(wrong)
    assert lazy, "flows/cli.py's development commands import simulator/devtools lazily"


def test_the_wheel_runs_a_night_without_the_checkout(tmp_path: Path):
    """The built wheel holds the pipeline and its SQL and templates, not the development
    packages, and runs a night from anywhere (the checkout is not on the path)."""
    import os
    import shutil
    import subprocess
    import sys
    import zipfile

    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".venv-bootstrap" / "bin" / "uv")
    subprocess.run([uv, "build", "--wheel", "-o", str(tmp_path / "dist"), str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("vigie-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.startswith("vigie-")} == {"flows", "transforms"}
    assert "transforms/sql/detections/session_multi_network.sql" in names
    assert "transforms/report/templates/report.html.j2" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "PREFECT_API_URL"))}
    env.update(PYTHONPATH=str(site), VIGIE_CONFIG=str(tmp_path / "absent.toml"),
               VIGIE_PSEUDONYM_KEY="wheel-test-key-0123456789abcdef",
               VIGIE_INBOX=str(ROOT / "sample_logs" / "inbox"), VIGIE_REFERENCE=str(ROOT / "sample_logs" / "reference"),
               VIGIE_LAKE=str(tmp_path / "lake"), VIGIE_REPORTS=str(tmp_path / "reports"),
               VIGIE_STATE=str(tmp_path / ".vigie"))
    code = ("import sys, transforms.lake.sql as s; assert s.SQL_DIR.is_relative_to(sys.argv[1]), s.SQL_DIR; "
            "from flows.cli import app; app(sys.argv[2:])")
    done = subprocess.run([sys.executable, "-c", code, str(site), "nightly", "--date", "2025-11-17"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "reports" / "2025-11-17" / "report.html").is_file()


def test_dev_command_outside_a_checkout(monkeypatch):
    import importlib.util

    import pytest
    import typer

    from flows import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] in DEV_PACKAGES else real(name, *a))
    with pytest.raises(typer.Exit):
        cli.need_checkout("devtools.bench")
