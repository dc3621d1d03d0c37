"""Error analysis: entity spans, one category per error, confusion counts, tables for notebook 04."""
from __future__ import annotations

import random

import pytest

from support import HAND_MADE_GOLD, HAND_MADE_PREDICTED
from ner_helpers.analysis import (
    ERROR_CATEGORIES,
    GUIDE_RUN_MODEL_CARDS,
    NO_ENTITY,
    categorize_errors,
    compare_with_published,
    entity_confusion_matrix,
    error_summary,
    extract_entities,
    per_type_table,
)
from ner_helpers.data import WNUT17_LABELS
from ner_helpers.metrics import compute_entity_metrics

TOKENS = ["Ann", "met", "Bob", "in", "New", "York", "today"]


def errors_of(gold: list[str], pred: list[str]) -> list[dict]:
    return categorize_errors([TOKENS[: len(gold)]], [gold], [pred])


# extract_entities


def test_spans_end_exclusive():
    assert extract_entities(["B-person", "I-person", "O", "B-location"]) == [("person", 0, 2), ("location", 3, 4)]


def test_i_after_o_or_another_type_starts_an_entity_as_in_seqeval():
    assert extract_entities(["I-person", "O", "B-group", "I-product", "I-product"]) == [
        ("person", 0, 1),
        ("group", 2, 3),
        ("product", 3, 5),
    ]


def test_b_after_i_of_the_same_type_starts_a_new_entity():
    assert extract_entities(("B-person", "I-person", "B-person")) == [("person", 0, 2), ("person", 2, 3)]


def test_no_entities_in_all_o():
    assert extract_entities(["O", "O"]) == [] and extract_entities([]) == []


# categorize_errors: one test per category


def test_exact_match_is_not_an_error():
    assert errors_of(["B-person", "I-person", "O"], ["B-person", "I-person", "O"]) == []


def test_same_span_other_type_is_wrong_type():
    [error] = errors_of(["O", "O", "B-person"], ["O", "O", "B-group"])
    assert error["category"] == "wrong type"
    assert (error["gold_type"], error["pred_type"]) == ("person", "group")
    assert error["gold_span"] == error["pred_span"] == (2, 3)


def test_wrong_boundary_is_its_own_category():
    [error] = errors_of(["O"] * 4 + ["B-location", "I-location"], ["O"] * 5 + ["B-location"])
    assert error["category"] == "wrong boundary"
    assert (error["gold_text"], error["pred_text"]) == ("New York", "York")
    assert (error["gold_span"], error["pred_span"]) == ((4, 6), (5, 6))


def test_overlap_with_other_type_and_boundary_is_wrong_type_and_boundary():
    [error] = errors_of(["O"] * 4 + ["B-location", "I-location"], ["O"] * 4 + ["B-person", "O"])
    assert error["category"] == "wrong type and boundary"
    assert (error["gold_type"], error["pred_type"]) == ("location", "person")


def test_gold_entity_without_overlapping_prediction_is_missed():
    [error] = errors_of(["B-person", "O", "O"], ["O", "O", "O"])
    assert error["category"] == "missed"
    assert (error["gold_text"], error["pred_type"], error["pred_span"], error["pred_text"]) == ("Ann", None, None, None)


def test_prediction_without_overlapping_gold_is_spurious():
    [error] = errors_of(["O", "O", "O"], ["O", "B-product", "O"])
    assert error["category"] == "spurious"
    assert (error["pred_text"], error["gold_type"], error["gold_span"]) == ("met", None, None)


def test_error_names_its_sentence_by_index_and_text():
    errors = categorize_errors([["x"], ["Ann", "sings"]], [["O"], ["B-person", "O"]], [["O"], ["O", "O"]])
    assert [(e["sentence_index"], e["sentence"]) for e in errors] == [(1, "Ann sings")]


def test_one_prediction_over_two_gold_entities_is_counted_once():
    gold = ["O"] * 4 + ["B-location", "B-location", "O"]
    pred = ["O"] * 4 + ["B-location", "I-location", "O"]
    errors = errors_of(gold, pred)
    assert [e["category"] for e in errors] == ["wrong boundary", "missed"]
    assert sum(e["pred_span"] is not None for e in errors) == 1
    assert "New York" in errors[1]["note"]  # the missed entity says which prediction swallowed it


