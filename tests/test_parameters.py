"""ner_helpers.parameters: one specification per notebook parameter, the checks it drives, and the notebooks' use of it."""
from __future__ import annotations

import ast
import math
from pathlib import Path

import nbformat
import papermill
import pytest

from ner_helpers.errors import ParameterError
from ner_helpers.parameters import (
    ALL_IN_ONE, LESSONS, NOTEBOOKS, check_notebook, check_parameters, defaults, names_set_in_cells, owners, parameters_cell,
    parameters_of, problem, read_parameter_file, type_members, unknown_names,
)

ROOT = Path(__file__).resolve().parent.parent


def spec(name: str, notebook: str | None = None):
    """The specification of a parameter, in `notebook` or in the first notebook that declares it."""
    return parameters_of(notebook or owners(name)[0])[name]


# Values a user can give by mistake (papermill -p, PARAMS files, sweep grids), written out by hand: each must be refused.
REFUSED = [
    ("num_train_epochs", 0), ("num_train_epochs", -1.0), ("num_train_epochs", "3"), ("num_train_epochs", float("nan")),
    ("num_train_epochs", math.inf), ("learning_rate", math.inf),
    ("learning_rate", -2e-5), ("learning_rate", 0.0), ("learning_rate", "2e-5"), ("learning_rate", True),
    ("max_eval_samples", 0), ("max_eval_samples", 2.5), ("max_eval_samples", "200"), ("max_train_samples", -3),
    ("train_sampling_strategy", "by_length"), ("train_sampling_strategy", None),
    ("max_length", 2), ("max_length", 0), ("max_length", 64.0),
    ("data_files", {"training": "train.txt"}), ("data_files", {"validation": "dev.txt"}),
    ("data_files", {"train": "train.txt", "dev": "dev.txt"}), ("data_files", "train.txt"), ("data_files", {"train": 3}),
    ("per_device_train_batch_size", 0), ("per_device_train_batch_size", 8.0), ("per_device_eval_batch_size", -1),
    ("batch_size", 0), ("examples_per_category", -1), ("weight_decay", -0.1), ("weight_decay", math.inf), ("warmup_steps", -1),
    ("warmup_steps", math.nan), ("cpu_bf16", "yes"), ("cpu_bf16", 1), ("label_all_tokens", "True"), ("final_fit", 1), ("seed", -1),
    ("seed", 2**32), ("seed", 4.2), ("text", None), ("text", 42), ("artifacts_dir", ""), ("artifacts_dir", None),
    ("model_checkpoint", None), ("model_checkpoint", ""), ("hub_model_id", ""), ("data_dir", 3), ("texts_file", "/no/such/texts.txt"),
    ("launch_demo", "yes"), ("run_dir", ""),
    ("report_to", "trackio"), ("report_to", "wandb"), ("report_to", None), ("report_to", ["tensorboard"]), ("launch_in_notebook", "yes"),
]
ACCEPTED = [
    ("num_train_epochs", 3), ("num_train_epochs", 0.5), ("num_train_epochs", None), ("learning_rate", 1e-4),
    ("max_eval_samples", 1), ("max_eval_samples", None), ("max_length", 3), ("train_sampling_strategy", "group_by_length"),
    ("data_files", {"train": "a.txt"}), ("data_files", {"train": Path("a.txt"), "validation": "b", "test": "c"}),
    ("cpu_bf16", "auto"), ("cpu_bf16", True), ("warmup_steps", 0), ("warmup_steps", 100), ("weight_decay", 0),
    ("examples_per_category", 0), ("text", ""), ("seed", 0), ("seed", 2**32 - 1), ("artifacts_dir", Path("artifacts")),
    ("plots_dir", None), ("report_to", "none"), ("report_to", "tensorboard"), ("launch_in_notebook", False),
]


@pytest.mark.parametrize(("name", "value"), REFUSED, ids=[f"{n}={v!r}" for n, v in REFUSED])
def test_an_impossible_value_is_refused_with_its_name_and_what_it_accepts(name, value):
    message = problem(spec(name), value)
    assert message is not None and name in message and spec(name).accepts in message


@pytest.mark.parametrize(("name", "value"), ACCEPTED, ids=[f"{n}={v!r}" for n, v in ACCEPTED])
def test_a_sensible_value_is_accepted(name, value):
    assert problem(spec(name), value) is None


def test_notebook_03_takes_none_as_its_model_checkpoint_where_02_does_not():
    assert problem(spec("model_checkpoint", "03_train"), None) is None
    assert problem(spec("model_checkpoint", "02_preprocess"), None) is not None


def test_check_parameters_names_every_refused_value_at_once():
    with pytest.raises(ParameterError) as error:
        check_parameters("03_train", num_train_epochs=0, learning_rate=-1.0, seed=42)
    assert error.value.parameters == ["num_train_epochs", "learning_rate"]
    first_line = str(error.value).splitlines()[0]  # a sweep's results.csv keeps only the first line
    assert "num_train_epochs=0" in first_line and "learning_rate=-1.0" in first_line


