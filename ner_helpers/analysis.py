"""Look closer at a model's test predictions: entity spans, error categories, confusion, tables.

Taught in notebook 04_evaluate.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import pandas as pd
from seqeval.metrics.sequence_labeling import get_entities

# The order categories are listed in by `error_summary`.
ERROR_CATEGORIES: tuple[str, ...] = (
    "wrong type",
    "wrong boundary",
    "wrong type and boundary",
    "missed",
    "spurious",
)
NO_ENTITY = "no entity"

# The guide prints no score. Published WNUT 17 test entity F1 to place a run against, each with its source:
# - model cards that Trainer wrote on the Hugging Face Hub for the guide's own run (the guide's model name,
#   my_awesome_wnut_model, fine-tuned from distilbert-base-uncased, scored on the wnut_17 test split; the
#   first two cards also list the guide's 2e-5 and 2 epochs), as read on huggingface.co/<name>;
# - the best system of the WNUT 2017 shared task (UH-RiTUAL: Aguilar et al., 2017, aclanthology.org/W17-4419),
#   in the results of Derczynski et al., 2017 (aclanthology.org/W17-4418).
GUIDE_RUN_MODEL_CARDS = {
    "liujunshi/my_awesome_wnut_model": 0.3793,
    "davidliu1110/my_awesome_wnut_model": 0.3522,
    "Longxiang/my_awesome_wnut_model": 0.4137,
    "qiaoqian/my_awesome_wnut_model": 0.3742,
    "maksim2000153/distilbert-base-uncased-finetuned-wnut_17-ner": 0.3713,
    "me11997/my_awesome_wnut_model": 0.3411,
    "nc33/my_awesome_wnut_model": 0.3400,
}
GUIDE_RECIPE_F1_RANGE = (min(GUIDE_RUN_MODEL_CARDS.values()), max(GUIDE_RUN_MODEL_CARDS.values()))  # 0.340-0.414
SHARED_TASK_BEST_F1 = 0.4186  # UH-RiTUAL, the first of the WNUT 2017 shared task (entity F1 41.86%)


class Entity(NamedTuple):
    """One entity of a tag sequence: its type and token span (end exclusive)."""

    type: str
    start: int
    end: int


def extract_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) entities of one BIO tag sequence, `end` exclusive.

    The spans are seqeval's (conlleval rules, as compute_entity_metrics scores them): an I-X after
    O or after an entity of another type starts a new entity, it does not get dropped.
    """
    # seqeval appends an "O" sentinel with `+`, so it needs a list; its ends are inclusive.
    return [(entity_type, start, end + 1) for entity_type, start, end in get_entities(list(tags))]


def _check_lengths(names: Sequence[str], *sequences: Sequence[Sequence[Any]]) -> None:
    """Raise ValueError unless all `sequences` have as many sentences, and each sentence as many items."""
    counts = [len(s) for s in sequences]
    if len(set(counts)) > 1:
        raise ValueError(", ".join(f"{n} {name}" for n, name in zip(counts, names)) + ": the counts differ.")
    for i, sentence in enumerate(zip(*sequences)):
        lengths = [len(items) for items in sentence]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"Sentence {i}: " + ", ".join(f"{n} {name}" for n, name in zip(lengths, names)) + "."
            )


def _overlap(a: Entity, b: Entity) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _error(
    index: int,
    category: str,
    tokens: Sequence[str],
    gold: Entity | None,
    pred: Entity | None,
    note: str | None = None,
) -> dict[str, Any]:
    def text(entity: Entity | None) -> str | None:
        return None if entity is None else " ".join(tokens[entity.start : entity.end])

    return {
        "sentence_index": index,
        "category": category,
        "gold_type": gold.type if gold else None,
        "gold_text": text(gold),
        "pred_type": pred.type if pred else None,
        "pred_text": text(pred),
        "gold_span": (gold.start, gold.end) if gold else None,
        "pred_span": (pred.start, pred.end) if pred else None,
        "note": note,
        "sentence": " ".join(tokens),
    }


