"""`make run`'s runner end to end in the tiny configuration: papermill, run folder, plots, metrics, no secrets."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from repo_tools.notebooks import LESSONS
from repo_tools.runner import main

ROOT = Path(__file__).resolve().parent.parent
FAKE_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
TOKEN_SHAPE = re.compile(rb"hf_[A-Za-z0-9]{30,}")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir):
    run = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_TOKEN", FAKE_TOKEN)  # the kernels inherit it, as a logged-in user's would
        code = main([
            "--run-dir", str(run),
            "--params", str(ROOT / "tests" / "notebook_params_ci.yaml"),
            "--model", str(tiny_model_dir),
            "--no-solutions",  # the nbval copies and the all-in-one notebook run the solutions
        ])
    assert code == 0
    return run


def test_no_solutions_leaves_out_the_solution_cells_only(run_dir):
    import nbformat

    from repo_tools.student_notebooks import is_solution

    source = nbformat.read(ROOT / "notebooks" / "03_train.ipynb", as_version=4)
    executed = nbformat.read(run_dir / "03_train.ipynb", as_version=4)
    assert sum(map(is_solution, source.cells)) >= 2  # 03 has solutions to leave out
    assert [c.id for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])] == [
        c.id for c in source.cells if not is_solution(c)
    ]


def test_run_folder_holds_the_executed_notebooks_and_metrics(run_dir):
    assert sorted(p.stem for p in run_dir.glob("*.ipynb")) == LESSONS
    report = json.loads((run_dir / "metrics.json").read_text())
    assert set(report["test"]) >= {"precision", "recall", "f1", "accuracy", "per_type"}
    assert report["parameters"]["num_train_epochs"] == 15  # from the parameter file
    assert report["machine"]["cpu_count"] >= 1
    assert set(report["seconds"]) == set(LESSONS)


def test_relative_paths_in_the_parameter_file_are_resolved(run_dir):
    parameters = json.loads((run_dir / "metrics.json").read_text())["parameters"]
    assert Path(parameters["data_dir"]).is_absolute() and Path(parameters["data_dir"]).is_dir()


def test_plots_land_as_png_files_in_the_run_folder(run_dir):
    for name in ("per_type_scores", "training_curves", "confusion_matrix"):
        png = run_dir / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_token_shaped_string_in_the_run_folder(run_dir):
    assert TOKEN_SHAPE.search(FAKE_TOKEN.encode())  # the scan can find one
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert not TOKEN_SHAPE.search(path.read_bytes()), path


def test_test_scores_are_real_and_match_the_saved_metrics(run_dir):
    # The tiny configuration learns (the sample repeats its test entities in training sentences).
    report = json.loads((run_dir / "metrics.json").read_text())
    saved = json.loads((run_dir / "artifacts" / "test_metrics.json").read_text())
    assert report["test"] == saved
    assert saved["f1"] >= 0.3 and saved["precision"] > 0 and saved["recall"] > 0
    assert saved["number_of_entities"] == 9  # the test split's 10 entities less one past the tiny model's 64 tokens


def test_training_was_scored_on_the_validation_split(run_dir):
    # Notebook 03's compute_metrics returns the guide's four scores only, so the split scored shows in the
    # number of sentences evaluated (samples per second x seconds): validation holds 5 (train 38, test 6).
    history = json.loads((run_dir / "artifacts" / "log_history.json").read_text())
    evaluated = [entry for entry in history if "eval_f1" in entry]
    assert len(evaluated) == 15  # one per epoch of the CI configuration
    assert {round(entry["eval_samples_per_second"] * entry["eval_runtime"]) for entry in evaluated} == {5}
    assert max(entry["eval_f1"] for entry in evaluated) >= 0.5


def test_saved_model_labels_are_the_data_set_labels_in_order(run_dir):
    from datasets import load_from_disk

    config = json.loads((run_dir / "artifacts" / "model" / "config.json").read_text())
    names = load_from_disk(str(run_dir / "artifacts" / "dataset"))["train"].features["ner_tags"].feature.names
    assert [config["id2label"][str(i)] for i in range(len(names))] == names
    assert config["label2id"] == {name: i for i, name in enumerate(names)}
