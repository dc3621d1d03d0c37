"""The notebooks as documents: structure, parameters, and their copies that nbval re-runs.

nbval itself executes tests/expected_notebooks/*.ipynb (the tiny configuration) in this same
pytest run and compares the outputs of cells tagged `nbval-check-output`.
"""
from __future__ import annotations

import ast

import re
from pathlib import Path

import nbformat
import pytest

from support import NOTEBOOKS_WITH_SOLUTIONS
from repo_tools.notebooks import ALL_NOTEBOOKS, LESSONS, declared, declared_names

ROOT = Path(__file__).resolve().parent.parent
COMMON_PARAMETERS = {
    "data_dir", "model_checkpoint", "artifacts_dir", "max_train_samples", "max_eval_samples",
    "num_train_epochs", "learning_rate", "per_device_train_batch_size", "seed", "push_to_hub",
}


def read(name: str, folder: str = "notebooks") -> nbformat.NotebookNode:
    return nbformat.read(ROOT / folder / f"{name}.ipynb", as_version=4)


CHECK = "nbval-check-output"
# Cells whose outputs nbval compares besides the walk-through ones: 04's test scores (overall and per
# type) and 05's entities on the example text.
RESULT_CELLS = {"04_evaluate": ["04-09"], "05_inference": ["05-13"]}


def sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str, bool]]:
    return [
        (cell.cell_type, cell.source, CHECK in cell.metadata.get("tags", []))
        for cell in notebook.cells
        if not {"injected-parameters", "papermill-error-cell-tag"} & set(cell.metadata.get("tags", []))
    ]


@pytest.mark.parametrize("name", LESSONS)
def test_expected_copy_has_the_same_cells_as_the_notebook(name):
    # If this fails, a notebook changed: run `make expected-notebooks` and review the outputs.
    assert sources(read(name, "tests/expected_notebooks")) == sources(read(name))


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_committed_notebook_holds_no_outputs(name):
    notebook = read(name)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_one_parameters_cell_of_literals_each_documented(name):
    notebook = read(name)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    parameters = declared(name)
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    assert len(parameters) == len(lines)
    assert all(parameter["help"] for parameter in parameters.values())
    assert {"artifacts_dir", "run_dir"} & set(parameters)  # where the notebook reads its input


def test_the_common_parameters_appear_where_they_apply():
    assert COMMON_PARAMETERS <= declared_names(LESSONS)


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebook_opens_with_badge_colab_install_and_versions_and_ends_with_exercises(name):
    cells = read(name).cells
    # Where the badge and install cell point is checked in test_workshop_kit.py (one setting for all notebooks).
    assert "colab-badge.svg" in cells[0].source
    install = next(cell for cell in cells if "%pip install" in cell.source)
    assert 'if "google.colab" in sys.modules:' in install.source
    assert any("check_notebook(" in cell.source for cell in cells[:6])  # checks the parameters, prints the releases
    summary = max(i for i, cell in enumerate(cells) if cell.cell_type == "markdown" and "## Summary" in cell.source)
    assert "Exercises" in cells[summary].source
    # After the summary come only the exercises' answer checks and their solutions.
    for cell in cells[summary + 1 :]:
        assert {"solution", "solution-prose"} & set(cell.metadata.get("tags", [])) or "Exercise" in cell.source, cell.source[:60]


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_flushes_drive_once_before_its_summary_and_solutions(name):
    cells = read(name).cells
    summary = max(i for i, cell in enumerate(cells) if cell.cell_type == "markdown" and "## Summary" in cell.source)
    flushing = [i for i, cell in enumerate(cells) if "flush_drive()" in cell.source]
    assert len(flushing) == 1 and flushing[0] < summary


