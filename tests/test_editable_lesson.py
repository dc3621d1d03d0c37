"""The guide's code stands in the notebooks' own cells: editing it there changes what the run saves.

Runs 01, then 02 with its `tokenize_and_align_labels` cell edited, then 03 with its `compute_metrics` cell edited
and `report_to="tensorboard"`, in the tiny configuration (one epoch, no solutions): about 30 seconds.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from repo_tools.notebooks import NOTEBOOK_DIR
from repo_tools.runner import execute, run_notebook
from repo_tools.student_notebooks import student_copy

# Each test runs notebooks in Jupyter kernels: `make test-fast` leaves it out.
pytestmark = pytest.mark.notebook

# Notebook 02's rule for a word's later sub-tokens, and the learner's edit: label them with the word's own tag.
LATER_SUBTOKENS = "            else:\n                label_ids.append(-100)\n            previous_word_idx = word_idx"
EVERY_SUBTOKEN = "            else:\n                label_ids.append(label[word_idx])\n            previous_word_idx = word_idx"
# Notebook 03's returned scores, and the learner's edit: one more value, logged after each evaluation.
RETURNED = '        "accuracy": results["overall_accuracy"],\n'
ONE_MORE = RETURNED + '        "predicted_entities": float(sum(tag.startswith("B-") for sentence in true_predictions for tag in sentence)),\n'


def edited(name: str, old: str, new: str, folder: Path) -> Path:
    """notebooks/<name>.ipynb without its solutions, with `old` replaced by `new` in the one code cell holding it."""
    notebook = student_copy(nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4))
    holding = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    assert len(holding) == 1, f"{name}: expected one code cell holding {old!r}, found {len(holding)}"
    holding[0].source = holding[0].source.replace(old, new)
    path = folder / f"{name}-edited.ipynb"
    nbformat.write(notebook, path)
    return path


def run_edited(path: Path, run_dir: Path, parameters: dict) -> None:
    run_notebook(str(path), run_dir / path.name, parameters)


@pytest.fixture(scope="module")
def edited_run(tmp_path_factory, tiny_model_dir, sample_dir):
    run_dir = tmp_path_factory.mktemp("edited-lesson")
    artifacts = run_dir / "artifacts"
    artifacts.mkdir()
    execute("01_load_data", run_dir, {"data_dir": str(sample_dir), "artifacts_dir": str(artifacts)}, solutions=False)
    run_edited(edited("02_preprocess", LATER_SUBTOKENS, EVERY_SUBTOKEN, run_dir), run_dir,
               {"model_checkpoint": str(tiny_model_dir), "artifacts_dir": str(artifacts)})
    run_edited(edited("03_train", RETURNED, ONE_MORE, run_dir), run_dir, {
        "artifacts_dir": str(artifacts), "num_train_epochs": 1, "learning_rate": 0.005, "per_device_train_batch_size": 8,
        "report_to": "tensorboard",
    })
    return artifacts


def test_editing_tokenize_and_align_labels_in_02_changes_the_saved_labels(edited_run, tiny_tokenizer):
    from datasets import load_from_disk

    from ner_helpers.align import tokenize_and_align_labels

    saved = load_from_disk(edited_run / "tokenized")["train"]
    words = load_from_disk(edited_run / "dataset")["train"]
    names = words.features["ner_tags"].feature.names
    unedited = tokenize_and_align_labels(words[:], tiny_tokenizer, label_names=names)["labels"]
    assert saved["input_ids"] == tokenize_and_align_labels(words[:], tiny_tokenizer, label_names=names)["input_ids"]
    # The edit labels every sub-token with its word's tag: more labelled positions than words, each a word's tag.
    labelled = sum(label != -100 for row in saved["labels"] for label in row)
    assert labelled > sum(len(tokens) for tokens in words["tokens"])
    assert saved["labels"] != unedited
    for row, tokens_tags in zip(saved["labels"], words["ner_tags"]):
        assert {label for label in row if label != -100} <= set(tokens_tags)


def test_editing_compute_metrics_in_03_changes_the_saved_log(edited_run):
    log = json.loads((edited_run / "log_history.json").read_text())
    evaluations = [entry for entry in log if "eval_f1" in entry]
    assert evaluations and all("eval_predicted_entities" in entry for entry in evaluations)


def test_report_to_tensorboard_writes_event_files_under_artifacts_dir(edited_run):
    events = list((edited_run / "tensorboard").glob("**/events.out.tfevents.*"))
    assert events, f"no TensorBoard event files under {edited_run / 'tensorboard'}"
    assert sum(path.stat().st_size for path in events) > 0
