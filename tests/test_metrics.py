"""Entity-level metrics against values worked out by hand, the Trainer hook that drops -100, and `load_seqeval()`:
the guide's `evaluate.load("seqeval")`, and offline a local copy with the same numbers."""
from __future__ import annotations

import os
import random

import evaluate
import numpy as np
import pytest
from seqeval.metrics import accuracy_score, classification_report

from support import HAND_MADE_GOLD, HAND_MADE_PREDICTED

from ner_helpers import metrics
from ner_helpers.align import IGNORE_INDEX, tokenize_dataset
from ner_helpers.data import WNUT17_LABELS, load_wnut17
from ner_helpers.metrics import (
    Seqeval, build_compute_metrics, compute_entity_metrics, ids_to_tags, load_seqeval, seqeval_to_entity_metrics,
)

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
    with pytest.raises(ValueError) as error:
        compute_entity_metrics([["O"], ["O"]], [["O"], ["O", "O"]])
    assert all(fact in str(error.value) for fact in ("Sentence 1", "1 predicted", "2 reference"))  # which, both counts
    with pytest.raises(ValueError) as error:
        compute_entity_metrics([["O"], ["O"]], [["O"]])
    assert "2 predicted" in str(error.value) and "1 reference" in str(error.value)


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

        def compute(self, predictions, references, zero_division="warn"):
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


def test_trainer_hook_scores_a_model_that_predicts_no_entity_zero_without_a_warning():
    """Early in training the model predicts only O: precision is 0/0, which the hook scores 0 (zero_division=0)
    without seqeval's UndefinedMetricWarning in every epoch's output."""
    import warnings

    metric = load_seqeval(hub=False)
    logits = np.zeros((1, 3, 3))
    logits[..., 0] = 9.0  # argmax: O everywhere
    labels = np.array([[1, 2, 0]])  # gold: one person entity of two words, then O
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = build_compute_metrics(["O", "B-person", "I-person"], metric)(
            type("EvalPrediction", (), {"predictions": logits, "label_ids": labels})()
        )
    assert scores == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "accuracy": pytest.approx(1 / 3), "number_of_entities": 1}
    assert [w for w in caught if "UndefinedMetric" in w.category.__name__] == []


def test_trainer_hook_loads_its_metric_quietly(capsys):
    # conftest sets HF_HUB_OFFLINE=1: the Hub route fails; building the hook prints no fallback note, since
    # notebook 03 already said which metric it uses.
    build_compute_metrics(["O", "B-person", "I-person"])
    assert capsys.readouterr().out == ""


# --- load_seqeval(): the guide's evaluate.load("seqeval"), and offline a local copy with the same numbers.

def assert_equals_seqeval(result: dict, predictions, references) -> None:
    """Every number of an evaluate seqeval result equals seqeval's own classification_report."""
    report = classification_report(references, predictions, output_dict=True, zero_division=0)
    micro = report["micro avg"]
    assert result["overall_precision"] == pytest.approx(micro["precision"])
    assert result["overall_recall"] == pytest.approx(micro["recall"])
    assert result["overall_f1"] == pytest.approx(micro["f1-score"])
    assert result["overall_accuracy"] == pytest.approx(accuracy_score(references, predictions))
    types = {k for k in report if k not in ("micro avg", "macro avg", "weighted avg")}
    assert {k for k, v in result.items() if isinstance(v, dict)} == types
    for entity_type in types:
        assert result[entity_type]["precision"] == pytest.approx(report[entity_type]["precision"])
        assert result[entity_type]["recall"] == pytest.approx(report[entity_type]["recall"])
        assert result[entity_type]["f1"] == pytest.approx(report[entity_type]["f1-score"])
        assert result[entity_type]["number"] == report[entity_type]["support"]

def corrupt(sentences: list[list[str]], rate: float, seed: int) -> list[list[str]]:
    """Replace a fraction of tags by random ones (orphan I- tags included, as a model may predict)."""
    rng = random.Random(seed)
    return [[rng.choice(WNUT17_LABELS) if rng.random() < rate else tag for tag in s] for s in sentences]

def test_offline_load_gives_an_evaluate_module_named_seqeval(capsys):
    # conftest sets HF_HUB_OFFLINE=1: the Hub route fails and the local copy is used, with a note.
    seqeval = load_seqeval()
    assert isinstance(seqeval, evaluate.EvaluationModule) and isinstance(seqeval, Seqeval)
    assert seqeval.name == "seqeval"
    assert 'evaluate.load("seqeval") could not fetch' in capsys.readouterr().out