def _pair_entities(gold_tags: Sequence[str], pred_tags: Sequence[str]) -> list[tuple[Entity | None, Entity | None, Entity | None]]:
    """Gold and predicted entities of one sentence paired one to one, as both analyses count them.

    Each item is (gold, predicted, other): exact matches first pair with each other; the rest pair
    with the overlapping entity of the other side that overlaps most (then same type first, then
    leftmost). A gold entity left alone comes as (gold, None, ...) (missed), a prediction left alone
    as (None, pred, ...) (spurious); `other` is an overlapping entity already paired elsewhere, or None.
    """
    all_gold, all_pred = extract_entities(gold_tags), extract_entities(pred_tags)
    correct = set(all_gold) & set(all_pred)
    pairs: list[tuple[Entity | None, Entity | None, Entity | None]] = [
        (Entity(*e), Entity(*e), None) for e in all_gold if e in correct
    ]
    gold = [Entity(*e) for e in all_gold if e not in correct]
    pred = [Entity(*e) for e in all_pred if e not in correct]

    # Pair each gold entity with at most one overlapping prediction and vice versa, largest
    # overlap first (then same type first, then leftmost), so no entity is counted twice.
    candidates = sorted(
        (-_overlap(g, p), g.type != p.type, g.start, p.start, gi, pi)
        for gi, g in enumerate(gold)
        for pi, p in enumerate(pred)
        if _overlap(g, p) > 0
    )
    gold_partner: dict[int, int] = {}
    pred_partner: dict[int, int] = {}
    for *_, gi, pi in candidates:
        if gi not in gold_partner and pi not in pred_partner:
            gold_partner[gi], pred_partner[pi] = pi, gi
    for gi, g in enumerate(gold):
        if gi in gold_partner:
            pairs.append((g, pred[gold_partner[gi]], None))
        else:
            taken = [p for p in pred if _overlap(g, p) > 0]
            pairs.append((g, None, taken[0] if taken else None))
    for pi, p in enumerate(pred):
        if pi not in pred_partner:
            taken = [g for g in gold if _overlap(g, p) > 0]
            pairs.append((None, p, taken[0] if taken else None))
    return pairs


def _sentence_errors(index: int, tokens: Sequence[str], gold_tags: Sequence[str], pred_tags: Sequence[str]) -> list[dict[str, Any]]:
    """The errors of one sentence, in the order they appear in it."""
    errors = []
    for g, p, other in _pair_entities(gold_tags, pred_tags):
        if g is not None and p is not None:
            if g == p:
                continue  # correct
            same_span, same_type = (g.start, g.end) == (p.start, p.end), g.type == p.type
            category = "wrong type" if same_span else "wrong boundary" if same_type else "wrong type and boundary"
            errors.append(_error(index, category, tokens, g, p))
        elif g is not None:
            note = None
            if other is not None:  # a prediction that spans this entity and another one: counted with the other
                note = f"overlaps the prediction {' '.join(tokens[other.start:other.end])!r} ({other.type}), which is paired with another gold entity"
            errors.append(_error(index, "missed", tokens, g, None, note))
        else:
            note = None
            if other is not None:
                note = f"overlaps the gold entity {' '.join(tokens[other.start:other.end])!r} ({other.type}), which is paired with another prediction"
            errors.append(_error(index, "spurious", tokens, None, p, note))

    def position(error: dict[str, Any]) -> tuple[int, int]:
        spans = [s for s in (error["gold_span"], error["pred_span"]) if s is not None]
        return min(spans)

    return sorted(errors, key=position)


def categorize_errors(
    tokens_per_sentence: Sequence[Sequence[str]],
    gold_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
) -> list[dict[str, Any]]:
    """Every entity-level error, each in exactly one category of ERROR_CATEGORIES.

    Entities that match exactly (type and both boundaries) are correct and left out. The others
    are paired one to one: a gold entity with the prediction that overlaps it most (ties: same
    type first, then the leftmost). A pair with the same span is "wrong type"; with the same type
    but other boundaries, "wrong boundary"; with both different, "wrong type and boundary" (a fifth
    category, so that "wrong boundary" always means the type was right). A gold entity left
    without a partner is "missed", a prediction left without one "spurious".

    One prediction that overlaps two gold entities (the model merged them) pairs with one of them;
    the other gold entity is "missed" and its `note` names the prediction it overlaps. Splits work
    the same way. So each gold and each predicted entity that is not exactly right is in exactly
    one error. Each error is a dict: `sentence_index`, `category`, `gold_type`, `gold_text`,
    `pred_type`, `pred_text`, `gold_span` and `pred_span` (token start, end exclusive), `note`,
    and `sentence` (the tokens joined by spaces); the fields of an absent entity are None.
    """
    _check_lengths(("token lists", "gold tag lists", "predicted tag lists"), tokens_per_sentence, gold_tags, pred_tags)
    errors: list[dict[str, Any]] = []
    for index, (tokens, gold, pred) in enumerate(zip(tokens_per_sentence, gold_tags, pred_tags)):
        errors.extend(_sentence_errors(index, tokens, gold, pred))
    return errors


