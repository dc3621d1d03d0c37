"""Entity-level metrics against values worked out by hand, and the Trainer hook that drops -100."""
from __future__ import annotations

import numpy as np
import pytest
from seqeval.metrics import classification_report

from ner_helpers.align import IGNORE_INDEX
from ner_helpers.metrics import build_compute_metrics, compute_entity_metrics, ids_to_tags

REFERENCES = [
    ["B-person", "I-person", "O", "O", "B-location", "O"],
    ["O", "B-group", "O", "O", "B-corporation", "I-corporation"],
    ["B-product", "O", "O", "O"],
]
PREDICTIONS = [
    ["B-person", "I-person", "O", "B-creative-work", "B-location", "O"],  # right, spurious, right
    ["O", "B-group", "O", "B-creative-work", "O", "O"],  # right, spurious, corporation missed
    ["B-product", "O", "B-location", "O"],  # right, spurious location
]
# Gold entities: person, location, group, corporation, product = 5.
# Predicted: person, creative-work, location, group, creative-work, product, location = 7.
# Correct (type and both boundaries): person, location, group, product = 4.
#   precision = 4/7, recall = 4/5, F1 = 2PR/(P+R) = 2*4/(7+5) = 2/3.
# Tokens: 16; wrong: s1[3], s2[3], s2[4], s2[5], s3[2] = 5, so accuracy = 11/16.
# creative-work is only predicted (support 0), corporation only missed (never predicted);
# location: 1 of 2 predictions right, its 1 gold entity found: P 1/2, R 1, F1 2/3.


def test_precision_recall_f1_and_accuracy_by_hand():
    metrics = compute_entity_metrics(PREDICTIONS, REFERENCES)
    assert metrics["precision"] == pytest.approx(4 / 7)
    assert metrics["recall"] == pytest.approx(4 / 5)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["accuracy"] == pytest.approx(11 / 16)
    assert metrics["number_of_entities"] == 5


def test_per_type_report_by_hand_with_only_spurious_and_only_missed_types():
    per_type = compute_entity_metrics(PREDICTIONS, REFERENCES)["per_type"]
    assert list(per_type) == ["corporation", "creative-work", "group", "location", "person", "product"]  # sorted
    assert per_type["creative-work"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}  # only spurious
    assert per_type["corporation"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}  # only missed
    assert per_type["location"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    for entity_type in ("group", "person", "product"):
        assert per_type[entity_type] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert all(type(v) is float for scores in per_type.values() for k, v in scores.items() if k != "support")


def test_types_with_no_prediction_or_no_gold_score_zero_without_a_warning():
    # creative-work has no gold entity and corporation no prediction: their precision or recall divides by 0.
    # seqeval would warn (UndefinedMetricWarning) for each; the scores say 0, and learners get no warning.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        per_type = compute_entity_metrics(PREDICTIONS, REFERENCES)["per_type"]
    assert per_type["creative-work"]["recall"] == 0.0 and per_type["corporation"]["precision"] == 0.0


def test_scores_equal_seqeval_report():
    metrics = compute_entity_metrics(PREDICTIONS, REFERENCES)
    report = classification_report(REFERENCES, PREDICTIONS, output_dict=True, zero_division=0)
    for entity_type, scores in metrics["per_type"].items():
        assert scores["precision"] == pytest.approx(report[entity_type]["precision"])
        assert scores["recall"] == pytest.approx(report[entity_type]["recall"])
        assert scores["f1"] == pytest.approx(report[entity_type]["f1-score"])
        assert scores["support"] == report[entity_type]["support"]


def test_tuples_are_scored_like_lists():
    as_tuples = compute_entity_metrics([tuple(p) for p in PREDICTIONS], [tuple(r) for r in REFERENCES])
    assert as_tuples == compute_entity_metrics(PREDICTIONS, REFERENCES)


def test_partial_boundary_is_not_a_match():
    # gold person spans two tokens; the prediction stops after one: 0 of 1 right, 0 of 1 found.
    metrics = compute_entity_metrics([["B-person", "O"]], [["B-person", "I-person"]])
    assert (metrics["precision"], metrics["recall"], metrics["f1"], metrics["accuracy"]) == (0.0, 0.0, 0.0, 0.5)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="Sentence 1: 1 predicted tags but 2 reference"):
        compute_entity_metrics([["O"], ["O"]], [["O"], ["O", "O"]])
    with pytest.raises(ValueError, match="^2 predicted sentences but 1 references"):
        compute_entity_metrics([["O"], ["O"]], [["O"]])


