"""The mutation-testing configuration (`make mutation`, docs/mutation.md) loads and names real files."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mutmut_reads_the_configuration(monkeypatch):
    configuration = pytest.importorskip("mutmut.configuration", reason="pip install -r requirements.txt (mutmut)")
    monkeypatch.chdir(ROOT)
    configuration.reset_config()
    try:
        config = configuration.config()
    finally:
        configuration.reset_config()
    assert config.process_isolation == configuration.ProcessIsolation.FORKSERVER  # fork crashes with torch
    assert [str(p) for p in config.source_paths] == ["ner_helpers", "repo_tools"]
    logic = ["align", "metrics", "data", "conll", "inference", "highlight", "training", "hardware", "parameters"]
    assert config.only_mutate == [f"ner_helpers/{m}.py" for m in logic] + ["repo_tools/runner.py"]
    assert all((ROOT / path).is_file() for path in config.only_mutate)
    assert config.should_mutate("ner_helpers/metrics.py") and not config.should_mutate("ner_helpers/plots.py")
    # Fast tests only: no nbval, no notebook runs, no training marker.
    args = config.pytest_add_cli_args + config.pytest_add_cli_args_test_selection
    assert "no:nbval" in args and "not training" in args and "addopts=" in args
    assert "no:unraisableexception" in args
    assert "--ignore=tests/test_notebooks.py" in args
    # Each test file left out exists: a renamed one would otherwise run against every mutant again.
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


def test_make_mutation_runs_mutmut_with_mutants_first_on_the_path():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nmutation:")[1].split("\n\n")[0]
    command = recipe.replace("\\\n", " ").split("mutmut run")[0]
    assert "HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONPATH= " in command
    # Speed (docs/mutation.md): bytecode of the big mutated modules kept, no plugin lookup, no gc per session.
    assert "PYTHONDONTWRITEBYTECODE= " in command and "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1" in command
    assert "mutmut==" in (ROOT / "requirements.txt").read_text()
