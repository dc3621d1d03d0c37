"""Run the notebooks over a grid of parameters into one run folder: `make sweep` calls this.

The grid file (YAML) has two keys: `fixed`, parameters every configuration gets, and `grid`, lists of
values whose every combination is one configuration. Notebooks 01 and 02 (loading and tokenizing) run
once per distinct value of the parameters they declare and are shared; 03-05 run per configuration into
`configs/<name>/`. `results.csv` gets a row as each configuration finishes. Running the same command
again skips the configurations that finished and retries the ones that failed.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ner_helpers.compare import RESULT_COLUMNS, best_validation_f1
from ner_helpers.parameters import unknown_names
from repo_tools.notebooks import LESSONS, declared_names
from repo_tools.runner import execute, preflight, resolve_paths, write_report

SHARED_NOTEBOOKS = LESSONS[:2]  # 01 loads, 02 tokenizes: they depend only on data and model parameters
CONFIG_NOTEBOOKS = LESSONS[2:]  # 03 trains, 04 evaluates, 05 runs inference: per configuration
SHARED_ARTIFACTS = ["dataset", "tokenized", "preprocess.json"]  # what 03 reads from 01 and 02


class GridError(ValueError):
    """A grid file the sweep cannot use; the message says what to fix."""


def load_grid(path: str | Path) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The `fixed` parameters and the `grid` lists of a grid file, checked."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise GridError(f"grid file {path} not found: pass GRID=params/<file>.yaml (see params/sweep-offline-lr-batch.yaml)")
    content = yaml.safe_load(path.read_text()) or {}
    unknown = set(content) - {"fixed", "grid"} if isinstance(content, dict) else {"(not a mapping)"}
    if unknown:
        raise GridError(f"{path}: only the keys 'fixed' and 'grid' are allowed, found {sorted(unknown)}")
    fixed, grid = content.get("fixed") or {}, content.get("grid") or {}
    if not grid:
        raise GridError(f"{path}: 'grid' is empty; give at least one parameter with a list of values")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise GridError(f"{path}: grid parameter '{name}' needs a non-empty list of values, e.g. {name}: [1, 2]")
    overlap = set(fixed) & set(grid)
    if overlap:
        raise GridError(f"{path}: {sorted(overlap)} appear in both 'fixed' and 'grid'; keep each in one place")
    typos = unknown_names([*fixed, *grid], LESSONS, str(path))
    if typos:
        raise GridError(" ".join(typos.values()))
    return fixed, grid


def configurations(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in the order the file lists them."""
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def config_name(values: dict[str, Any]) -> str:
    """A folder name that says the configuration's values, e.g. `learning_rate=0.0001,per_device_train_batch_size=8`."""
    name = ",".join(f"{key}={value}" for key, value in values.items())
    return re.sub(r"[^A-Za-z0-9._=,+-]", "-", name)


def shared_key(parameters: dict[str, Any], shared_names: set[str]) -> str:
    """A short name for the values that notebooks 01 and 02 depend on: equal values share one folder."""
    own = {k: v for k, v in sorted(parameters.items()) if k in shared_names and k != "artifacts_dir"}
    return hashlib.sha1(json.dumps(own, sort_keys=True, default=str).encode()).hexdigest()[:10]


def first_line(error: BaseException) -> str:
    """The first line of an error, with the exception type; papermill's errors name the cell's exception."""
    ename, evalue = getattr(error, "ename", None), getattr(error, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(error).__name__}: {error}"
    return (text.strip().splitlines() or [type(error).__name__])[0]


def read_results(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_results(path: Path, rows: list[dict[str, Any]], grid_names: list[str]) -> None:
    """Rewrite results.csv (through a temporary file, so an interrupted write leaves the old one)."""
    columns = list(grid_names)
    for row in rows:  # rows from an earlier grid of the same folder keep their own parameters
        columns += [key for key in row if key not in columns and key not in RESULT_COLUMNS]
    columns += RESULT_COLUMNS
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)


def run_shared(folder: Path, parameters: dict[str, Any]) -> None:
    """Run 01 and 02 into folder, once: a `done` marker is written only when both finished."""
    if (folder / "done").exists():
        print(f"== shared steps already done: {folder}", flush=True)
        return
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "artifacts").mkdir(parents=True)
    shared = {**parameters, "artifacts_dir": str(folder / "artifacts")}
    timings = {name: execute(name, folder, shared, solutions=False) for name in SHARED_NOTEBOOKS}
    (folder / "done").write_text(json.dumps({"seconds": timings}, indent=2))


def validation_f1(artifacts_dir: Path) -> float | None:
    """The best epoch's validation entity F1 in the log history notebook 03 saved."""
    return best_validation_f1(json.loads((artifacts_dir / "log_history.json").read_text()))


