"""The O-margin decision rule."""
import numpy as np

from ner_helpers.decision import predict_with_o_margin, tune_o_margin

LABELS = ["O", "B-person", "I-person"]


def test_a_margin_turns_a_close_o_into_an_entity():
    logits = np.array([[[2.0, 1.5, 0.0], [3.0, 0.0, 0.0]]])
    assert predict_with_o_margin(logits, 0.0).tolist() == [[0, 0]]
    assert predict_with_o_margin(logits, 1.0).tolist() == [[1, 0]]


def test_tuning_picks_the_margin_with_the_best_f1():
    # gold: one person at position 0; the model is unsure (O 2.0 vs B-person 1.5)
    logits = np.array([[[2.0, 1.5, 0.0], [3.0, 0.0, 0.0]]])
    label_ids = np.array([[1, 0]])
    best, scores = tune_o_margin(logits, label_ids, LABELS, margins=(0.0, 1.0, 4.0))
    assert scores[0.0] == 0.0 and scores[1.0] == 1.0
    assert best == 1.0  # 4.0 also finds the entity but adds a spurious one
    assert scores[4.0] < 1.0
