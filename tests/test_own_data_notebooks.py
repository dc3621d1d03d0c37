"""A PER/LOC/ORG data set of the project's own (CoNLL-2003 layout, IOB1, no test file) through notebooks
01-05 with `make run`'s runner in the tiny CI configuration: nothing in them may assume WNUT 17."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import cell_output
from repo_tools.notebooks import LESSONS
from repo_tools.runner import main

# Each test runs notebooks in Jupyter kernels: `make test-fast` leaves it out.
pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "sample_conll2003"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir):
    run = tmp_path_factory.mktemp("own-data-run")
    files = run.parent / "files.yaml"  # relative paths, read from the YAML file's folder
    files.write_text(f"train: {SAMPLE / 'train.txt'}\nvalidation: {SAMPLE / 'valid.txt'}\n")  # no test file
    code = main([
        "--run-dir", str(run),
        "--params", str(ROOT / "tests" / "notebook_params_ci.yaml"),  # holds data_dir: WNUT 17's sample
        "--data-files", str(files),
        "--model-checkpoint", str(tiny_model_dir),
        "--num-train-epochs", "2", "--final-fit", "false",  # nothing here asserts learning: what matters is the tag set
    ])
    assert code == 0
    return run


def test_all_five_notebooks_run_on_per_loc_org_data(run_dir):
    assert sorted(p.stem for p in run_dir.glob("*.ipynb")) == LESSONS
    report = json.loads((run_dir / "metrics.json").read_text())
    assert "data_dir" not in report["parameters"]  # the parameter file's WNUT 17 folder gave way


def test_notebook_01_reports_the_iob1_conversion_and_the_labels(run_dir):
    loading = cell_output(run_dir / "01_load_data.ipynb", "01-06")
    assert "IOB1 read as BIO" in loading and "-DOCSTART- line(s) skipped" in loading
    assert "No test split: notebook 04 will score the validation split" in loading
    labels = cell_output(run_dir / "01_load_data.ipynb", "01-12")
    assert "['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']" in labels


def test_notebook_02_reports_the_sentence_longer_than_the_model(run_dir):
    report = cell_output(run_dir / "02_preprocess.ipynb", "02-long-sentences-code")
    assert "train      1 sentence(s) longer than 64 tokens" in report


def test_notebook_04_tables_hold_exactly_the_data_types_on_the_validation_split(run_dir):
    metrics = json.loads((run_dir / "artifacts" / "test_metrics.json").read_text())
    assert set(metrics["per_type"]) == {"LOC", "ORG", "PER"}
    assert metrics["split"] == "validation"
    scores = cell_output(run_dir / "04_evaluate.ipynb", "04-09")
    rows = [line.split()[0] for line in scores.split("<")[0].splitlines() if line.split()[:1] in (["LOC"], ["ORG"], ["PER"], ["overall"])]
    assert rows == ["LOC", "ORG", "PER", "overall"]
    assert "validation split" in scores and "validation entity F1" in scores
    assert "published" not in scores  # WNUT 17's published results do not apply
    errors = cell_output(run_dir / "04_evaluate.ipynb", "04-17")
    assert "errors on the validation split" in errors
    assert not {"corporation", "location", "person"} & set(errors.split())


def test_plots_are_written_for_the_validation_split(run_dir):
    for name in ("per_type_scores", "training_curves", "confusion_matrix"):
        assert (run_dir / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_notebook_05_writes_pre_annotations_with_the_data_types(run_dir):
    written = cell_output(run_dir / "05_inference.ipynb", "05-predictions")
    assert "doccano: a Sequence Labeling project with the labels LOC, ORG, PER," in written
    assert '<Label value="LOC"/><Label value="ORG"/><Label value="PER"/>' in written  # Label Studio's config
    assert not {"corporation", "location", "person"} & set(written.replace('"', " ").replace(",", " ").split())
