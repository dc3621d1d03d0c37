"""Every parameter of notebooks 01-05, 07 and 08, as papermill reads it, is run with a value other than its default by some
notebook execution of the suite: the runs of tests/notebook_runs.yaml and the nbval chain (tests/notebook_params_ci.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from repo_tools.notebooks import GOING_FURTHER, LESSONS, parameter_defaults
from repo_tools.runner import argument_parser, notebook_parameters

ROOT = Path(__file__).resolve().parent.parent


def declared() -> dict[str, dict[str, Any]]:
    """Each notebook's parameters -> their defaults, as papermill infers them from the parameters cell."""
    return {name: parameter_defaults(name) for name in LESSONS + GOING_FURTHER}


def executions() -> list[tuple[str, list[str], dict[str, Any]]]:
    """(what, notebooks, parameters) of every notebook execution in the suite that sets parameters."""
    runs = yaml.safe_load((ROOT / "tests" / "notebook_runs.yaml").read_text())
    # `make run`'s runner (used by the runs without expect_error) sets these itself in every run.
    by_runner = notebook_parameters(argument_parser().parse_args(["--run-dir", "run"]), Path("run/artifacts"))
    found = [("nbval chain", LESSONS, yaml.safe_load((ROOT / "tests" / "notebook_params_ci.yaml").read_text()))]
    for name, spec in runs.items():
        base = spec["parameters"] if spec.get("expect_error") else {**by_runner, **spec["parameters"]}
        found.append((name, spec["notebooks"], base))
        found += [(f"{name}, then", step["notebooks"], {**base, **step["parameters"]}) for step in spec.get("then", [])]
    return found


def uncovered(parameters: dict[str, dict[str, Any]], runs: list[tuple[str, list[str], dict[str, Any]]]) -> list[str]:
    """`notebook: parameter` for each parameter no execution of its notebook sets to a value other than its default."""
    missing = []
    for notebook, defaults in parameters.items():
        for name, default in defaults.items():
            if not any(notebook in notebooks and name in values and values[name] != default for _, notebooks, values in runs):
                missing.append(f"{notebook}: {name}")
    return missing


def test_every_notebook_parameter_runs_with_a_value_other_than_its_default():
    missing = uncovered(declared(), executions())
    assert not missing, "add a run to tests/notebook_runs.yaml that sets: " + ", ".join(missing)


def test_a_new_parameter_without_a_run_is_reported():
    parameters = declared()
    parameters["03_train"]["label_smoothing_factor"] = 0.0
    assert uncovered(parameters, executions()) == ["03_train: label_smoothing_factor"]


def test_a_run_of_another_notebook_does_not_cover_a_parameter():
    parameters = {"04_evaluate": {"per_device_eval_batch_size": 32}}
    assert uncovered(parameters, [("x", ["03_train"], {"per_device_eval_batch_size": 1})]) == ["04_evaluate: per_device_eval_batch_size"]
    assert uncovered(parameters, [("x", ["04_evaluate"], {"per_device_eval_batch_size": 32})]) == ["04_evaluate: per_device_eval_batch_size"]
    assert uncovered(parameters, [("x", ["04_evaluate"], {"per_device_eval_batch_size": 1})]) == []


@pytest.mark.parametrize("name", sorted(yaml.safe_load((ROOT / "tests" / "notebook_runs.yaml").read_text())))
def test_each_run_sets_only_parameters_its_notebooks_declare(name):
    spec = yaml.safe_load((ROOT / "tests" / "notebook_runs.yaml").read_text())[name]
    known = {p for notebook in spec["notebooks"] for p in declared()[notebook]}
    for values in [spec["parameters"]] + [step["parameters"] for step in spec.get("then", [])]:
        assert set(values) <= known, set(values) - known