def test_hub_route_is_tried_first(monkeypatch):
    calls = []
    hub_module = object()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(metrics.evaluate, "load", lambda path, **kw: calls.append((path, kw["download_config"])) or hub_module)
    assert load_seqeval() is hub_module
    assert calls == [("seqeval", None)]

def test_offline_the_hub_route_looks_in_the_cache_alone(monkeypatch):
    # conftest sets HF_HUB_OFFLINE=1. evaluate does not read it: without local_files_only it retries the network.
    calls = []
    monkeypatch.setattr(metrics.evaluate, "load", lambda path, **kw: calls.append(kw["download_config"]) or object())
    load_seqeval()
    assert len(calls) == 1 and calls[0].local_files_only is True

def test_hub_failure_falls_back_with_a_note(monkeypatch, capsys):
    def unreachable(path, **kw):
        raise ConnectionError("Couldn't reach 'evaluate-metric/seqeval' on the Hub")

    monkeypatch.setattr(metrics.evaluate, "load", unreachable)
    assert isinstance(load_seqeval(), Seqeval)
    note = capsys.readouterr().out
    assert note == (
        'evaluate.load("seqeval") could not fetch the metric from the Hub (ConnectionError); '
        "using the same metric shipped in ner_helpers.metrics.Seqeval.\n"
    )

def test_the_local_copy_writes_no_cache_files(tmp_path, monkeypatch):
    # evaluate keeps a metric's predictions in an Arrow file under its cache unless kept in memory; a read-only
    # or full disk (a classroom's shared machine) must not break scoring.
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setattr(evaluate.config, "HF_METRICS_CACHE", tmp_path / "metrics")
    metric = load_seqeval(hub=False)
    assert metric.compute(predictions=HAND_MADE_PREDICTED, references=HAND_MADE_GOLD)["overall_f1"] > 0
    assert not any(path.is_file() for path in tmp_path.rglob("*"))

def test_hub_false_skips_the_hub(monkeypatch):
    monkeypatch.setattr(metrics.evaluate, "load", lambda *a, **k: pytest.fail("the Hub was tried"))
    assert isinstance(load_seqeval(hub=False), Seqeval)

def test_result_keys_are_the_guides():
    result = Seqeval().compute(predictions=HAND_MADE_PREDICTED, references=HAND_MADE_GOLD)
    assert {"overall_precision", "overall_recall", "overall_f1", "overall_accuracy"} <= set(result)
    assert set(result["person"]) == {"precision", "recall", "f1", "number"}

def test_local_metric_equals_seqeval_on_the_handwritten_sample():
    result = load_seqeval(hub=False).compute(predictions=HAND_MADE_PREDICTED, references=HAND_MADE_GOLD)
    assert_equals_seqeval(result, HAND_MADE_PREDICTED, HAND_MADE_GOLD)
    assert result["overall_f1"] == pytest.approx(0.5)  # 3 of 6 right both ways

@pytest.mark.parametrize("seed", range(5))
def test_local_metric_equals_seqeval_on_randomly_corrupted_tags(seed):
    rng = random.Random(100 + seed)
    references = [
        [rng.choice(WNUT17_LABELS) for _ in range(rng.randint(1, 25))] for _ in range(40)
    ]
    predictions = corrupt(references, rate=0.3, seed=seed)
    result = load_seqeval(hub=False).compute(predictions=predictions, references=references)
    assert_equals_seqeval(result, predictions, references)
    assert 0 < result["overall_f1"] < 1

def test_per_type_table_shape_from_a_seqeval_result():
    result = load_seqeval(hub=False).compute(predictions=HAND_MADE_PREDICTED, references=HAND_MADE_GOLD)
    shaped = seqeval_to_entity_metrics(result)
    direct = metrics.compute_entity_metrics(HAND_MADE_PREDICTED, HAND_MADE_GOLD)
    assert shaped.pop("per_type") == direct.pop("per_type")
    assert shaped == pytest.approx(direct)

def test_seqeval_result_is_reshaped_field_by_field():
    # A result written by hand in which no two numbers are equal: a swapped field cannot go unnoticed.
    result = {
        "location": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "number": 4},
        "group": {"precision": 0.75, "recall": 0.6, "f1": 2 / 3, "number": 5},
        "overall_precision": 0.625, "overall_recall": 4 / 9, "overall_f1": 0.52, "overall_accuracy": 0.875,
    }
    assert seqeval_to_entity_metrics(result) == {
        "precision": 0.625, "recall": 4 / 9, "f1": 0.52, "accuracy": 0.875, "number_of_entities": 9,
        "per_type": {  # sorted by type
            "group": {"precision": 0.75, "recall": 0.6, "f1": 2 / 3, "support": 5},
            "location": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 4},
        },
    }
    assert list(seqeval_to_entity_metrics(result)["per_type"]) == ["group", "location"]

