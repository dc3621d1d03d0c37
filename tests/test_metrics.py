"""Entity-level metrics: equal to seqeval's own report, and the Trainer hook drops -100."""
from __future__ import annotations

import numpy as np
import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from ner_helpers.align import IGNORE_INDEX
from ner_helpers.metrics import build_compute_metrics, compute_entity_metrics

REFERENCES = [
    ["B-person", "I-person", "O", "B-location", "O"],
    ["O", "B-product", "I-product", "O", "B-group"],
    ["B-corporation", "O", "O", "B-creative-work", "I-creative-work"],
]
PREDICTIONS = [
    ["B-person", "I-person", "O", "B-person", "O"],  # right, wrong type
    ["O", "B-product", "O", "O", "O"],  # wrong boundary, missed
    ["B-corporation", "O", "B-group", "B-creative-work", "I-creative-work"],  # right, spurious, right
]


def test_scores_equal_seqeval_report():
    metrics = compute_entity_metrics(PREDICTIONS, REFERENCES)
    report = classification_report(REFERENCES, PREDICTIONS, output_dict=True, zero_division=0)
    assert metrics["precision"] == pytest.approx(precision_score(REFERENCES, PREDICTIONS))
    assert metrics["recall"] == pytest.approx(recall_score(REFERENCES, PREDICTIONS))
    assert metrics["f1"] == pytest.approx(f1_score(REFERENCES, PREDICTIONS))
    for entity_type, scores in metrics["per_type"].items():
        assert scores["f1"] == pytest.approx(report[entity_type]["f1-score"])
        assert scores["support"] == report[entity_type]["support"]


def test_scores_by_hand():
    metrics = compute_entity_metrics(PREDICTIONS, REFERENCES)
    # 3 of 6 predicted entities are right; 3 of 6 gold entities are found.
    assert metrics["precision"] == pytest.approx(3 / 6)
    assert metrics["recall"] == pytest.approx(3 / 6)
    assert metrics["f1"] == pytest.approx(0.5)
    assert metrics["accuracy"] == pytest.approx(11 / 15)
    assert metrics["number_of_entities"] == 6
    assert metrics["per_type"]["person"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert metrics["per_type"]["location"]["recall"] == 0.0


def test_partial_boundary_is_not_a_match():
    assert compute_entity_metrics([["B-person", "O"]], [["B-person", "I-person"]])["f1"] == 0.0


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="Sentence 0: 1 predicted tags but 2 reference"):
        compute_entity_metrics([["O"]], [["O", "O"]])


def test_trainer_hook_drops_minus_100_positions():
    labels = ["O", "B-person", "I-person"]
    compute_metrics = build_compute_metrics(labels)
    label_ids = np.array([[IGNORE_INDEX, 1, IGNORE_INDEX, 2, 0, IGNORE_INDEX]])
    logits = np.full((1, 6, 3), -5.0)
    # predictions at -100 positions are nonsense on purpose: they must not count
    for position, label in enumerate([1, 1, 1, 2, 0, 1]):
        logits[0, position, label] = 5.0

    class EvalPrediction:
        predictions = logits
        label_ids = None

    EvalPrediction.label_ids = label_ids
    metrics = compute_metrics(EvalPrediction)
    assert metrics == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "accuracy": 1.0}
