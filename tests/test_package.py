"""The installed package (pyproject's `packages`) is what the notebooks import, and it stands alone: on Colab or
Kaggle only ner_helpers is installed, so neither it nor a notebook may import the repository's own tools."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import nbformat
import pytest

from repo_tools.notebooks import python_source

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(python_source(source))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_installed_package_is_ner_helpers_alone():
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"] == ["ner_helpers"]


@pytest.mark.parametrize("module", sorted((ROOT / "ner_helpers").glob("*.py")), ids=lambda path: path.name)
def test_ner_helpers_imports_nothing_of_the_repository(module):
    assert not imported_packages(module.read_text()) & {"repo_tools", "tests", "demo"}


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").rglob("*.ipynb")), ids=lambda path: str(path.relative_to(ROOT)))
def test_notebooks_import_only_the_installed_package_of_this_repository(notebook):
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code":
            assert "repo_tools" not in imported_packages(cell.source), cell.get("id")