def test_local_metric_and_reshaping_by_hand_where_precision_and_recall_differ():
    # The sample at the top of this file, worked by hand there: 7 predicted, 5 gold, 4 right. P 4/7, R 4/5, F1 2/3,
    # accuracy 11/16; location P 1/2, R 1, F1 2/3; creative-work only predicted, corporation only missed.
    P, R = PREDICTIONS, REFERENCES

    shaped = seqeval_to_entity_metrics(load_seqeval(hub=False).compute(predictions=P, references=R, zero_division=0))
    assert (shaped["precision"], shaped["recall"], shaped["f1"], shaped["accuracy"]) == pytest.approx((4 / 7, 4 / 5, 2 / 3, 11 / 16))
    assert shaped["number_of_entities"] == 5
    assert shaped["per_type"]["location"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert shaped["per_type"]["creative-work"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert shaped["per_type"]["corporation"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}

def test_label_all_tokens_still_scores_words(sample_dir, tiny_tokenizer):
    """Trained on every sub-token, scored on words: continuation pieces never reach the metric."""
    raw = load_wnut17(sample_dir)
    tokenized = tokenize_dataset(raw, tiny_tokenizer, label_all_tokens=True)
    on_words = tokenize_dataset(raw, tiny_tokenizer, label_all_tokens=False)
    assert tokenized["train"]["labels"] != on_words["train"]["labels"]  # later sub-tokens labelled too
    assert tokenized["validation"]["labels"] == on_words["validation"]["labels"]  # one label per word
    assert tokenized["test"]["labels"] == on_words["test"]["labels"]

    # A model right on every word's first sub-token and wrong on every later one scores 1.0 on words.
    split = tokenized["validation"]
    width = max(len(row) for row in split["labels"])
    label_ids = np.full((len(split), width), IGNORE_INDEX)
    logits = np.zeros((len(split), width, len(WNUT17_LABELS)))
    continuations = 0
    for i, (row, input_ids) in enumerate(zip(split["labels"], split["input_ids"])):
        label_ids[i, : len(row)] = row
        word_ids = tiny_tokenizer(raw["validation"][i]["tokens"], is_split_into_words=True).word_ids()
        for position, label in enumerate(row):
            later_piece = word_ids[position] is not None and position > 0 and word_ids[position - 1] == word_ids[position]
            continuations += later_piece
            wrong = WNUT17_LABELS.index("B-product")
            logits[i, position, wrong if later_piece else max(label, 0)] = 1.0

    class EvalPrediction:
        predictions = logits

    EvalPrediction.label_ids = label_ids
    assert continuations > 0  # the sample has words that split into pieces
    scores = build_compute_metrics(WNUT17_LABELS, load_seqeval(hub=False))(EvalPrediction)
    assert scores["f1"] == 1.0 and scores["accuracy"] == 1.0

@pytest.mark.skipif(not os.environ.get("WNUT17_DIR"), reason="set WNUT17_DIR to the folder of the real WNUT 17 files")
def test_local_metric_equals_seqeval_on_the_real_test_split():
    data = load_wnut17(os.environ["WNUT17_DIR"])
    names = data["test"].features["ner_tags"].feature.names
    references = [[names[i] for i in tags] for tags in data["test"]["ner_tags"]]
    predictions = corrupt(references, rate=0.1, seed=0)
    result = load_seqeval(hub=False).compute(predictions=predictions, references=references)
    assert_equals_seqeval(result, predictions, references)
    assert sum(v["number"] for v in result.values() if isinstance(v, dict)) == 1079  # the test split's gold entities

def test_evaluator_runs_with_transformers_5_and_scores_first_sub_tokens(sample_dir, tiny_model, tiny_tokenizer):
    import torch
    from transformers import pipeline

    from ner_helpers.metrics import token_classification_evaluator

    data = load_wnut17(sample_dir)["test"]
    data = data.select([i for i, t in enumerate(data["tokens"]) if len(tiny_tokenizer(t, is_split_into_words=True)["input_ids"]) <= 64])
    ner = pipeline("token-classification", model=tiny_model, tokenizer=tiny_tokenizer, device="cpu")
    seqeval = load_seqeval(hub=False)
    result = token_classification_evaluator().compute(
        model_or_pipeline=ner, data=data, metric=seqeval, input_column="tokens", label_column="ner_tags"
    )
    # The same model on pre-split words, first sub-token of each word: the evaluator must agree.
    names = data.features["ner_tags"].feature.names
    predictions = []
    for tokens in data["tokens"]:
        encoded = tiny_tokenizer(tokens, is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            ids = tiny_model(**encoded).logits[0].argmax(-1).tolist()
        word_ids, seen, tags = encoded.word_ids(), set(), []
        for position, word_id in enumerate(word_ids):
            if word_id is not None and word_id not in seen:
                seen.add(word_id)
                tags.append(names[ids[position]])
        predictions.append(tags)
    references = [[names[i] for i in tags] for tags in data["ner_tags"]]
    assert sum(t != "O" for tags in predictions for t in tags) > 5  # the untrained model tags plenty
    expected = seqeval.compute(predictions=predictions, references=references)
    assert (result["overall_precision"], result["overall_recall"]) == pytest.approx((expected["overall_precision"], expected["overall_recall"]))
    assert result["overall_f1"] == pytest.approx(seqeval.compute(predictions=predictions, references=references)["overall_f1"])

# seqeval's options, passed through as evaluate's seqeval does: each case is scored differently with the option
# than without it, and the local metric must give seqeval's own numbers with it.
STRICT_REFERENCES = [["B-person", "I-person", "O", "B-group"], ["O", "B-location", "I-location", "O"]]

STRICT_PREDICTIONS = [["I-person", "I-person", "O", "B-group"], ["O", "B-location", "I-location", "I-location"]]

OPTION_CASES = {
    # strict IOB2: an entity must start with B-, so "I-person I-person" is no entity and recall drops.
    "strict IOB2": (STRICT_PREDICTIONS, STRICT_REFERENCES, {"mode": "strict", "scheme": "IOB2"}),
    # strict with a scheme seqeval would not guess: "I-PER E-PER" is one entity in IOE2, none in IOE1 (whose E-
    # only ends an entity followed by one of the same type). Without the scheme, strict mode guesses from the tags.
    "strict IOE1": ([["I-PER", "E-PER", "O", "I-LOC"]], [["I-PER", "E-PER", "O", "E-LOC"]], {"mode": "strict", "scheme": "IOE1"}),
    # the B/I mark after the type ("person-B"): read as prefixes, these would be no entities at all.
    "suffix": ([[t.split("-", 1)[1] + "-" + t[0] if t != "O" else t for t in s] for s in HAND_MADE_PREDICTED],
               [[t.split("-", 1)[1] + "-" + t[0] if t != "O" else t for t in s] for s in HAND_MADE_GOLD], {"suffix": True}),
    # group is never predicted: its precision divides by 0 and is 1 instead of 0 with zero_division=1.
    "zero_division": (HAND_MADE_PREDICTED, HAND_MADE_GOLD, {"zero_division": 1}),
}

@pytest.mark.parametrize("case", OPTION_CASES)
def test_seqeval_options_are_passed_through(case):
    predictions, references, options = OPTION_CASES[case]
    direct_options = dict(options)
    if "scheme" in direct_options:
        import seqeval.scheme

        direct_options["scheme"] = getattr(seqeval.scheme, direct_options["scheme"])
    expected = classification_report(references, predictions, output_dict=True, **direct_options)
    default = classification_report(references, predictions, output_dict=True)
    assert expected != default, "the option must change the scores for this case"
    if case == "strict IOE1":  # the scheme itself matters: strict mode without one guesses IOE2 here
        assert expected != classification_report(references, predictions, output_dict=True, mode="strict")
    result = load_seqeval(hub=False).compute(predictions=predictions, references=references, **options)
    assert result["overall_precision"] == pytest.approx(expected["micro avg"]["precision"])
    assert result["overall_recall"] == pytest.approx(expected["micro avg"]["recall"])
    assert result["overall_f1"] == pytest.approx(expected["micro avg"]["f1-score"])
    for entity_type, scores in expected.items():
        if not entity_type.endswith(" avg"):
            assert result[entity_type]["number"] == scores["support"]
            assert result[entity_type]["precision"] == pytest.approx(scores["precision"])
            assert result[entity_type]["f1"] == pytest.approx(scores["f1-score"])


@pytest.mark.parametrize(("scores", "warned"), [
    ({"f1": 0.0, "precision": 0.0, "recall": 0.0}, True), ({"f1": 0.01, "precision": 0.5, "recall": 0.005}, False),
    ({"f1": 0.43}, False),
])
def test_nothing_learned_warns_only_when_f1_is_zero(scores, warned):
    from ner_helpers.metrics import nothing_learned

    warning = nothing_learned(scores)
    assert (warning is not None) == warned
    if warned:
        assert "params/quick-start.yaml" in warning  # where the settings that learn are
