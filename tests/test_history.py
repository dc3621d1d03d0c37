"""ner_helpers.history: a training run's log as one row per epoch, and the sentences written from it."""
from __future__ import annotations

import pandas as pd

from ner_helpers.history import log_history_table, training_story

LOG_HISTORY = [
    {"loss": 1.2, "grad_norm": 3.1, "learning_rate": 1e-5, "epoch": 1.0, "step": 10},
    {"eval_loss": 0.9, "eval_precision": 0.2, "eval_recall": 0.1, "eval_f1": 0.13, "eval_runtime": 1.5, "epoch": 1.0, "step": 10},
    {"loss": 0.7, "grad_norm": 2.0, "learning_rate": 0.0, "epoch": 2.0, "step": 20},
    {"eval_loss": 0.8, "eval_precision": 0.4, "eval_recall": 0.3, "eval_f1": 0.34, "eval_runtime": 1.4, "epoch": 2.0, "step": 20},
    {"train_runtime": 30.0, "train_loss": 0.95, "epoch": 2.0, "step": 20},
]


def test_log_history_gives_one_row_per_epoch_without_the_summary():
    table = log_history_table(LOG_HISTORY)
    assert list(table.columns) == ["epoch", "training_loss", "eval_loss", "eval_f1"]
    assert table.to_dict("records") == [
        {"epoch": 1.0, "training_loss": 1.2, "eval_loss": 0.9, "eval_f1": 0.13},
        {"epoch": 2.0, "training_loss": 0.7, "eval_loss": 0.8, "eval_f1": 0.34},
    ]


def test_log_history_keeps_the_evaluation_made_during_training():
    extra = {"eval_loss": 0.85, "eval_f1": 0.34, "epoch": 2.0, "step": 20}  # trainer.evaluate() afterwards
    table = log_history_table(LOG_HISTORY + [extra])
    assert len(table) == 2 and table.loc[1, "eval_loss"] == 0.8


def test_log_history_without_evaluation_leaves_eval_columns_empty():
    table = log_history_table([LOG_HISTORY[0], LOG_HISTORY[2]])
    assert list(table["training_loss"]) == [1.2, 0.7] and table["eval_f1"].isna().all()


def history(losses, f1s):
    return pd.DataFrame({"epoch": [float(i + 1) for i in range(len(f1s))], "training_loss": 0.1, "eval_loss": losses, "eval_f1": f1s})


def test_story_says_when_validation_loss_rose_while_f1_improved():
    story = training_story(history([0.30, 0.28, 0.31], [0.52, 0.55, 0.57]))
    assert all(fact in story for fact in ("rose", "epoch 3", "epoch 2", "0.280"))  # when it rose, its lowest and when
    assert "best after epoch 3 (0.570)" in story and "model kept is the last one" in story
    assert "F1 still improved while the loss rose" in story


def test_story_names_an_earlier_best_epoch_as_the_one_kept():
    story = training_story(history([0.30, 0.33, 0.36], [0.52, 0.58, 0.57]))
    assert "best after epoch 2 (0.580)" in story and "the model kept is epoch 2, not the last one" in story


def test_story_of_a_falling_loss_claims_no_overfitting():
    story = training_story(history([0.30, 0.28], [0.002, 0.237]))
    assert "fell after every epoch" in story and "No sign of overfitting" in story and "rose" not in story


def test_story_of_a_model_that_found_nothing_says_so():
    story = training_story(history([0.30, 0.31], [0.0, 0.0]))
    assert "stayed at 0.000" in story and "epoch 1" in story
