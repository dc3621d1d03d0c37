"""Read many runs into one table and plot validation F1 against the parameters that vary.

Taught in notebook 06_compare_runs. A run folder is either a sweep (`make sweep`: a `results.csv`
with one row per configuration) or a folder of `make run` runs (each with its `metrics.json`, the
validation scores in `artifacts/log_history.json`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

# The columns of a sweep's results.csv after the parameters (`make sweep` writes them).
RESULT_COLUMNS = ["validation_f1", "test_f1", "train_seconds", "status", "error", "folder"]
# Parameters that name places, not choices: they differ between runs without being compared.
NOT_COMPARED = {"artifacts_dir", "plots_dir", "hub_model_id"}


def best_validation_f1(log_history: Sequence[dict[str, Any]]) -> float | None:
    """The best epoch's validation entity F1 in a Trainer log history (any entries with an `eval_f1`); None without one."""
    return max((entry["eval_f1"] for entry in log_history if "eval_f1" in entry), default=None)


def load_runs(run_dir: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """One row per run or configuration and the names of the parameters that vary between them.

    Raises FileNotFoundError naming what was looked for when the folder holds neither kind of run.
    """
    import pandas as pd

    run_dir = Path(run_dir)
    results = run_dir / "results.csv"
    if results.exists():
        table = pd.read_csv(results, keep_default_na=False, na_values=[""])
        table["error"] = table["error"].fillna("")
        parameters = [c for c in table.columns if c not in RESULT_COLUMNS]
        return table, parameters
    reports = sorted(run_dir.glob("metrics.json")) or sorted(run_dir.glob("*/metrics.json"))
    if not reports:
        raise FileNotFoundError(
            f"{run_dir} holds neither a results.csv (written by `make sweep`) nor runs with a metrics.json "
            "(written by `make run`): set run_dir to such a folder."
        )
    rows = [_row_of_run(report) for report in reports]
    table = pd.DataFrame(rows)
    candidates = [c for c in table.columns if c not in RESULT_COLUMNS]
    varying = [c for c in candidates if table[c].astype(str).nunique() > 1]
    return table[varying + RESULT_COLUMNS], varying


def _row_of_run(report_path: Path) -> dict[str, Any]:
    """The parameters and scores of one `make run` run folder."""
    report = json.loads(report_path.read_text())
    parameters = {k: v for k, v in report.get("parameters", {}).items() if k not in NOT_COMPARED}
    history_path = Path(report.get("parameters", {}).get("artifacts_dir", report_path.parent / "artifacts")) / "log_history.json"
    if not history_path.exists():
        history_path = report_path.parent / "artifacts" / "log_history.json"
    history = json.loads(history_path.read_text()) if history_path.exists() else []
    best = best_validation_f1(history)
    finished = "test" in report and best is not None
    return {
        **{k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k, v in parameters.items()},
        "validation_f1": best,
        "test_f1": report.get("test", {}).get("f1"),
        "train_seconds": report.get("seconds", {}).get("03_train"),
        "status": "ok" if finished else "failed",
        "error": "" if finished else "no validation scores or test metrics in this run",
        "folder": report_path.parent.name or str(report_path.parent),
    }


def plot_validation_f1(table: pd.DataFrame, parameters: list[str], save_to: str | Path | None = None) -> Figure:
    """Validation F1 against each parameter (one panel each), a line for each value of the other parameters."""
    import matplotlib.pyplot as plt

    finished = table[table["status"] == "ok"]
    figure, axes = plt.subplots(1, max(1, len(parameters)), figsize=(4.5 * max(1, len(parameters)), 3.6), squeeze=False)
    for ax, parameter in zip(axes[0], parameters):
        values = sorted(finished[parameter].unique(), key=_sort_key)
        position = {value: i for i, value in enumerate(values)}
        others = [p for p in parameters if p != parameter]
        groups = finished.groupby(others) if others else [((), finished)]
        for key, group in groups:
            group = group.sort_values(parameter, key=lambda column: column.map(_sort_key))
            label = ", ".join(f"{p}={v}" for p, v in zip(others, key if isinstance(key, tuple) else (key,)))
            ax.plot([position[v] for v in group[parameter]], group["validation_f1"], marker="o", label=label or None)
        ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_xlabel(parameter)
        ax.set_ylabel("validation entity F1 (best epoch)")
        ax.grid(alpha=0.3)
        if others:
            ax.legend(fontsize="small")
    figure.tight_layout()
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(save_to, format="png", dpi=120, bbox_inches="tight")
    return figure


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers in numeric order before text, so 5e-05 comes before 0.0001."""
    try:
        return (0, float(value))
    except (TypeError, ValueError):
        return (1, str(value))
