"""Charts of an evaluation: per-type scores, training curves, entity-type confusion.

Taught in notebook 04_evaluate. Each function returns its Figure and, with `save_to`, writes a PNG
(parent folders created). pyplot is imported inside the functions, not at import time, so the
backend is the one in effect when a chart is drawn: inline in Jupyter, Agg on a headless machine.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import NO_ENTITY

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

SCORE_COLUMNS = ("precision", "recall", "f1")


def _save(figure: Figure, save_to: str | Path | None) -> Figure:
    """Write `figure` as a PNG at `save_to` (if given), creating its folder."""
    if save_to is not None:
        path = Path(save_to)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", dpi=120, bbox_inches="tight")
    return figure


def _on_split(title: str, split: str | None) -> str:
    """`title`, followed by the split it was measured on when one is named."""
    return f"{title}, {split} split" if split else title


def plot_per_type_scores(table: pd.DataFrame, save_to: str | Path | None = None, split: str | None = None) -> Figure:
    """Grouped bars of precision, recall and F1 for each row of `per_type_table` (support under the name).

    `split` names the split scored in the title (notebook 04 scores validation when there is no test split).
    """
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(table) + 2), 4))
    width = 0.8 / len(SCORE_COLUMNS)
    positions = range(len(table))
    for i, column in enumerate(SCORE_COLUMNS):
        offset = (i - (len(SCORE_COLUMNS) - 1) / 2) * width
        ax.bar([p + offset for p in positions], table[column], width, label=column)
    labels = [str(name) for name in table.index]
    if "support" in table:
        labels = [f"{name}\n({int(n)})" for name, n in zip(labels, table["support"])]
    ax.set_xticks(list(positions), labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.set_title(_on_split("Entity scores per type (gold entities under each name)", split))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right")
    figure.tight_layout()
    return _save(figure, save_to)


def plot_training_curves(history_table: pd.DataFrame, save_to: str | Path | None = None) -> Figure:
    """Training and validation loss by epoch on the left axis, validation F1 on the right one.

    `history_table` is `log_history_table`'s output; a column it lacks is left out.
    """
    import matplotlib.pyplot as plt

    figure, loss_ax = plt.subplots(figsize=(7, 4))
    lines = []
    for column, label, color in (("training_loss", "training loss", "tab:blue"), ("eval_loss", "validation loss", "tab:orange")):
        if column in history_table:
            # Rows where this value is missing would break the line into dots: drop them.
            rows = history_table[["epoch", column]].dropna()
            lines += loss_ax.plot(rows["epoch"], rows[column], marker="o", color=color, label=label)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.grid(alpha=0.3)
    if "eval_f1" in history_table:
        f1_ax = loss_ax.twinx()
        rows = history_table[["epoch", "eval_f1"]].dropna()
        lines += f1_ax.plot(rows["epoch"], rows["eval_f1"], marker="s", linestyle="--", color="tab:green", label="validation F1")
        f1_ax.set_ylabel("entity F1")
        f1_ax.set_ylim(0, 1)
    epochs = history_table["epoch"].dropna() if "epoch" in history_table else []
    if len(epochs) and all(float(e).is_integer() for e in epochs):
        loss_ax.set_xticks(sorted({int(e) for e in epochs}))
    if lines:  # below the axes, where it hides no point
        loss_ax.legend(lines, [line.get_label() for line in lines], loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=len(lines), frameon=False)
    loss_ax.set_title("Training curves")
    figure.tight_layout()
    return _save(figure, save_to)


def plot_confusion_matrix(matrix: pd.DataFrame, save_to: str | Path | None = None, split: str | None = None) -> Figure:
    """Heatmap of `entity_confusion_matrix` (gold types down, predicted types across), counts in the cells.

    `split` names the split the entities come from in the title.
    The ("no entity", "no entity") cell is left blank: tokens outside every entity are not counted.
    """
    import matplotlib.pyplot as plt

    values = matrix.to_numpy()
    size = max(5.0, 0.8 * max(values.shape) + 2)
    figure, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(values, cmap="Blues")
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="entities")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(r) for r in matrix.index])
    ax.set_xlabel("predicted type")
    ax.set_ylabel("gold type")
    ax.set_title(_on_split("Entities by gold and predicted type (paired as in the error analysis)", split))
    # Dark text on light cells, light text on dark ones.
    threshold = values.max() / 2 if values.size and values.max() > 0 else math.inf
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            value = values[row, column]
            if matrix.index[row] == matrix.columns[column] == NO_ENTITY:
                continue
            ax.text(column, row, f"{value:g}", ha="center", va="center", color="white" if value > threshold else "black")
    figure.tight_layout()
    return _save(figure, save_to)
