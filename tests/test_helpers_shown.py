"""A notebook that calls a helper for something it teaches shows that helper the first time it uses it.

Shown means: an earlier notebook showed it already, or its source is printed (`inspect.getsource(name)`) in the cell that first uses it or within
the two cells after, or a markdown cell up to two cells before or after that cell links to its file
(`.../ner_helpers/<module>.py`, which defines `def name(`; a link to a line number would go stale). Helpers that are not
the lesson (handing files between notebooks, plots, display, tables, printed sentences) are listed with
the reason. Cells tagged `solution` (hidden exercise solutions) and `ner_helpers.exercises` (answer checks) are not the lesson.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from repo_tools.notebooks import LESSONS, python_source

ROOT = Path(__file__).resolve().parent.parent
NOT_THE_LESSON = {
    "require_artifact": "hands files between notebooks",
    "resolve_artifacts_dir": "hands files between notebooks (Colab)",
    "scratch_artifacts_dir": "hands files between notebooks (exercises)",
    "kept_sentences": "hands files between notebooks (the sentences notebook 02 kept)",
    "flush_drive": "hands files between notebooks (Colab: finishes writing to Google Drive)",
    "check_notebook": "checks the parameters cell's names and values before anything runs",
    "nothing_learned": "prints a warning when the model found no entity",
    "find_artifacts": "hands files between notebooks",
    "save_log_history": "writes a JSON file for notebook 04",
    "best_epoch": "reads the epoch Trainer kept from its log",
    "per_type_table": "lays scores out as a table",
    "log_history_table": "lays the log out as a table",
    "error_summary": "counts errors into a table",
    "compare_with_published": "prints a sentence placing the score",
    "training_story": "prints a sentence written from the log",
    "display_entities": "draws highlighted text",
    "plot_per_type_scores": "draws a chart",
    "plot_training_curves": "draws a chart",
    "plot_confusion_matrix": "draws a chart",
}
LINK = re.compile(r"\[`(\w+)`\]\((?:https://github\.com/[^)]*/|(?:\.\./)+)ner_helpers/(\w+)\.py\)")


def code_of(cell) -> str:
    return python_source(cell.source)


def helpers_used(cells) -> dict[str, int]:
    """Each ner_helpers function a notebook uses -> the index of the first cell that calls or passes it."""
    imported: set[str] = set()
    modules: set[str] = set()
    first: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
            continue  # hidden exercise solutions and answer checks are not the lesson
        tree = ast.parse(code_of(cell))
        for node in ast.walk(tree):
            if node.__class__ is ast.ImportFrom and node.module == "ner_helpers.exercises":
                continue  # answer checks and solutions of the exercises, not the lesson
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ner_helpers"):
                for alias in node.names:
                    (modules if node.module == "ner_helpers" else imported).add(alias.asname or alias.name)
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Name) and node.id in imported and isinstance(node.ctx, ast.Load):
                name = node.id
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                name = node.attr
            if name and not _inside_getsource(tree, node):
                first.setdefault(name, index)
    return {name: index for name, index in first.items() if name[:1].islower() and not name.isupper()}


def _inside_getsource(tree: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "getsource":
            if any(target is sub for arg in node.args for sub in ast.walk(arg)):
                return True
    return False


def shown(cells, name: str, index: int) -> bool:
    window = cells[max(0, index - 2) : index + 3]
    for cell in window:
        if cell.cell_type == "code" and re.search(rf"getsource\((\w+\.)?{name}\)", cell.source):
            return True
        if cell.cell_type == "markdown":
            for linked, module in LINK.findall(cell.source):
                lines = (ROOT / "ner_helpers" / f"{module}.py").read_text().splitlines()
                if linked == name and any(line.startswith(f"def {name}(") for line in lines):
                    return True
    return False


def shown_before(name: str) -> set[str]:
    """Helpers the notebooks before `name` showed."""
    earlier: set[str] = set()
    for previous in LESSONS[: LESSONS.index(name)]:
        cells = nbformat.read(ROOT / "notebooks" / f"{previous}.ipynb", as_version=4).cells
        earlier |= {helper for helper, index in helpers_used(cells).items() if shown(cells, helper, index)}
    return earlier


@pytest.mark.parametrize("name", LESSONS)
def test_every_helper_a_notebook_teaches_with_is_shown_where_it_is_first_used(name):
    cells = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    earlier = shown_before(name)
    hidden = [
        f"{helper} (cell {cells[index].get('id')})"
        for helper, index in helpers_used(cells).items()
        if helper not in NOT_THE_LESSON and helper not in earlier and not shown(cells, helper, index)
    ]
    assert not hidden, f"{name}: print the source of, or link to the file of: {', '.join(hidden)}"


def test_a_link_to_a_line_number_does_not_count_as_shown():
    cell = nbformat.v4.new_markdown_cell("[`categorize_errors`](https://github.com/o/r/blob/main/ner_helpers/analysis.py#L1)")
    assert not shown([cell], "categorize_errors", 0)


def test_notebook_03_holds_the_guides_training_code():
    source = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / "03_train.ipynb", as_version=4).cells)
    assert "TrainingArguments(" in source and "Trainer(" in source and "def compute_metrics" in source
    assert "build_trainer" not in source and "training_arguments(" not in source
    assert "trainer.train(" in source
