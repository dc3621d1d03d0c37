"""Entity-level scores with seqeval, the library that `evaluate.load("seqeval")` wraps.

Taught in notebook 03_train (compute_metrics) and 04_evaluate (per-type scores).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from seqeval.metrics import accuracy_score, classification_report

from .align import IGNORE_INDEX


def compute_entity_metrics(
    predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Entity-level precision, recall and F1 (micro over entities), token accuracy, and per type.

    Inputs are sentences of tag names. An entity counts as correct only when its type and both
    boundaries match (conlleval rules, seqeval's default mode). Returns
    `{"precision", "recall", "f1", "accuracy", "number_of_entities", "per_type": {type: {...}}}`.
    """
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predicted sentences but {len(references)} references.")
    for i, (pred, ref) in enumerate(zip(predictions, references)):
        if len(pred) != len(ref):
            raise ValueError(f"Sentence {i}: {len(pred)} predicted tags but {len(ref)} reference tags.")
    predictions = [list(p) for p in predictions]
    references = [list(r) for r in references]
    report = classification_report(references, predictions, output_dict=True, zero_division=0)
    micro = report.pop("micro avg")
    for summary in ("macro avg", "weighted avg"):
        report.pop(summary, None)
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "accuracy": float(accuracy_score(references, predictions)) if references else 0.0,
        "number_of_entities": int(micro["support"]),
        "per_type": {
            entity_type: {
                "precision": float(scores["precision"]),
                "recall": float(scores["recall"]),
                "f1": float(scores["f1-score"]),
                "support": int(scores["support"]),
            }
            for entity_type, scores in sorted(report.items())
        },
    }


def ids_to_tags(
    predictions: np.ndarray, label_ids: np.ndarray, label_names: Sequence[str]
) -> tuple[list[list[str]], list[list[str]]]:
    """Turn (batch, sequence) arrays of label ids into tag names, dropping positions labelled -100."""
    predicted_tags, reference_tags = [], []
    for pred_row, label_row in zip(predictions, label_ids):
        keep = label_row != IGNORE_INDEX
        predicted_tags.append([label_names[i] for i in pred_row[keep]])
        reference_tags.append([label_names[i] for i in label_row[keep]])
    return predicted_tags, reference_tags


def flatten_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """One level of scalars (what Trainer logs): per-type scores become `<type>_<score>`."""
    flat = {k: v for k, v in metrics.items() if k != "per_type"}
    for entity_type, scores in metrics.get("per_type", {}).items():
        for name, value in scores.items():
            flat[f"{entity_type}_{name}"] = value
    return flat


def build_compute_metrics(label_names: Sequence[str]) -> Callable[[Any], dict[str, float]]:
    """A `compute_metrics` for `Trainer`: argmax over logits, -100 positions dropped, seqeval scores."""
    label_names = list(label_names)

    def compute_metrics(eval_prediction: Any) -> dict[str, float]:
        logits, label_ids = eval_prediction.predictions, eval_prediction.label_ids
        if isinstance(logits, tuple):
            logits = logits[0]
        predicted_ids = np.argmax(logits, axis=-1)
        predicted_tags, reference_tags = ids_to_tags(predicted_ids, label_ids, label_names)
        return flatten_metrics(compute_entity_metrics(predicted_tags, reference_tags))

    return compute_metrics
