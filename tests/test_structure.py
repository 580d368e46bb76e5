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


def test_wheel_holds_the_pipeline_only():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["flows", "transforms"]


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
