"""Student copies of the notebooks, without the solutions: `make student-notebooks` (part of `make regenerate`).

Every English notebook in notebooks/ (the lessons, 06-08 and the classroom notebook) is copied to
notebooks/student/, committed so that a class opens them from GitHub or Colab without a local `make`, with
the cells tagged `solution` (the worked solutions) and `solution-prose` (the line that introduces each) left
out; every other cell is copied unchanged, exercises and answer checks included, except that relative links
climb one folder more and the Colab badge opens the copy itself. A test fails when a copy is stale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STUDENT_DIR = ROOT / "notebooks" / "student"
SOLUTION_TAGS = {"solution", "solution-prose"}


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(SOLUTION_TAGS & set(cell.metadata.get("tags", [])))


def student_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its solution cells."""
    copy = nbformat.from_dict(notebook)
    copy.cells = [cell for cell in copy.cells if not is_solution(cell)]
    return copy


def relinked(notebook: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """A copy of a notebook moved one folder down to `path`: relative links climb once more, its badge opens `path`."""
    from repo_tools.ja_edition import localise_links  # the Japanese edition moves its notebooks one folder down too

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = localise_links(cell.source, path)
    return notebook


def write_student_notebooks(source: Path = ROOT / "notebooks", out: Path = STUDENT_DIR) -> list[Path]:
    """Write a student copy of every notebook directly in `source` to `out`; the paths written."""
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.ipynb")):
        target = out / path.name
        copy = relinked(student_copy(nbformat.read(path, as_version=4)), target)
        target.write_text(nbformat.writes(copy) + "\n")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=STUDENT_DIR, help="folder for the copies")
    args = parser.parse_args(argv)
    for path in write_student_notebooks(out=args.out):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
