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

# The Hugging Face token-classification guide (DistilBERT, WNUT 17 test split).
GUIDE_F1_RANGE = (0.35, 0.38)  # its recipe: 2 epochs
LONGER_RUNS_F1_RANGE = (0.42, 0.45)  # published runs of the same recipe with more epochs


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


def _sentence_errors(index: int, tokens: Sequence[str], gold_tags: Sequence[str], pred_tags: Sequence[str]) -> list[dict[str, Any]]:
    """The errors of one sentence, in the order they appear in it."""
    all_gold, all_pred = extract_entities(gold_tags), extract_entities(pred_tags)
    correct = set(all_gold) & set(all_pred)
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

    errors = []
    for gi, g in enumerate(gold):
        if gi in gold_partner:
            p = pred[gold_partner[gi]]
            same_span, same_type = (g.start, g.end) == (p.start, p.end), g.type == p.type
            category = "wrong type" if same_span else "wrong boundary" if same_type else "wrong type and boundary"
            errors.append(_error(index, category, tokens, g, p))
            continue
        taken = [p for p in pred if _overlap(g, p) > 0]
        note = None
        if taken:  # a prediction that spans this entity and another one: counted with the other
            note = f"overlaps the prediction {' '.join(tokens[taken[0].start:taken[0].end])!r} ({taken[0].type}), which is paired with another gold entity"
        errors.append(_error(index, "missed", tokens, g, None, note))
    for pi, p in enumerate(pred):
        if pi in pred_partner:
            continue
        taken = [g for g in gold if _overlap(g, p) > 0]
        note = None
        if taken:
            note = f"overlaps the gold entity {' '.join(tokens[taken[0].start:taken[0].end])!r} ({taken[0].type}), which is paired with another prediction"
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
    """Entity counts by gold type (rows) and predicted type (columns), on exact spans only.

    A gold and a predicted entity with the same span land on (gold type, predicted type): the
    diagonal holds the correct entities, the rest wrong types. A gold entity with no prediction of
    the same span goes to (gold type, "no entity"); a prediction with no gold entity of the same
    span to ("no entity", predicted type). A wrong-boundary error therefore counts twice, once
    each way, as it does in precision and recall: row sums are the gold entities of each type and
    column sums the predicted ones. The ("no entity", "no entity") cell is always 0. `label_types`
    fixes the order (all types found when None); a type outside it raises ValueError.
    """
    _check_lengths(("gold tag lists", "predicted tag lists"), gold_tags, pred_tags)
    pairs: list[tuple[str, str]] = []
    for gold, pred in zip(gold_tags, pred_tags):
        gold_by_span = {(s, e): t for t, s, e in extract_entities(gold)}
        pred_by_span = {(s, e): t for t, s, e in extract_entities(pred)}
        for span, gold_type in gold_by_span.items():
            pairs.append((gold_type, pred_by_span.get(span, NO_ENTITY)))
        pairs.extend((NO_ENTITY, t) for span, t in pred_by_span.items() if span not in gold_by_span)

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


def log_history_table(log_history: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per epoch of `trainer.state.log_history`: epoch, training_loss, eval_loss, eval_f1.

    Training logs carry `loss`, evaluation logs `eval_loss` and `eval_f1`; with the epoch logging
    and evaluation of notebook 03 both are written at the same epoch value. The final summary
    (`train_loss`) is skipped. When an epoch was logged twice (a `trainer.evaluate()` after
    training, say), the first value is kept: the one logged during training. A missing value is NaN.
    """
    rows: dict[float, dict[str, float]] = {}
    for log in log_history:
        if "epoch" not in log or "train_loss" in log:
            continue
        # Rounded so that 2.0 and 1.9999999 from float step counting land on one row.
        row = rows.setdefault(round(float(log["epoch"]), 4), {})
        for source, column in (("loss", "training_loss"), ("eval_loss", "eval_loss"), ("eval_f1", "eval_f1")):
            if source in log and column not in row:
                row[column] = float(log[source])
    table = pd.DataFrame(
        [{"epoch": epoch, **row} for epoch, row in sorted(rows.items()) if row],
        columns=["epoch", "training_loss", "eval_loss", "eval_f1"],
    )
    return table.astype(float)


def compare_with_published(f1: float, low: float = GUIDE_F1_RANGE[0], high: float = GUIDE_F1_RANGE[1]) -> str:
    """One sentence placing a test entity F1 against the guide's published range.

    The guide's DistilBERT recipe reaches 0.35-0.38 after 2 epochs; published runs of it with
    more epochs reach 0.42-0.45.
    """
    f1 = float(f1)  # numpy scalars too
    if math.isnan(f1) or not 0.0 <= f1 <= 1.0:
        raise ValueError(f"f1 must be a fraction between 0 and 1 (not a percentage), got {f1!r}.")
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high}).")
    published = f"the guide's published {low:.2f}-{high:.2f} (DistilBERT, 2 epochs)"
    longer_low, longer_high = LONGER_RUNS_F1_RANGE
    if f1 < low:
        return (
            f"Test entity F1 {f1:.3f} is below {published}; a smaller model, fewer epochs "
            "or a subset of the training data can explain the gap."
        )
    if f1 <= high:
        return f"Test entity F1 {f1:.3f} is within {published}."
    if f1 < longer_low:
        return f"Test entity F1 {f1:.3f} is above {published}; runs trained for more epochs reach {longer_low:.2f}-{longer_high:.2f}."
    if f1 <= longer_high:
        return f"Test entity F1 {f1:.3f} is above {published}, in the {longer_low:.2f}-{longer_high:.2f} of runs trained for more epochs."
    return (
        f"Test entity F1 {f1:.3f} is above {published} and above the {longer_low:.2f}-{longer_high:.2f} "
        "of runs trained for more epochs."
    )