def error_summary(errors: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Counts of errors: one row per category, one column per entity type, with totals.

    An error's type is its gold entity's type (what the model should have found), or the
    predicted type for a spurious entity.
    """
    frame = pd.DataFrame(list(errors), columns=["category", "gold_type", "pred_type"])
    entity_type = frame["gold_type"].fillna(frame["pred_type"])
    types = sorted(entity_type.dropna().unique())
    counts = pd.crosstab(frame["category"], entity_type).reindex(index=list(ERROR_CATEGORIES), columns=types, fill_value=0)
    counts["total"] = counts.sum(axis=1)
    counts.loc["total"] = counts.sum(axis=0)
    counts = counts.fillna(0).astype(int)  # an empty crosstab comes back as floats
    counts.index.name, counts.columns.name = "category", "entity type"
    return counts


def entity_confusion_matrix(
    gold_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    label_types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Entity counts by gold type (rows) and predicted type (columns), paired as `categorize_errors` pairs them.

    Exact matches and overlapping pairs land on (gold type, predicted type): the diagonal holds the
    correct entities and the wrong-boundary ones (right type), the other cells wrong types. A
    **missed** gold entity (no prediction overlaps it, or the one that does is paired with another
    gold entity) goes to (gold type, "no entity"); a **spurious** prediction (it overlaps no gold
    entity left to pair) to ("no entity", predicted type). So the "no entity" cells equal the
    "missed" and "spurious" rows of `error_summary`; row sums are the gold entities of each type and
    column sums the predicted ones. The ("no entity", "no entity") cell is always 0. `label_types`
    fixes the order (all types found when None); a type outside it raises ValueError.
    """
    _check_lengths(("gold tag lists", "predicted tag lists"), gold_tags, pred_tags)
    pairs: list[tuple[str, str]] = [
        (g.type if g else NO_ENTITY, p.type if p else NO_ENTITY)
        for gold, pred in zip(gold_tags, pred_tags)
        for g, p, _ in _pair_entities(gold, pred)
    ]

    found = {t for pair in pairs for t in pair} - {NO_ENTITY}
    if label_types is None:
        label_types = sorted(found)
    unknown = found - set(label_types)
    if unknown:
        raise ValueError(f"Entity types {sorted(unknown)} are not in label_types {list(label_types)}.")
    labels = list(label_types) + [NO_ENTITY]
    matrix = pd.DataFrame(0, index=pd.Index(labels, name="gold"), columns=pd.Index(labels, name="predicted"))
    for gold_type, pred_type in pairs:
        matrix.loc[gold_type, pred_type] += 1
    return matrix


def per_type_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """Precision, recall, F1 and support per type, then an "overall" row (micro average).

    `metrics` is compute_entity_metrics' output; support counts the gold entities.
    """
    rows = {entity_type: scores for entity_type, scores in metrics["per_type"].items()}
    rows["overall"] = {
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "f1": metrics["f1"],
        "support": metrics["number_of_entities"],
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["precision", "recall", "f1", "support"])
    table["support"] = table["support"].astype(int)
    table.index.name = "type"
    return table


def compare_with_published(
    f1: float, low: float = GUIDE_RECIPE_F1_RANGE[0], high: float = GUIDE_RECIPE_F1_RANGE[1]
) -> str:
    """One sentence placing a WNUT 17 test entity F1 against published results, naming their sources.

    The guide prints no score. `low`-`high` is the range of the Hub model cards of the guide's own run
    (`GUIDE_RUN_MODEL_CARDS`); the shared task's best system is `SHARED_TASK_BEST_F1`. Used in notebook 04.
    """
    f1 = float(f1)  # numpy scalars too
    if math.isnan(f1) or not 0.0 <= f1 <= 1.0:
        raise ValueError(f"f1 must be a fraction between 0 and 1 (not a percentage), got {f1!r}.")
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high}).")
    example = "liujunshi/my_awesome_wnut_model"
    published = (
        f"the {low:.2f}-{high:.2f} that {len(GUIDE_RUN_MODEL_CARDS)} Hugging Face model cards of the guide's run report "
        f"(DistilBERT, WNUT 17 test split; e.g. huggingface.co/{example}: {GUIDE_RUN_MODEL_CARDS[example]:.3f})"
    )
    place = "below" if f1 < low else "within" if f1 <= high else "above"
    versus_best = "below" if f1 < SHARED_TASK_BEST_F1 else "above" if f1 > SHARED_TASK_BEST_F1 else "level with"
    gap = (
        "; a smaller model, fewer epochs or a subset of the training data can explain the gap" if place == "below" else ""
    )
    return (
        f"Test entity F1 {f1:.3f} is {place} {published}{gap}. The best system of the WNUT 2017 shared task "
        f"reached {SHARED_TASK_BEST_F1:.3f}, so this run is {versus_best} it (Derczynski et al., 2017, aclanthology.org/W17-4418)."
    )
