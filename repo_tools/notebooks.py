"""What the tools know about the notebooks' structure, each fact defined once: the lessons in order, the
`parameters` cell (read as papermill reads it) and the Colab install cell.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
# The lessons in the order they hand their artifacts on (`make run`, the all-in-one notebook, the nbval copies).
LESSONS = ["01_load_data", "02_preprocess", "03_train", "04_evaluate", "05_inference"]
# Beyond the five steps: 06 reads the run folders of many runs; 07 and 08 take training and inference further
# (each runs after the lessons, on their artifacts).
GOING_FURTHER = ["07_going_further_training", "08_going_further_inference"]
ALL_NOTEBOOKS = LESSONS + ["06_compare_runs"] + GOING_FURTHER


def notebook_path(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    return notebook_dir / f"{name}.ipynb"


def declared(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, Any]:
    """The parameters notebooks/<name>.ipynb declares, as papermill reads its `parameters` cell
    (each {name, inferred_type_name, default, help}, the default as written)."""
    import papermill

    return papermill.inspect_notebook(str(notebook_path(name, notebook_dir)))


def own_parameters(name: str, parameters: dict[str, Any], notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, Any]:
    """The values of `parameters` that notebooks/<name>.ipynb declares (its cell is read once), as papermill gets them."""
    names = declared(name, notebook_dir)
    return {key: value for key, value in parameters.items() if key in names}


def declared_names(names: list[str], notebook_dir: Path = NOTEBOOK_DIR) -> set[str]:
    """The parameter names the given notebooks declare, together."""
    return {parameter for name in names for parameter in declared(name, notebook_dir)}


def parameter_defaults(name: str, notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, Any]:
    """The parameters of notebooks/<name>.ipynb with their default values (the cell holds literals only)."""
    return {parameter: ast.literal_eval(info["default"]) for parameter, info in declared(name, notebook_dir).items()}


def is_parameters_cell(cell: nbformat.NotebookNode) -> bool:
    return "parameters" in cell.metadata.get("tags", [])


def parameter_lines(notebook: nbformat.NotebookNode, path: Path) -> dict[str, str]:
    """Each parameter's line of the notebook's `parameters` cell, by the name papermill reads from it
    (one parameter per line; `path` is the notebook's file, which papermill reads)."""
    import papermill

    cell = next(cell for cell in notebook.cells if is_parameters_cell(cell))
    lines = [line for line in cell.source.splitlines() if line.strip()]
    names = list(papermill.inspect_notebook(str(path)))
    if len(names) != len(lines):
        raise ValueError(f"{path}: the parameters cell must hold one parameter per line, each with its comment.")
    return dict(zip(names, lines))


def is_install_cell(cell: nbformat.NotebookNode) -> bool:
    """The Colab install cell each notebook opens with (`make colab-links` writes its two generated lines)."""
    return cell.cell_type == "code" and '"google.colab" in sys.modules' in cell.source and "%pip install" in cell.source
