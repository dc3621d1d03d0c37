"""How long the five lessons are: words of prose, and code lines that teach against code lines that are plumbing.

`python -m repo_tools.lesson_size` prints a table; tests/test_notebooks.py holds the lessons to the limits below.
Prose is every markdown cell (the solutions' prose too). Code lines are the non-blank lines of code cells outside
the solutions; plumbing is what is not the lesson: the Colab install cell, the cell that checks the parameters and
finds the artifacts, and the Drive flush line.
"""
from __future__ import annotations

import sys

import nbformat

from repo_tools.notebooks import LESSONS, NOTEBOOK_DIR, is_install_cell, notebook_path

MAX_PROSE_WORDS = 3500  # issue 35: "as short as the guide allows"
MAX_PLUMBING_SHARE = 0.11  # "at most about 10%": the Colab install cell with a placeholder repository has one line more


# The parameter check and artifacts lookup, and (in older notebooks) the versions printout, each a cell of its own.
_PLUMBING_CELLS = ("check_notebook(", "check_parameters(", "importlib.metadata import version")


def _lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.strip()]


def lesson_size(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """{prose_words, code_lines, plumbing_lines} of one notebook."""
    words = sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type == "markdown")
    code = plumbing = 0
    for cell in notebook.cells:
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
            continue
        lines = _lines(cell.source)
        code += len(lines)
        if is_install_cell(cell) or any(mark in cell.source for mark in _PLUMBING_CELLS):
            plumbing += len(lines)
        else:
            plumbing += sum("flush_drive" in line for line in lines)
    return {"prose_words": words, "code_lines": code, "plumbing_lines": plumbing}


def lessons_size(notebook_dir=NOTEBOOK_DIR) -> dict[str, dict[str, int]]:
    """lesson_size of each of the five lessons, by name."""
    return {name: lesson_size(nbformat.read(notebook_path(name, notebook_dir), as_version=4)) for name in LESSONS}


def main() -> int:
    sizes = lessons_size()
    print(f"{'notebook':16} {'prose words':>12} {'code lines':>11} {'plumbing':>9}")
    for name, size in sizes.items():
        print(f"{name:16} {size['prose_words']:12} {size['code_lines']:11} {size['plumbing_lines']:9}")
    total = {key: sum(size[key] for size in sizes.values()) for key in ("prose_words", "code_lines", "plumbing_lines")}
    share = total["plumbing_lines"] / total["code_lines"]
    print(f"{'all five':16} {total['prose_words']:12} {total['code_lines']:11} {total['plumbing_lines']:9} "
          f"({share:.0%} plumbing; limits: {MAX_PROSE_WORDS} words, {MAX_PLUMBING_SHARE:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