def test_a_misspelt_name_is_refused_with_the_nearest_known_name_and_where_it_came_from():
    with pytest.raises(ParameterError) as error:
        check_parameters("03_train", "p.yaml", learning_rat=1e-4)
    assert error.value.parameters == ["learning_rat"]
    assert "`learning_rate`" in str(error.value) and "p.yaml" in str(error.value)


def test_a_name_with_nothing_near_lists_the_notebooks_parameters():
    problems = unknown_names(["zzz"], ["04_evaluate"], "grid.yaml")
    assert set(problems) == {"zzz"}
    assert all(name in problems["zzz"] for name in parameters_of("04_evaluate")) and "grid.yaml" in problems["zzz"]


def test_another_notebooks_parameter_is_refused_naming_its_notebook():
    problems = unknown_names(["max_train_samples", "learning_rate"], ["03_train"], "-p")
    assert set(problems) == {"max_train_samples"} and "02_preprocess" in problems["max_train_samples"]


def test_every_name_is_checked_whatever_comes_before_it():
    names = ["learning_rate", "max_train_samples", "seed", "learning_rat", "num_train_epochs", "zzz"]
    assert set(unknown_names(names, ["03_train"], "p.yaml")) == {"max_train_samples", "learning_rat", "zzz"}


def test_an_unknown_notebook_is_named_with_the_notebooks_there_are():
    with pytest.raises(KeyError) as error:
        parameters_of("03_training")
    assert "03_training" in str(error.value) and all(name in str(error.value) for name in (*NOTEBOOKS, ALL_IN_ONE))