def test_two_predictions_inside_one_gold_entity_pair_one_and_leave_one_spurious():
    gold = ["O"] * 4 + ["B-location", "I-location", "O"]
    pred = ["O"] * 4 + ["B-location", "B-location", "O"]
    assert [e["category"] for e in errors_of(gold, pred)] == ["wrong boundary", "spurious"]


def test_every_wrong_entity_is_in_exactly_one_error():
    rng = random.Random(0)
    gold_tags, pred_tags = [], []
    for _ in range(300):
        length = rng.randint(1, 12)
        gold_tags.append([rng.choice(WNUT17_LABELS[:7]) for _ in range(length)])
        pred_tags.append([rng.choice(WNUT17_LABELS[:7]) for _ in range(length)])
    tokens = [[f"w{i}" for i in range(len(tags))] for tags in gold_tags]
    errors = categorize_errors(tokens, gold_tags, pred_tags)
    assert {e["category"] for e in errors} == set(ERROR_CATEGORIES)
    for index, (gold, pred) in enumerate(zip(gold_tags, pred_tags)):
        correct = set(extract_entities(gold)) & set(extract_entities(pred))
        mine = [e for e in errors if e["sentence_index"] == index]
        wrong_gold = sorted((t, s, e) for t, s, e in extract_entities(gold) if (t, s, e) not in correct)
        wrong_pred = sorted((t, s, e) for t, s, e in extract_entities(pred) if (t, s, e) not in correct)
        assert sorted((e["gold_type"], *e["gold_span"]) for e in mine if e["gold_span"]) == wrong_gold
        assert sorted((e["pred_type"], *e["pred_span"]) for e in mine if e["pred_span"]) == wrong_pred


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError) as error:
        categorize_errors([["a", "b"]], [["O", "O"]], [["O"]])
    assert "Sentence 0" in str(error.value) and "2 " in str(error.value) and "1 " in str(error.value)
    with pytest.raises(ValueError):
        categorize_errors([["a"]], [["O"]], [])


# error_summary


def test_summary_counts_by_category_and_type_with_totals():
    gold = [["B-person", "O", "B-location", "O"], ["B-group", "O"]]
    pred = [["B-group", "O", "O", "B-product"], ["B-group", "B-person"]]
    summary = error_summary(categorize_errors([["a"] * 4, ["b"] * 2], gold, pred))
    assert list(summary.index) == [*ERROR_CATEGORIES, "total"]
    assert summary.loc["wrong type", "person"] == 1
    assert summary.loc["missed", "location"] == 1
    assert summary.loc["spurious", "product"] == 1 and summary.loc["spurious", "person"] == 1
    assert summary.loc["total", "total"] == 4
    assert summary.loc["wrong boundary", "total"] == 0


def test_summary_of_no_errors_is_all_zero():
    summary = error_summary([])
    assert list(summary.index) == [*ERROR_CATEGORIES, "total"] and (summary.to_numpy() == 0).all()


# entity_confusion_matrix

TYPES = ["corporation", "creative-work", "group", "location", "person", "product"]


def test_confusion_matrix_pairs_entities_as_the_error_analysis_does():
    matrix = entity_confusion_matrix(HAND_MADE_GOLD, HAND_MADE_PREDICTED, TYPES)
    assert list(matrix.index) == list(matrix.columns) == TYPES + [NO_ENTITY]
    expected = {
        ("person", "person"): 1,
        ("location", "person"): 1,  # wrong type
        ("corporation", "corporation"): 1,
        ("creative-work", "creative-work"): 1,
        ("product", "product"): 1,  # wrong boundary: right type, paired with the overlapping prediction
        ("group", NO_ENTITY): 1,  # missed: no prediction overlaps it
        (NO_ENTITY, "group"): 1,  # spurious: overlaps no gold entity
    }
    for gold_type in matrix.index:
        for pred_type in matrix.columns:
            assert matrix.loc[gold_type, pred_type] == expected.get((gold_type, pred_type), 0), (gold_type, pred_type)


def test_confusion_matrix_no_entity_cells_equal_the_error_tables_missed_and_spurious():
    tokens = [["w"] * len(tags) for tags in HAND_MADE_GOLD]
    summary = error_summary(categorize_errors(tokens, HAND_MADE_GOLD, HAND_MADE_PREDICTED))
    matrix = entity_confusion_matrix(HAND_MADE_GOLD, HAND_MADE_PREDICTED, TYPES)
    assert matrix[NO_ENTITY].sum() == summary.loc["missed", "total"] == 1
    assert matrix.loc[NO_ENTITY].sum() == summary.loc["spurious", "total"] == 1


