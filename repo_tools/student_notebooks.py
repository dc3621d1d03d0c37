"""Student copies of the notebooks, without the solutions: `make student-notebooks`.

Every notebooks/**/*.ipynb is copied to student-notebooks/ (git ignores it) with the cells tagged
`solution` (the worked solutions) and `solution-prose` (the line that introduces each) left out;
every other cell is copied unchanged, exercises and answer checks included.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_TAGS = {"solution", "solution-prose"}


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(SOLUTION_TAGS & set(cell.metadata.get("tags", [])))


def student_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its solution cells."""
    copy = nbformat.from_dict(notebook)
    copy.cells = [cell for cell in copy.cells if not is_solution(cell)]
    return copy


def write_student_notebooks(source: Path = ROOT / "notebooks", out: Path = ROOT / "student-notebooks") -> list[Path]:
    """Write a student copy of every notebook under `source` to the same relative path under `out`."""
    written = []
    for path in sorted(source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        target = out / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_copy(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "student-notebooks", help="folder for the copies")
    args = parser.parse_args(argv)
    for path in write_student_notebooks(out=args.out):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