@pytest.mark.parametrize("path", NOTEBOOKS_WITH_SOLUTIONS, ids=lambda path: str(path.relative_to(ROOT / "notebooks")))
def test_run_all_prints_no_solution_until_the_learner_asks(path, monkeypatch, capsys):
    # Run all executes every cell: each solution cell, run as Run all runs it (reveal as written, no test-run
    # variable), must print only that its answer is hidden, and leave no answer behind; `make test` sets
    # NER_RUN_SOLUTIONS=1, so the notebook runs there execute every answer.
    from ner_helpers.exercises import RUN_SOLUTIONS_ENV

    monkeypatch.delenv(RUN_SOLUTIONS_ENV, raising=False)
    solutions = [cell for cell in nbformat.read(path, as_version=4).cells if "solution" in cell.metadata.get("tags", [])]
    assert solutions
    for cell in solutions:
        namespace: dict = {}
        exec(compile(cell.source, f"{path.name}:{cell.id}", "exec"), namespace)  # nothing but the guard may run
        assert namespace["reveal"] is False
        assert set(namespace) <= {"__builtins__", "reveal", "solution_wanted"}, cell.id
        assert capsys.readouterr().out.count("\n") == 1, cell.id  # the one line that says how to reveal it


@pytest.mark.parametrize("name", LESSONS[1:])
def test_notebook_checks_earlier_artifacts_right_after_its_parameters(name):
    cells = read(name).cells
    index = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    calls = [node for node in ast.walk(ast.parse(cells[index + 1].source))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "find_artifacts"]
    assert len(calls) == 1 and len(calls[0].args) >= 2  # each lesson after 01 needs an earlier one's output


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_code_cells_are_preceded_by_prose(name):
    cells = read(name).cells
    for previous, cell in zip(cells, cells[1:]):
        if cell.cell_type == "code" and "require_artifact" not in cell.source and "check_notebook" not in cell.source:
            assert previous.cell_type == "markdown" or cell.source.startswith("#"), cell.source[:60]


@pytest.mark.parametrize("name", LESSONS)
def test_checked_outputs_are_tagged_not_marked_in_the_code(name):
    # A tag keeps test machinery out of the code a learner reads; nbval reads both.
    cells = read(name).cells
    assert not any("NBVAL" in cell.source for cell in cells)
    assert any(CHECK in cell.metadata.get("tags", []) for cell in cells)


@pytest.mark.parametrize("name", RESULT_CELLS)
def test_result_cells_are_checked(name):
    tagged = {cell.id for cell in read(name).cells if CHECK in cell.metadata.get("tags", [])}
    assert set(RESULT_CELLS[name]) <= tagged


def output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_expected_copy_of_04_shows_a_test_f1_well_above_zero():
    # The tiny configuration learns: the stored (and nbval-checked) scores are real numbers.
    cell = next(c for c in read("04_evaluate", "tests/expected_notebooks").cells if c.get("id") == "04-09")
    scores = dict(re.findall(r"(F1|precision|recall|token accuracy) (\d\.\d+)", output_text(cell)))
    assert set(scores) == {"F1", "precision", "recall", "token accuracy"}
    assert float(scores["F1"]) >= 0.3 and float(scores["precision"]) > 0 and float(scores["recall"]) > 0


def test_expected_copy_of_05_finds_entities_in_the_example_text():
    notebook = read("05_inference", "tests/expected_notebooks")
    text = declared("05_inference")["text"]["default"]
    text = eval(text)  # the parameter's literal, as the notebook declares it
    cell = next(c for c in notebook.cells if c.get("id") == "05-13")
    output = output_text(cell)
    assert "same entities as the pipeline:" in output
    rows = re.findall(r"^\d+ +([\w-]+) +(.+?) +(\d+) +(\d+) +[\d.]+$", output, flags=re.M)
    assert rows, output  # the trained tiny model finds entities in the example; nbval checks which
    for entity_type, surface, start, end in rows:
        assert text[int(start) : int(end)] == surface


def test_the_five_lessons_stay_short_and_their_plumbing_out_of_sight():
    from repo_tools.lesson_size import MAX_PLUMBING_SHARE, MAX_PROSE_WORDS, lessons_size

    sizes = lessons_size()
    words = sum(size["prose_words"] for size in sizes.values())
    code = sum(size["code_lines"] for size in sizes.values())
    plumbing = sum(size["plumbing_lines"] for size in sizes.values())
    assert words <= MAX_PROSE_WORDS, f"01-05 hold {words} words of prose: `python -m repo_tools.lesson_size` shows where"
    assert plumbing / code <= MAX_PLUMBING_SHARE, f"{plumbing} of {code} code lines in 01-05 are plumbing"
    assert all(size["plumbing_lines"] > 0 for size in sizes.values())  # the measure still finds the set-up cells