def test_confusion_matrix_rows_are_gold_support_and_columns_predicted_counts():
    matrix = entity_confusion_matrix(HAND_MADE_GOLD, HAND_MADE_PREDICTED, TYPES)
    per_type = compute_entity_metrics(HAND_MADE_PREDICTED, HAND_MADE_GOLD)["per_type"]
    for entity_type, scores in per_type.items():
        assert matrix.loc[entity_type].sum() == scores["support"]
    predicted = [e[0] for tags in HAND_MADE_PREDICTED for e in extract_entities(tags)]
    for entity_type in TYPES:
        assert matrix[entity_type].sum() == predicted.count(entity_type)


def test_confusion_matrix_rejects_a_type_outside_label_types():
    with pytest.raises(ValueError) as error:
        entity_confusion_matrix(HAND_MADE_GOLD, HAND_MADE_PREDICTED, ["person"])
    assert "'location'" in str(error.value) and "['person']" in str(error.value)  # the type refused, those accepted


# per_type_table, log_history_table, compare_with_published


def test_per_type_table_has_each_type_and_overall():
    table = per_type_table(compute_entity_metrics(HAND_MADE_PREDICTED, HAND_MADE_GOLD))
    assert list(table.columns) == ["precision", "recall", "f1", "support"]
    assert list(table.index) == TYPES + ["overall"]
    assert table.loc["person", "precision"] == pytest.approx(0.5)
    assert table.loc["person", "f1"] == pytest.approx(2 / 3)
    assert table.loc["overall", "f1"] == pytest.approx(0.5)
    assert table.loc["overall", "support"] == 6 == table.loc[TYPES, "support"].sum()


def test_per_type_table_puts_each_number_in_its_own_cell():
    # Written by hand, every number different: a swapped column or row cannot go unnoticed.
    metrics = {
        "precision": 0.6, "recall": 0.45, "f1": 0.514, "accuracy": 0.93, "number_of_entities": 20,
        "per_type": {"group": {"precision": 0.25, "recall": 0.125, "f1": 1 / 6, "support": 8},
                     "person": {"precision": 0.8, "recall": 0.5, "f1": 8 / 13, "support": 12}},
    }
    table = per_type_table(metrics)
    assert table.to_dict("index") == {
        "group": {"precision": 0.25, "recall": 0.125, "f1": 1 / 6, "support": 8},
        "person": {"precision": 0.8, "recall": 0.5, "f1": 8 / 13, "support": 12},
        "overall": {"precision": 0.6, "recall": 0.45, "f1": 0.514, "support": 20},
    }
    assert table.index.name == "type" and str(table["support"].dtype).startswith("int")


@pytest.mark.parametrize(("f1", "words"), [(0.20, "below"), (0.34, "within"), (0.38, "within"), (0.4137, "within"), (0.433, "above")])
def test_comparison_places_f1_against_the_published_range(f1, words):
    sentence = compare_with_published(f1)
    assert f"is {words} the 0.34-0.41" in sentence and f"{f1:.3f}" in sentence
    # the sources are named: a model card of the guide's run and the shared-task paper
    assert "huggingface.co/liujunshi/my_awesome_wnut_model" in sentence and "Derczynski et al., 2017" in sentence


def test_published_range_is_the_range_of_the_named_model_cards():
    """Every named card's F1 is placed within the range; a hair below the lowest card or above the highest is not."""
    scores = sorted(GUIDE_RUN_MODEL_CARDS.values())
    assert all("is within" in compare_with_published(f1) for f1 in scores)
    assert "is below" in compare_with_published(scores[0] - 0.001)
    assert "is above" in compare_with_published(scores[-1] + 0.001)
    assert all(name.count("/") == 1 and 0 < f1 < 1 for name, f1 in GUIDE_RUN_MODEL_CARDS.items())


@pytest.mark.parametrize(("f1", "words"), [(0.40, "below it"), (0.4186, "level with it"), (0.433, "above it")])
def test_comparison_places_f1_against_the_shared_tasks_best_system(f1, words):
    assert f"reached 0.419, so this run is {words}" in compare_with_published(f1)


def test_comparison_rejects_a_percentage():
    with pytest.raises(ValueError) as error:
        compare_with_published(36.5)
    assert "36.5" in str(error.value) and "between 0 and 1" in str(error.value)  # the value given, the range accepted