def test_a_parameter_file_that_is_missing_or_not_a_mapping_is_named(tmp_path):
    with pytest.raises(ParameterError) as error:
        read_parameter_file(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(error.value)
    (tmp_path / "list.yaml").write_text("- learning_rate: 1.0e-4\n")
    with pytest.raises(ParameterError) as error:
        read_parameter_file(tmp_path / "list.yaml")
    assert str(tmp_path / "list.yaml") in str(error.value) and "list" in str(error.value)
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert read_parameter_file(tmp_path / "empty.yaml") == {}


@pytest.mark.parametrize("offline", ["1", "ON", "on", "yes", "YES", "true", "True"])
def test_push_to_hub_offline_is_refused_before_training(monkeypatch, offline):
    monkeypatch.setenv("HF_HUB_OFFLINE", offline)  # huggingface_hub reads these values as offline
    with pytest.raises(ParameterError) as error:
        check_parameters("03_train", push_to_hub=True)
    assert error.value.parameters == ["push_to_hub"] and "HF_HUB_OFFLINE" in str(error.value)
    check_parameters("03_train", push_to_hub=False)


@pytest.mark.parametrize("online", ["0", "", "false", "no", None])
def test_push_to_hub_online_is_accepted(monkeypatch, online):
    if online is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", online)
    check_parameters("03_train", push_to_hub=True)


def test_launch_in_notebook_is_refused_on_a_machine_without_several_gpus(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ParameterError) as error:
        check_parameters("07_going_further_training", launch_in_notebook=True)
    assert error.value.parameters == ["launch_in_notebook"]
    check_parameters("07_going_further_training", launch_in_notebook=False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    check_parameters("07_going_further_training", launch_in_notebook=True)


def test_texts_file_must_exist_and_may_start_with_the_home_folder(tmp_path, monkeypatch):
    texts = tmp_path / "texts.txt"
    assert problem(spec("texts_file"), str(texts)) is not None
    texts.write_text("one text\n")
    assert problem(spec("texts_file"), str(texts)) is None and problem(spec("texts_file"), texts) is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert problem(spec("texts_file"), "~/texts.txt") is None


def test_type_members_reads_optional_and_union():
    assert type_members("Optional[int]") == ["int", "None"]
    assert type_members("Union[bool, str]") == ["bool", "str"]
    assert type_members("float") == ["float"]


def test_the_all_in_one_notebook_has_every_lessons_parameter_once_the_first_lesson_winning():
    merged = parameters_of(ALL_IN_ONE)
    assert set(merged) == {name for lesson in LESSONS for name in parameters_of(lesson)}
    assert merged["model_checkpoint"] is spec("model_checkpoint", "02_preprocess")


# --- check_notebook: what the notebook's first cell after its parameters does


def namespace(cells: list[str], notebook: str = "03_train", **changes) -> dict:
    return {**defaults(notebook), **changes, "In": ["", *cells], "sys": object()}


def test_check_notebook_passes_the_defaults_and_ignores_cells_that_are_not_parameters(capsys):
    from importlib.metadata import version

    check_notebook("03_train", namespace([parameters_cell("03_train"), "x = 5", "import os\nos.getcwd()"]))
    printed = capsys.readouterr().out  # the releases the notebook runs with, to compare with requirements.txt
    assert f"torch {version('torch')}" in printed and f"ner_helpers {version('ner_helpers')}" in printed


def test_check_notebook_refuses_a_name_papermill_injected_that_the_notebook_does_not_have():
    injected = "# Parameters\nlearning_rat = 0.0001\n"
    with pytest.raises(ParameterError) as error:
        check_notebook("03_train", namespace([parameters_cell("03_train"), injected], learning_rat=0.0001))
    assert error.value.parameters == ["learning_rat"] and "`learning_rate`" in str(error.value)
    assert "papermill's -p" in str(error.value)


def test_check_notebook_refuses_a_typo_added_to_the_parameters_cell_by_hand():
    edited = parameters_cell("02_preprocess") + "\nmax_train_sample = 300"
    with pytest.raises(ParameterError) as error:
        check_notebook("02_preprocess", namespace([edited], "02_preprocess", max_train_sample=300))
    assert error.value.parameters == ["max_train_sample"] and "`max_train_samples`" in str(error.value)


def test_check_notebook_checks_the_values_in_the_kernel():
    with pytest.raises(ParameterError) as error:
        check_notebook("03_train", namespace([parameters_cell("03_train")], num_train_epochs=0))
    assert error.value.parameters == ["num_train_epochs"] and "the parameters cell" in str(error.value)


def test_check_notebook_prints_the_releases_of_its_own_notebook_or_of_all_five(capsys):
    from importlib.metadata import version

    check_notebook("02_preprocess", namespace([parameters_cell("02_preprocess")], "02_preprocess"))
    printed = capsys.readouterr().out
    assert f"tokenizers {version('tokenizers')}" in printed and "matplotlib" not in printed  # 04's, not 02's
    check_notebook(ALL_IN_ONE, namespace([parameters_cell(ALL_IN_ONE)], ALL_IN_ONE))
    printed = capsys.readouterr().out
    assert all(f"{package} {version(package)}" in printed for package in ("tokenizers", "matplotlib", "accelerate"))


def test_check_notebook_names_a_parameter_deleted_from_the_cell():
    values = namespace([])
    del values["report_to"]
    with pytest.raises(ParameterError) as error:
        check_notebook("03_train", values)
    assert error.value.parameters == ["report_to"] and "report_to" in str(error.value) and "03_train" in str(error.value)


def test_a_name_papermill_injected_is_found_when_no_parameters_cell_ran_before_it():
    assert names_set_in_cells(["# Parameters\nlearning_rat = 1\n"], "03_train") == {"learning_rat": "papermill's -p"}


def test_only_literal_assignment_cells_count_as_parameters_cells():
    cells = ["seed = 3\nc = 'x'", "# Parameters\na = 1\n", "b = len('x')", "d = 4"]
    assert names_set_in_cells(cells, "03_train") == {"seed": "the parameters cell", "c": "the parameters cell", "a": "papermill's -p"}


def test_a_typo_fixed_and_the_parameters_cell_run_again_is_no_longer_refused():
    typo, fixed = parameters_cell("03_train") + "\nlearning_rat = 1e-4", parameters_cell("03_train")
    assert "learning_rat" in names_set_in_cells([typo], "03_train")
    assert "learning_rat" not in names_set_in_cells([typo, "check_notebook('03_train', globals())", fixed], "03_train")
    check_notebook("03_train", namespace([typo, fixed], learning_rat=1e-4))  # the old variable lingers in the kernel


# --- the notebooks follow the specification


def notebook_cells(name: str) -> list[nbformat.NotebookNode]:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells


def the_parameters_cell(name: str) -> nbformat.NotebookNode:
    return next(cell for cell in notebook_cells(name) if "parameters" in cell.metadata.get("tags", []))


@pytest.mark.parametrize("name", [*NOTEBOOKS, ALL_IN_ONE])
def test_each_parameters_cell_is_the_specification_as_papermill_reads_it(name):
    assert the_parameters_cell(name).source == parameters_cell(name), "run `make regenerate`"
    declared = papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
    assert {n: (p["inferred_type_name"], p["help"]) for n, p in declared.items()} == {
        n: (p.type, p.help) for n, p in parameters_of(name).items()
    }  # an annotation papermill cannot parse would drop the parameter silently


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_default_passes_its_own_check(name):
    check_parameters(name, **defaults(name))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_cell_after_the_parameters_checks_them_first(name):
    cells = notebook_cells(name)
    index = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    tree = ast.parse(cells[index + 1].source)
    first = next(node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom)))
    assert ast.unparse(first) == f"check_notebook('{name}', globals())"  # nothing is read or written before it


def test_the_parameters_page_is_generated_from_the_specification():
    from repo_tools import parameters_doc

    assert parameters_doc.PAGE.read_text() == parameters_doc.render(), "run `make regenerate`"


def test_readmes_parameter_table_names_real_parameters_and_makefile_variables():
    import re

    section = (ROOT / "README.md").read_text().split("## Running with other parameters", 1)[1].split("\n## ", 1)[0]
    makefile = set(re.findall(r"^([A-Z][A-Z0-9_]*) \?=", (ROOT / "Makefile").read_text(), re.M))
    rows = [line.split(" | ")[:2] for line in section.splitlines() if line.startswith("| `")]
    assert rows
    for variables, parameters in rows:
        assert set(re.findall(r"`([A-Z_]+)", variables)) <= makefile, variables
        named = set(re.findall(r"`([a-z_]+)`", parameters))
        assert named <= {p.name for p in parameters_of(ALL_IN_ONE).values()}, parameters
