"""The classroom notebook (notebooks/all_in_one.ipynb) is generated from the five lessons and runs top to bottom."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from repo_tools import all_in_one
from repo_tools.notebooks import LESSONS, declared
from repo_tools.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent


def origin(cell_id: str) -> str:
    return next((f"notebooks/{name}.ipynb" for name in LESSONS if cell_id.startswith(name[:2])), "the generator")


@pytest.mark.parametrize("output", list(all_in_one.EDITIONS), ids=lambda path: path.parent.name)
def test_all_in_one_is_not_stale(output):
    fresh = all_in_one.build(output)
    committed = nbformat.read(output, as_version=4)
    hint = f"{output.relative_to(ROOT)} is stale: run make all-in-one (never edit it by hand)."
    fresh_cells = [(c["id"], c.cell_type, c.source, c.metadata.get("tags", [])) for c in fresh.cells]
    committed_cells = [(c.get("id"), c.cell_type, c.source, c.metadata.get("tags", [])) for c in committed.cells]
    for position, (new, old) in enumerate(zip(fresh_cells, committed_cells)):
        assert new == old, f"{hint} Cell {position} differs: generated {new[0]!r} from {origin(new[0])}, committed {old[0]!r}."
    assert len(fresh_cells) == len(committed_cells), (
        f"{hint} Generated {len(fresh_cells)} cells, committed {len(committed_cells)}; first extra: "
        f"{(fresh_cells + committed_cells)[min(len(fresh_cells), len(committed_cells))][0]!r}."
    )
    assert all_in_one.render(fresh) == output.read_text(), f"{hint} (metadata or outputs differ)"


def test_all_in_one_holds_every_lesson_cell_once_and_one_parameters_cell():
    notebook = nbformat.read(all_in_one.OUTPUT, as_version=4)
    ids = [cell["id"] for cell in notebook.cells]
    assert len(ids) == len(set(ids))
    assert sum("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells) == 1
    assert sum("%pip install" in cell.source for cell in notebook.cells) == 1
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    for name in LESSONS:
        lesson = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        kept = [c["id"] for c in lesson.cells if "parameters" not in c.metadata.get("tags", []) and "%pip install" not in c.source]
        assert set(kept) - {c["id"] for c in lesson.cells if c.source.startswith("## Parameters")} <= set(ids), name
    # One kernel, one parameters cell: the first lesson's check covers every lesson's parameters, the others are dropped.
    checks = [cell.source for cell in notebook.cells if "check_notebook(" in cell.source]
    assert len(checks) == 1 and 'check_notebook("all_in_one", globals())' in checks[0]
    merged = declared("all_in_one")
    for name in LESSONS:
        assert set(declared(name)) <= set(merged), name


def test_generator_refuses_a_lesson_that_overwrites_a_later_parameter(tmp_path, monkeypatch):
    for name in LESSONS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", tmp_path)
    lesson = nbformat.read(tmp_path / "02_preprocess.ipynb", as_version=4)
    lesson.cells.append(nbformat.v4.new_code_cell("text = 'a sentence'", id="overwrites-05"))  # `text` is 05's parameter
    nbformat.write(nbformat.from_dict(lesson), tmp_path / "02_preprocess.ipynb")
    monkeypatch.setitem(all_in_one.EDITIONS, all_in_one.OUTPUT, (tmp_path, all_in_one.TITLE, all_in_one.PARAMETERS_MD))
    with pytest.raises(ValueError, match=r"02_preprocess.ipynb.*\['text'\]"):
        all_in_one.build()


@pytest.mark.notebook
def test_all_in_one_runs_top_to_bottom_in_the_tiny_configuration(tmp_path, monkeypatch, tiny_model_dir):
    from ner_helpers.exercises import RUN_SOLUTIONS_ENV

    monkeypatch.setenv(RUN_SOLUTIONS_ENV, "0")  # the solutions are the lessons' own cells, run by nbval's chain
    parameters = yaml.safe_load((ROOT / "tests" / "notebook_params_ci.yaml").read_text())
    parameters["data_dir"] = str(ROOT / parameters["data_dir"])
    parameters["model_checkpoint"] = str(tiny_model_dir)  # .cache/tiny-model is built for the nbval copies alone
    parameters["artifacts_dir"] = str(tmp_path / "artifacts")
    parameters["plots_dir"] = str(tmp_path / "plots")
    parameters.update(num_train_epochs=2, final_fit=False)  # it must run top to bottom; nbval's chain checks the learning
    run_notebook(str(all_in_one.OUTPUT), tmp_path / "all_in_one.ipynb", parameters)
    for name in ("dataset", "tokenized", "model", "log_history.json", "test_metrics.json"):
        assert (tmp_path / "artifacts" / name).exists(), name
    assert (tmp_path / "plots" / "confusion_matrix.png").exists()