LABELS = ["O", "B-person", "I-person", "B-location"]


def test_ids_to_tags_drops_minus_100_positions_only():
    predictions = np.array([[3, 1, 1, 0, 3, 3, 3, 0]])
    label_ids = np.array([[IGNORE_INDEX, 1, 2, 0, 0, IGNORE_INDEX, 3, IGNORE_INDEX]])
    predicted, references = ids_to_tags(predictions, label_ids, LABELS)
    assert references == [["B-person", "I-person", "O", "O", "B-location"]]
    assert predicted == [["B-person", "B-person", "O", "B-location", "B-location"]]


def test_trainer_hook_scores_only_labelled_positions():
    label_ids = np.array([
        [IGNORE_INDEX, 1, 2, 0, 0, IGNORE_INDEX, 3, IGNORE_INDEX],
        [IGNORE_INDEX, 3, 0, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX],
    ])
    predicted_ids = np.array([[3, 1, 1, 0, 3, 3, 3, 0], [1, 3, 1, 2, 2, 2, 2, 2]])
    logits = np.full((2, 8, len(LABELS)), -4.0)
    for (row, position), label in np.ndenumerate(predicted_ids):
        logits[row, position, label] = 4.0
    # Kept positions, sentence 1: gold B-person I-person O O B-location;
    #                     predicted B-person B-person O B-location B-location.
    # sentence 2: gold B-location O; predicted B-location B-person.
    # Gold entities: person, location, location = 3. Predicted: person, person, location, location,
    # location, person = 6. Right: the location of sentence 1 and that of sentence 2 = 2.
    #   precision 2/6, recall 2/3, F1 = 2*2/(6+3) = 4/9.
    # Tokens kept: 7; right: s1 B-person, s1 O, s1 B-location, s2 B-location = 4, accuracy 4/7.
    # Predictions at -100 positions are wrong on purpose: counted, they would change every score.

    class EvalPrediction:
        predictions = (logits, np.zeros((2, 8, 3)))  # a model may return more than logits
        label_ids = None

    EvalPrediction.label_ids = label_ids
    metrics = build_compute_metrics(LABELS)(EvalPrediction)
    assert metrics["precision"] == pytest.approx(2 / 6)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(4 / 9)
    assert metrics["accuracy"] == pytest.approx(4 / 7)
    # The epoch table shows the overall scores only, as the guide's compute_metrics returns them (per type: 04).
    assert set(metrics) == {"precision", "recall", "f1", "accuracy", "number_of_entities"}
    assert metrics["number_of_entities"] == 3


def test_trainer_hook_uses_the_metric_it_is_given():
    class CountingMetric:
        """A stand-in for an evaluate module: records what it is asked to score."""

        def __init__(self):
            self.calls = []

        def compute(self, predictions, references):
            self.calls.append((predictions, references))
            return {"overall_precision": 0.25, "overall_recall": 0.5, "overall_f1": 0.75, "overall_accuracy": 1.0,
                    "person": {"number": 3}}

    metric = CountingMetric()
    logits = np.array([[[0.0, 9.0, 0.0], [9.0, 0.0, 0.0]]])  # argmax: B-person, O
    labels = np.array([[1, IGNORE_INDEX]])
    hook = build_compute_metrics(["O", "B-person", "I-person"], seqeval=metric)
    scores = hook(type("EvalPrediction", (), {"predictions": logits, "label_ids": labels})())
    assert metric.calls == [([["B-person"]], [["B-person"]])]
    assert scores == {"precision": 0.25, "recall": 0.5, "f1": 0.75, "accuracy": 1.0, "number_of_entities": 3}


def test_trainer_hook_loads_its_metric_quietly(capsys):
    # conftest sets HF_HUB_OFFLINE=1: the Hub route fails; building the hook prints no fallback note, since
    # notebook 03 already said which metric it uses.
    build_compute_metrics(["O", "B-person", "I-person"])
    assert capsys.readouterr().out == ""