def run_configuration(folder: Path, shared_folder: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run 03-05 into folder on the shared artifacts; the result columns of its row."""
    shutil.rmtree(folder, ignore_errors=True)  # a retried configuration starts clean
    artifacts = folder / "artifacts"
    artifacts.mkdir(parents=True)
    for name in SHARED_ARTIFACTS:  # links, not copies: the tokenized data set is shared, not duplicated
        # relative, so a moved or copied run folder keeps working
        (artifacts / name).symlink_to(os.path.relpath(shared_folder / "artifacts" / name, artifacts))
    own = {**parameters, "artifacts_dir": str(artifacts), "plots_dir": str(folder / "plots")}
    # Without the exercise solutions: 03's train two more models each, which no configuration needs.
    timings = {name: execute(name, folder, own, solutions=False) for name in CONFIG_NOTEBOOKS}
    report = write_report(folder, own, timings)
    report["validation_f1"] = validation_f1(artifacts)
    (folder / "metrics.json").write_text(json.dumps(report, indent=2))
    return {
        "validation_f1": report["validation_f1"],
        "test_f1": report.get("test", {}).get("f1"),
        "train_seconds": timings["03_train"],
    }


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def sweep(grid_file: str | Path, run_dir: str | Path, data_dir: str | None = None) -> int:
    """Run every configuration of the grid into run_dir; 0 when all finished, 1 when any failed."""
    fixed, grid = load_grid(grid_file)
    if data_dir is not None:
        fixed = {**fixed, "data_dir": data_dir}
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(grid_file, run_dir / "grid.yaml")  # the folder says what it holds
    results_path = run_dir / "results.csv"
    shared_names = declared_names(SHARED_NOTEBOOKS)

    configs = configurations(grid)
    names = [config_name(values) for values in configs]
    for values in configs:
        parameters = resolve_paths({**fixed, **values})
        message = preflight(parameters.get("data_dir"), parameters.get("model_checkpoint"))
        if message:
            print(message, file=sys.stderr)
            return 2

    previous = {row["folder"]: row for row in read_results(results_path)}
    finished = {
        folder for folder, row in previous.items()
        if row.get("status") == "ok" and (run_dir / folder / "metrics.json").exists()
    }
    # Rows of this grid in grid order, then rows an earlier grid left in this folder.
    rows: dict[str, dict[str, Any]] = {}
    others = [row for folder, row in previous.items() if folder not in {f"configs/{n}" for n in names}]
    to_run = [f"configs/{name}" for name in names if f"configs/{name}" not in finished]
    print(f"{len(configs)} configurations, {len(configs) - len(to_run)} already finished, {len(to_run)} to run", flush=True)

    shared_errors: dict[str, str] = {}  # a failed 01/02 fails every configuration that shares it, once
    spent: list[float] = []
    for index, (values, name) in enumerate(zip(configs, names), start=1):
        folder = f"configs/{name}"
        if folder in finished:
            rows[folder] = previous[folder]
            print(f"-- configuration {index} of {len(configs)}: {name}: finished earlier, skipped", flush=True)
            continue
        remaining = len(to_run) - len(spent)
        estimate = (
            f"about {duration(remaining * sum(spent) / len(spent))} left for {remaining} configuration(s)"
            if spent else "time left known after the first configuration"
        )
        print(f"-- configuration {index} of {len(configs)}: {name} ({estimate})", flush=True)
        parameters = resolve_paths({**fixed, **values})
        key = shared_key(parameters, shared_names)
        shared_folder = run_dir / "shared" / key
        row: dict[str, Any] = {**values, "status": "ok", "error": "", "folder": folder}
        start = time.perf_counter()
        try:
            if key in shared_errors:
                raise RuntimeError(shared_errors[key])
            try:
                run_shared(shared_folder, parameters)
            except Exception as error:  # noqa: BLE001 - recorded in results.csv, the sweep goes on
                shared_errors[key] = f"shared step (01/02) failed: {first_line(error)}"
                raise RuntimeError(shared_errors[key]) from error
            row.update(run_configuration(run_dir / folder, shared_folder, parameters))
        except Exception as error:  # noqa: BLE001 - recorded in results.csv, the sweep goes on
            row.update(status="failed", error=first_line(error))
            print(f"   failed: {row['error']}", flush=True)
        spent.append(time.perf_counter() - start)
        rows[folder] = row
        write_results(results_path, list(rows.values()) + others, list(grid))

    write_results(results_path, list(rows.values()) + others, list(grid))
    failed = [folder for folder, row in rows.items() if row["status"] != "ok"]
    print(f"results: {results_path}", flush=True)
    if failed:
        print(f"{len(failed)} of {len(configs)} configurations failed (see the error column of results.csv; "
              f"run the same command again to retry them): " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", required=True, help="YAML file with 'fixed' and 'grid' (see params/)")
    parser.add_argument("--run-dir", required=True, help="the sweep's folder; the same folder resumes a sweep")
    parser.add_argument("--data-dir", help="folder with the WNUT 17 CoNLL files (default: the grid's data_dir, else the Hub)")
    args = parser.parse_args(argv)
    try:
        return sweep(args.grid, args.run_dir, args.data_dir)
    except GridError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
