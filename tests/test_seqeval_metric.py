"""`load_seqeval()`: the guide's `evaluate.load("seqeval")`, and offline a local copy with the same numbers."""
from __future__ import annotations

import os
import random

import evaluate
import numpy as np
import pytest
from seqeval.metrics import accuracy_score, classification_report

from ner_helpers import metrics
from ner_helpers.align import IGNORE_INDEX, tokenize_dataset
from ner_helpers.data import WNUT17_LABELS, load_wnut17
from ner_helpers.metrics import Seqeval, build_compute_metrics, load_seqeval, seqeval_to_entity_metrics

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
    monkeypatch.setattr(metrics.evaluate, "load", lambda path, **kw: calls.append(path) or hub_module)
    assert load_seqeval() is hub_module
    assert calls == ["seqeval"]


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
    assert metric.compute(predictions=PREDICTIONS, references=REFERENCES)["overall_f1"] > 0
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_hub_false_skips_the_hub(monkeypatch):
    monkeypatch.setattr(metrics.evaluate, "load", lambda *a, **k: pytest.fail("the Hub was tried"))
    assert isinstance(load_seqeval(hub=False), Seqeval)


def test_result_keys_are_the_guides():
    result = Seqeval().compute(predictions=PREDICTIONS, references=REFERENCES)
    assert {"overall_precision", "overall_recall", "overall_f1", "overall_accuracy"} <= set(result)
    assert set(result["person"]) == {"precision", "recall", "f1", "number"}


def test_local_metric_equals_seqeval_on_the_handwritten_sample():
    result = load_seqeval(hub=False).compute(predictions=PREDICTIONS, references=REFERENCES)
    assert_equals_seqeval(result, PREDICTIONS, REFERENCES)
    assert result["overall_f1"] == pytest.approx(0.5)  # 3 of 6 right both ways (see test_metrics)


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
    result = load_seqeval(hub=False).compute(predictions=PREDICTIONS, references=REFERENCES)
    shaped = seqeval_to_entity_metrics(result)
    direct = metrics.compute_entity_metrics(PREDICTIONS, REFERENCES)
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
    # test_metrics.py's sample, worked by hand there: 7 predicted, 5 gold, 4 right. P 4/7, R 4/5, F1 2/3,
    # accuracy 11/16; location P 1/2, R 1, F1 2/3; creative-work only predicted, corporation only missed.
    from test_metrics import PREDICTIONS as P, REFERENCES as R

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
    "suffix": ([[t.split("-", 1)[1] + "-" + t[0] if t != "O" else t for t in s] for s in PREDICTIONS],
               [[t.split("-", 1)[1] + "-" + t[0] if t != "O" else t for t in s] for s in REFERENCES], {"suffix": True}),
    # group is never predicted: its precision divides by 0 and is 1 instead of 0 with zero_division=1.
    "zero_division": (PREDICTIONS, REFERENCES, {"zero_division": 1}),
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
