"""Entity-level scores with seqeval: the guide's `evaluate.load("seqeval")`, and a copy that works offline.

Taught in notebook 03_train (compute_metrics) and 04_evaluate (per-type scores, the evaluator check).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np
from evaluate.utils.file_utils import DownloadConfig
from seqeval.metrics import accuracy_score, classification_report

from .align import IGNORE_INDEX
from .data import offline_mode

SEQEVAL_RESULT_KEYS = ("overall_precision", "overall_recall", "overall_f1", "overall_accuracy")


class Seqeval(evaluate.Metric):
    """seqeval as an `evaluate` metric: the inputs, options and result keys of `evaluate.load("seqeval")`.

    The Hub's metric script (evaluate-metric/seqeval) is a thin wrapper around seqeval's
    `classification_report`; this is the same wrapper, shipped in the package so it needs no download.
    """

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Entity-level precision, recall and F1 of BIO-tagged sequences (seqeval, conlleval rules).",
            citation="Hiroki Nakayama (2018), seqeval: A Python framework for sequence labeling evaluation.",
            inputs_description=(
                "predictions, references: lists of sentences, each a list of tag names (B-X, I-X, O). "
                "Returns per type {precision, recall, f1, number} and overall_precision, overall_recall, "
                "overall_f1, overall_accuracy."
            ),
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string", id="label"), id="sequence"),
                    "references": datasets.Sequence(datasets.Value("string", id="label"), id="sequence"),
                }
            ),
            codebase_urls=["https://github.com/chakki-works/seqeval"],
            reference_urls=["https://huggingface.co/spaces/evaluate-metric/seqeval"],
        )

    def _compute(
        self,
        predictions: Sequence[Sequence[str]],
        references: Sequence[Sequence[str]],
        suffix: bool = False,
        scheme: str | None = None,
        mode: str | None = None,
        sample_weight: Sequence[float] | None = None,
        zero_division: str | int = "warn",
    ) -> dict[str, Any]:
        if scheme is not None:  # "IOB2" etc.: seqeval's strict mode takes a scheme class
            import seqeval.scheme

            scheme = getattr(seqeval.scheme, scheme)
        report = classification_report(
            y_true=references, y_pred=predictions, suffix=suffix, output_dict=True, scheme=scheme,
            mode=mode, sample_weight=sample_weight, zero_division=zero_division,
        )
        report.pop("macro avg")
        report.pop("weighted avg")
        overall = report.pop("micro avg")
        scores: dict[str, Any] = {
            entity_type: {
                "precision": score["precision"], "recall": score["recall"],
                "f1": score["f1-score"], "number": score["support"],
            }
            for entity_type, score in report.items()
        }
        scores["overall_precision"] = overall["precision"]
        scores["overall_recall"] = overall["recall"]
        scores["overall_f1"] = overall["f1-score"]
        scores["overall_accuracy"] = accuracy_score(y_true=references, y_pred=predictions)
        return scores


def load_seqeval(hub: bool = True, verbose: bool = True) -> evaluate.EvaluationModule:
    """The guide's `evaluate.load("seqeval")`; without the Hub, the local copy `Seqeval`.

    The Hub route is tried first (unless `hub=False`; with HF_HUB_OFFLINE set, evaluate's cache alone). When it
    fails (no network, offline and not cached, the script moved), a one-line note says so and the copy shipped in
    this package is used: same `compute(predictions=..., references=...)`, same result keys, same numbers.
    """
    if hub:
        try:
            # Offline (HF_HUB_OFFLINE set), only evaluate's cache is looked in: evaluate does not read that variable
            # and would otherwise retry the network for 1.5 s before failing.
            download = DownloadConfig(local_files_only=True) if offline_mode() else None
            return evaluate.load("seqeval", download_config=download)
        except Exception as err:  # no network, offline mode, a missing script: all mean "use the copy"
            if verbose:
                print(
                    f'evaluate.load("seqeval") could not fetch the metric from the Hub ({type(err).__name__}); '
                    "using the same metric shipped in ner_helpers.metrics.Seqeval."
                )
    return Seqeval(keep_in_memory=True)


def nothing_learned(metrics: dict[str, Any]) -> str | None:
    """A plain warning when a run's entity F1 is 0 (no predicted entity matched a gold one), else None.

    A short run on a CPU often ends there: the model predicts only O, and every other number looks normal.
    """
    if metrics.get("f1", 0) > 0:
        return None
    return ("WARNING: entity F1 is 0: the model found no entity (it most likely predicts only O). Train longer: more "
            "sentences, more epochs or a higher learning rate (params/quick-start.yaml holds settings that learn on a CPU).")


def seqeval_to_entity_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """A `seqeval.compute(...)` result in the shape of `compute_entity_metrics` (for `per_type_table`)."""
    per_type = {k: v for k, v in result.items() if isinstance(v, dict)}
    return {
        "precision": float(result["overall_precision"]),
        "recall": float(result["overall_recall"]),
        "f1": float(result["overall_f1"]),
        "accuracy": float(result["overall_accuracy"]),
        "number_of_entities": int(sum(v["number"] for v in per_type.values())),
        "per_type": {
            entity_type: {
                "precision": float(v["precision"]), "recall": float(v["recall"]),
                "f1": float(v["f1"]), "support": int(v["number"]),
            }
            for entity_type, v in sorted(per_type.items())
        },
    }


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
    del report["macro avg"], report["weighted avg"]  # the per-type rows stay
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "accuracy": float(accuracy_score(references, predictions)),
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


def build_compute_metrics(
    label_names: Sequence[str], seqeval: evaluate.EvaluationModule | None = None
) -> Callable[[Any], dict[str, float]]:
    """The guide's `compute_metrics` for `Trainer` (notebook 03 defines the same function in a cell).

    Argmax over the logits, positions labelled -100 dropped, ids to tag names, `seqeval.compute`;
    returns overall precision, recall, F1 and accuracy, and the number of gold entities scored. Only the first sub-token of each word
    carries a label in validation and test data (see `align.tokenize_dataset`), so it scores words.
    """
    label_names = list(label_names)
    seqeval = seqeval if seqeval is not None else load_seqeval(verbose=False)

    def compute_metrics(eval_prediction: Any) -> dict[str, float]:
        logits, labels = eval_prediction.predictions, eval_prediction.label_ids
        if isinstance(logits, tuple):
            logits = logits[0]
        predicted_tags, reference_tags = ids_to_tags(np.argmax(logits, axis=-1), labels, label_names)
        # zero_division=0: a type not predicted yet scores 0 without seqeval's UndefinedMetricWarning (as in notebook 03).
        results = seqeval.compute(predictions=predicted_tags, references=reference_tags, zero_division=0)
        scores = {name: float(results[f"overall_{name}"]) for name in ("precision", "recall", "f1", "accuracy")}
        # The gold entity count tells which split was scored (tests check it is validation's).
        scores["number_of_entities"] = int(sum(results[name]["number"] for name in results if not name.startswith("overall_")))
        return scores

    return compute_metrics


def token_classification_evaluator() -> Any:
    """`evaluate.evaluator("token-classification")`, made to work with transformers 5.

    evaluate 0.4.6 checks `isinstance(model, transformers.TFPreTrainedModel)`, a class transformers 5
    removed with TensorFlow support; an empty stand-in class (nothing is an instance of it) lets the
    check answer False as it should. Nothing else is changed. Used in notebook 04.
    """
    import transformers

    if not hasattr(transformers, "TFPreTrainedModel"):
        transformers.TFPreTrainedModel = type("TFPreTrainedModel", (), {})
    return evaluate.evaluator("token-classification")
