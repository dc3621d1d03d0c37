"""A training run's history, epoch by epoch: the log as a table, and what it says in a few sentences.

Taught in notebook 03 (section 7) and plotted in notebook 04; the test-set analysis is ner_helpers.analysis.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd


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


def training_story(history: pd.DataFrame) -> str:
    """What the validation loss and F1 of a run did, and which epoch was kept, in a few sentences.

    `history` is `log_history_table`'s output. The kept epoch is the one with the best validation
    F1 (the earliest on ties), as `load_best_model_at_end` with `metric_for_best_model="f1"` keeps it.
    Written from the numbers, so the notebook's prose cannot contradict its run.
    """
    evaluated = history.dropna(subset=["eval_f1"]).reset_index(drop=True)
    if evaluated.empty:
        return "The log holds no validation scores: train with evaluation on the validation split (eval_strategy='epoch')."
    epoch = lambda value: f"{value:g}"  # noqa: E731  (1.0 -> "1")
    best = evaluated.loc[evaluated["eval_f1"].idxmax()]
    last = evaluated.iloc[-1]
    losses = evaluated["eval_loss"].tolist()
    rose = [evaluated.loc[i, "epoch"] for i in range(1, len(losses)) if losses[i] > losses[i - 1]]
    if len(evaluated) == 1:
        loss_part = f"Validation was scored once, after epoch {epoch(last['epoch'])} (loss {losses[0]:.3f})."
    elif not rose:
        loss_part = f"Validation loss fell after every epoch ({' -> '.join(f'{v:.3f}' for v in losses)})."
    else:
        lowest = evaluated.loc[evaluated["eval_loss"].idxmin()]
        loss_part = (
            f"Validation loss rose in epoch{'s' if len(rose) > 1 else ''} {', '.join(epoch(e) for e in rose)}; "
            f"it was lowest after epoch {epoch(lowest['epoch'])} ({lowest['eval_loss']:.3f}) and ended at {last['eval_loss']:.3f}."
        )
    if evaluated["eval_f1"].max() == 0:
        return loss_part + (
            " Validation F1 stayed at 0.000: no entity was found exactly right yet, so the model kept is the"
            f" earliest of equal scores (epoch {epoch(best['epoch'])}). Train longer, or with a larger learning rate."
        )
    f1_part = f" Validation F1 was best after epoch {epoch(best['epoch'])} ({best['eval_f1']:.3f})"
    if best["epoch"] < last["epoch"]:
        f1_part += f" and lower after it ({last['eval_f1']:.3f} at the end): the model kept is epoch {epoch(best['epoch'])}, not the last one."
    else:
        f1_part += f", the last epoch, so the model kept is the last one (epoch {epoch(best['epoch'])})."
    reason = ""
    if rose and any(e <= best["epoch"] for e in rose):
        reason = (
            " F1 still improved while the loss rose. The model is chosen by validation F1 (metric_for_best_model='f1'),"
            " the score we report: the loss can also grow when a few wrong tokens become more confident, even while"
            " more entities are found. A loss that keeps rising while F1 stops improving is the sign of overfitting."
        )
    elif not rose and best["epoch"] >= last["epoch"] and len(evaluated) > 1:
        reason = " No sign of overfitting yet: more epochs might still help."
    return loss_part + f1_part + reason
