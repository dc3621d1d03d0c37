"""`make run`'s runner end to end in the tiny configuration: papermill, run folder, plots, metrics, no secrets."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from repo_tools.runner import NOTEBOOKS, main

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
        ])
    assert code == 0
    return run


def test_run_folder_holds_the_executed_notebooks_and_metrics(run_dir):
    assert sorted(p.stem for p in run_dir.glob("*.ipynb")) == NOTEBOOKS
    report = json.loads((run_dir / "metrics.json").read_text())
    assert set(report["test"]) >= {"precision", "recall", "f1", "accuracy", "per_type"}
    assert report["parameters"]["num_train_epochs"] == 15  # from the parameter file
    assert report["machine"]["cpu_count"] >= 1
    assert set(report["seconds"]) == set(NOTEBOOKS)


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
