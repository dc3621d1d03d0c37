"""Notebook 03's training story (ner_helpers.analysis.training_story): what the validation loss and F1 did, and
which epoch's model is kept."""
from __future__ import annotations

import pandas as pd

from ner_helpers.analysis import training_story


def history(losses, f1s):
    return pd.DataFrame({"epoch": [float(i + 1) for i in range(len(f1s))], "training_loss": 0.1, "eval_loss": losses, "eval_f1": f1s})


def test_story_says_when_validation_loss_rose_while_f1_improved():
    story = training_story(history([0.30, 0.28, 0.31], [0.52, 0.55, 0.57]))
    assert "rose in epoch 3; it was lowest after epoch 2 (0.280)" in story
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
