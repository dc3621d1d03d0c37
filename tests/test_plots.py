"""Charts render headless (Agg) and land as PNG files in a run folder."""
from __future__ import annotations

import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere in this test process

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from ner_helpers.analysis import entity_confusion_matrix, per_type_table
from ner_helpers.history import log_history_table
from ner_helpers.metrics import compute_entity_metrics
from ner_helpers.plots import plot_confusion_matrix, plot_per_type_scores, plot_training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GOLD = [["B-person", "I-person", "O", "B-location"], ["B-group", "O", "B-product", "I-product"]]
PRED = [["B-person", "I-person", "O", "B-person"], ["B-group", "O", "B-product", "O"]]
LOG_HISTORY = [
    {"loss": 1.2, "epoch": 1.0, "step": 10},
    {"eval_loss": 0.9, "eval_f1": 0.13, "epoch": 1.0, "step": 10},
    {"loss": 0.7, "epoch": 2.0, "step": 20},
    {"eval_loss": 0.8, "eval_f1": 0.34, "epoch": 2.0, "step": 20},
    {"train_loss": 0.95, "epoch": 2.0, "step": 20},
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def charts():
    return [
        ("per_type_scores.png", plot_per_type_scores, per_type_table(compute_entity_metrics(PRED, GOLD))),
        ("training_curves.png", plot_training_curves, log_history_table(LOG_HISTORY)),
        ("confusion_matrix.png", plot_confusion_matrix, entity_confusion_matrix(GOLD, PRED, ["group", "location", "person", "product"])),
    ]


@pytest.mark.parametrize(("name", "plot", "data"), charts(), ids=[name for name, _, _ in charts()])
def test_chart_lands_as_png_in_a_new_run_folder(tmp_path, name, plot, data):
    target = tmp_path / "run" / "plots" / name  # the folders do not exist yet
    figure = plot(data, save_to=str(target))
    assert isinstance(figure, Figure)
    assert target.is_file() and target.stat().st_size > 1000
    assert target.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize(("name", "plot", "data"), charts(), ids=[name for name, _, _ in charts()])
def test_chart_without_save_to_writes_nothing(tmp_path, monkeypatch, name, plot, data):
    monkeypatch.chdir(tmp_path)
    assert isinstance(plot(data), Figure)
    assert list(tmp_path.iterdir()) == []


def test_confusion_matrix_writes_each_count_in_its_cell_but_the_empty_corner():
    matrix = entity_confusion_matrix(GOLD, PRED, ["group", "location", "person", "product"])
    texts = [t.get_text() for t in plot_confusion_matrix(matrix).axes[0].texts]
    assert texts == [f"{v:g}" for v in matrix.to_numpy().ravel()][:-1]  # ("no entity", "no entity") is last


def test_training_curves_tolerate_a_run_without_evaluation(tmp_path):
    history = log_history_table([LOG_HISTORY[0], LOG_HISTORY[2]])
    plot_training_curves(history, save_to=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_importing_the_module_does_not_import_pyplot():
    # pyplot picks its backend on import: importing it lazily leaves the choice to the caller.
    code = "import sys, ner_helpers.plots; assert 'matplotlib.pyplot' not in sys.modules"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


# ---- notebook-facing helpers

def test_plot_titles_name_the_split_scored():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from ner_helpers.plots import plot_confusion_matrix, plot_per_type_scores

    table = pd.DataFrame({"precision": [0.5], "recall": [0.5], "f1": [0.5], "support": [2]}, index=["PER"])
    assert plot_per_type_scores(table, split="validation").axes[0].get_title().endswith("validation split")
    matrix = pd.DataFrame([[1, 0], [0, 0]], index=["PER", "no entity"], columns=["PER", "no entity"])
    assert plot_confusion_matrix(matrix, split="test").axes[0].get_title().endswith("test split")
