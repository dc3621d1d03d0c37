"""Re-execute notebooks/ in the tiny CI configuration into tests/expected_notebooks/.

nbval re-runs those copies in `make test` and compares the outputs of cells tagged
`nbval-check-output`, so a change in what a learner sees fails CI. Run this after editing a
notebook (`make expected-notebooks`) and review the diff of the outputs before committing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from ner_helpers.exercises import RUN_SOLUTIONS_ENV
from repo_tools.notebooks import LESSONS, notebook_path, own_parameters
from repo_tools.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "tests" / "expected_notebooks"
PARAMS = ROOT / "tests" / "notebook_params_ci.yaml"
CI_RUN = ROOT / ".cache" / "ci-run"


def ci_parameters() -> dict:
    """The CI parameters with paths made relative to tests/expected_notebooks (nbval's working folder)."""
    parameters = yaml.safe_load(PARAMS.read_text())
    for key in ("data_dir", "model_checkpoint"):
        parameters[key] = os.path.relpath(ROOT / parameters[key], EXPECTED)
    parameters["artifacts_dir"] = os.path.relpath(CI_RUN / "artifacts", EXPECTED)
    parameters["plots_dir"] = os.path.relpath(CI_RUN / "plots", EXPECTED)
    return parameters


def main() -> None:
    # The tiny model is a test fixture (tests/tiny_model.py): built by its own script, as the tests build it.
    subprocess.run([sys.executable, str(ROOT / "tests" / "tiny_model.py"), str(ROOT / ".cache" / "tiny-model"),
                    "--data-dir", str(ROOT / "tests" / "data" / "sample_wnut17")], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(CI_RUN, ignore_errors=True)
    parameters = ci_parameters()
    os.environ[RUN_SOLUTIONS_ENV] = "1"  # the copies hold every solution's output, as `make test` runs them
    for name in sys.argv[1:] or LESSONS:
        run_notebook(str(notebook_path(name)), EXPECTED / f"{name}.ipynb", own_parameters(name, parameters), cwd=EXPECTED)
        print("wrote", EXPECTED / f"{name}.ipynb", file=sys.stderr)


if __name__ == "__main__":
    main()
