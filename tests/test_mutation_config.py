"""The mutation-testing configuration (`make mutation`, docs/mutation.md): what it mutates can be killed by the
tests it runs, those tests leave notebooks and training out, and `make mutation` starts mutmut offline with the
mutants first on the path."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import run_make_with_a_stand_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def config(monkeypatch):
    """mutmut's configuration as mutmut reads it from pyproject.toml."""
    configuration = pytest.importorskip("mutmut.configuration", reason="pip install -r requirements.txt (mutmut)")
    monkeypatch.chdir(ROOT)
    configuration.reset_config()
    try:
        yield configuration.config()
    finally:
        configuration.reset_config()


def selected_test_files(config) -> list[Path]:
    """The test files mutmut runs against each mutant: tests/ less the ones left out."""
    args = config.pytest_add_cli_args + config.pytest_add_cli_args_test_selection
    ignored = {ROOT / arg.split("=", 1)[1] for arg in args if arg.startswith("--ignore=")}
    return [path for path in sorted((ROOT / "tests").glob("test_*.py")) if path not in ignored]


def test_mutmut_reads_the_configuration(config):
    configuration = sys.modules["mutmut.configuration"]
    assert config.process_isolation == configuration.ProcessIsolation.FORKSERVER  # fork crashes with torch
    assert config.only_mutate and all((ROOT / path).is_file() for path in config.only_mutate)
    assert all(config.should_mutate(path) for path in config.only_mutate)
    outside = [f"ner_helpers/{p.name}" for p in (ROOT / "ner_helpers").glob("*.py") if f"ner_helpers/{p.name}" not in config.only_mutate]
    assert outside and not any(config.should_mutate(path) for path in outside)
    # Each test file left out exists: a renamed one would otherwise run against every mutant again.
    args = config.pytest_add_cli_args + config.pytest_add_cli_args_test_selection
    assert all((ROOT / arg.split("=", 1)[1]).is_file() for arg in args if arg.startswith("--ignore="))
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11 or later reads pyproject.toml")

    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["also_copy"]
    assert configured and all((ROOT / path).exists() for path in configured)
    # The fork server imports the heavy libraries once; never the project's modules (the mutants must be imported).
    assert config.forkserver_warmup == configuration.ForkServerWarmup.IMPORT
    preload = [line.strip() for line in (ROOT / config.preload_modules_file).read_text().splitlines()]
    modules = [line for line in preload if line and not line.startswith("#")]
    assert {"torch", "transformers", "datasets"} <= set(modules)
    assert not [m for m in modules if m.split(".")[0] in ("ner_helpers", "repo_tools")]


def test_every_mutated_module_is_imported_by_a_test_that_mutmut_runs(config):
    """A module no selected test imports would have every mutant survive: nothing could kill them."""
    sources = [path.read_text() for path in selected_test_files(config)]
    for path in config.only_mutate:
        package, module = Path(path).with_suffix("").parts
        imported = re.compile(rf"\b{package}\.{module}\b|from {package} import [^\n]*\b{module}\b")
        assert any(imported.search(source) for source in sources), f"no test that mutmut runs imports {path}"


def training_tests(path: Path) -> set[str]:
    """The names of the test functions in `path` marked `training`."""
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any("mark.training" in ast.unparse(d) for d in node.decorator_list)}


def test_the_tests_run_against_each_mutant_leave_out_notebook_copies_and_training(config):
    marked = training_tests(ROOT / "tests" / "test_training.py")
    assert marked  # else this test would check nothing
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *config.pytest_add_cli_args,
         "tests/test_training.py", "tests/expected_notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert collected, result.stdout + result.stderr
    assert not [item for item in collected if ".ipynb" in item]  # nbval off: no notebook copy runs
    assert not [item for item in collected if item.split("::")[1].split("[")[0] in marked]


def test_make_mutation_runs_mutmut_offline_with_mutants_first_on_the_path(tmp_path):
    """`make mutation` with a stand-in mutmut that records the environment it was started with."""
    run_make_with_a_stand_in(tmp_path, "mutation", "mutmut", f'#!/bin/sh\nenv > "{tmp_path}/env-$1"\n',
                             drop=("HF_", "PYTHON", "PYTEST"))
    started = dict(line.split("=", 1) for line in (tmp_path / "env-run").read_text().splitlines() if "=" in line)
    assert started["HF_HUB_OFFLINE"] == "1" and started["HF_DATASETS_OFFLINE"] == "1"  # before any import reads them
    assert started["PYTHONPATH"] == ""  # mutants/ first: Python puts the working folder first when this is empty
    # Speed (docs/mutation.md): bytecode of the big mutated modules kept, no plugin lookup.
    assert started["PYTHONDONTWRITEBYTECODE"] == "" and started["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert (tmp_path / "env-results").is_file()  # the results are listed after the run
    assert "mutmut==" in (ROOT / "requirements.txt").read_text()
