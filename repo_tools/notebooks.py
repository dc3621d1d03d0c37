"""What the tools know about the notebooks' structure, each fact defined once: the lessons in order, the
`parameters` cell (read as papermill reads it) and the Colab install cell.
"""
from __future__ import annotations

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


def own_parameters(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The values of `parameters` that notebook <name> declares (ner_helpers.parameters.SPEC), as papermill gets them."""
    from ner_helpers.parameters import parameters_of

    names = parameters_of(name)
    return {key: value for key, value in parameters.items() if key in names}


def declared_names(names: list[str]) -> set[str]:
    """The parameter names the given notebooks declare, together."""
    from ner_helpers.parameters import parameters_of

    return {parameter for name in names for parameter in parameters_of(name)}


def parameter_defaults(name: str) -> dict[str, Any]:
    """The parameters of notebook <name> with their default values."""
    from ner_helpers.parameters import defaults

    return defaults(name)


def is_parameters_cell(cell: nbformat.NotebookNode) -> bool:
    return "parameters" in cell.metadata.get("tags", [])


def write_parameters_cells(names: list[str], notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Rewrite each notebook's `parameters` cell from ner_helpers.parameters.SPEC; the names of those that changed."""
    from ner_helpers.parameters import parameters_cell

    changed = []
    for name in names:
        path = notebook_path(name, notebook_dir)
        notebook = nbformat.read(path, as_version=4)
        cell = next(cell for cell in notebook.cells if is_parameters_cell(cell))
        if cell.source != parameters_cell(name):
            cell.source = parameters_cell(name)
            path.write_text(nbformat.writes(notebook) + "\n")
            changed.append(name)
    return changed


def python_source(source: str) -> str:
    """A code cell's source as plain Python: IPython magics and shell lines (`%pip`, `!ls`) become `pass`, kept at
    their indentation, so that `ast.parse` reads the rest."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )


def is_install_cell(cell: nbformat.NotebookNode) -> bool:
    """The Colab install cell each notebook opens with (`make colab-links` writes it: a Colab form, its code run only on Colab)."""
    return cell.cell_type == "code" and '"google.colab" in sys.modules' in cell.source and "%pip install" in cell.source
