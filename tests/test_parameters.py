"""ner_helpers.parameters: each notebook parameter's type and accepted values, and the notebooks' use of them."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from ner_helpers.errors import ParameterError
from ner_helpers.parameters import RULES, check_parameters, problem, rule_for, type_members
from repo_tools.notebooks import LESSONS

# The notebooks whose parameters cell is checked: the lessons and the going-further notebook on training.
NOTEBOOKS = LESSONS + ["07_going_further_training"]

ROOT = Path(__file__).resolve().parent.parent

# Values a user can give by mistake (papermill -p, PARAMS files, sweep grids), written out by hand: each must be refused.
REFUSED = [
    ("num_train_epochs", 0), ("num_train_epochs", -1.0), ("num_train_epochs", "3"), ("num_train_epochs", float("nan")),
    ("learning_rate", -2e-5), ("learning_rate", 0.0), ("learning_rate", "2e-5"), ("learning_rate", True),
    ("max_eval_samples", 0), ("max_eval_samples", 2.5), ("max_eval_samples", "200"), ("max_train_samples", -3),
    ("train_sampling_strategy", "by_length"), ("train_sampling_strategy", None),
    ("max_length", 2), ("max_length", 0), ("max_length", 64.0),
    ("data_files", {"training": "train.txt"}), ("data_files", {"validation": "dev.txt"}),
    ("data_files", {"train": "train.txt", "dev": "dev.txt"}), ("data_files", "train.txt"), ("data_files", {"train": 3}),
    ("per_device_train_batch_size", 0), ("per_device_train_batch_size", 8.0), ("per_device_eval_batch_size", -1),
    ("batch_size", 0), ("examples_per_category", -1), ("weight_decay", -0.1), ("warmup_steps", -1),
    ("cpu_bf16", "yes"), ("cpu_bf16", 1), ("label_all_tokens", "True"), ("final_fit", 1), ("seed", -1),
    ("seed", 2**32), ("seed", 4.2), ("text", None), ("text", 42), ("artifacts_dir", ""), ("artifacts_dir", None),
    ("model_checkpoint", None), ("hub_model_id", ""), ("data_dir", 3), ("texts_file", "/no/such/texts.txt"),
    ("launch_demo", "yes"),
    ("report_to", "trackio"), ("report_to", "wandb"), ("report_to", None), ("report_to", ["tensorboard"]), ("launch_in_notebook", "yes"),
]
ACCEPTED = [
    ("num_train_epochs", 3), ("num_train_epochs", 0.5), ("num_train_epochs", None), ("learning_rate", 1e-4),
    ("max_eval_samples", 1), ("max_eval_samples", None), ("max_length", 3), ("train_sampling_strategy", "group_by_length"),
    ("data_files", {"train": "a.txt"}), ("data_files", {"train": Path("a.txt"), "validation": "b", "test": "c"}),
    ("cpu_bf16", "auto"), ("cpu_bf16", True), ("warmup_steps", 0), ("warmup_steps", 100), ("weight_decay", 0),
    ("examples_per_category", 0), ("text", ""), ("seed", 0), ("artifacts_dir", Path("artifacts")), ("plots_dir", None),
    ("report_to", "none"), ("report_to", "tensorboard"), ("launch_in_notebook", False),
]


@pytest.mark.parametrize(("name", "value"), REFUSED, ids=[f"{n}={v!r}" for n, v in REFUSED])
def test_an_impossible_value_is_refused_with_its_name_and_what_it_accepts(name, value):
    message = problem(name, value)
    assert message is not None and message.startswith(f"{name}={value!r} is not accepted: {name} takes ")
    assert rule_for(name).accepts in message


@pytest.mark.parametrize(("name", "value"), ACCEPTED, ids=[f"{n}={v!r}" for n, v in ACCEPTED])
def test_a_sensible_value_is_accepted(name, value):
    assert problem(name, value) is None


def test_notebook_03_takes_none_as_its_model_checkpoint_where_02_does_not():
    assert problem("model_checkpoint", None, "03_train") is None
    assert problem("model_checkpoint", None, "02_preprocess") is not None


def test_check_parameters_lists_every_refused_value_in_one_message():
    with pytest.raises(ParameterError) as error:
        check_parameters("03_train", num_train_epochs=0, learning_rate=-1.0, seed=42)
    first, then = str(error.value).splitlines()
    assert first.startswith("num_train_epochs=0 is not accepted: ") and " learning_rate=-1.0 is not accepted: " in first
    assert then.startswith("Change the value(s) in the parameters cell of notebook 03_train")


OFFLINE_MESSAGE = ("push_to_hub=True needs the Hugging Face Hub, but HF_HUB_OFFLINE is set: set push_to_hub=False, "
                   "or unset HF_HUB_OFFLINE and log in (`hf auth login`).\nChange the value(s) in the parameters cell of "
                   "notebook 03_train (or the -p / PARAMS / grid value that set them) and run again.")


@pytest.mark.parametrize("offline", ["1", "ON", "on", "yes", "YES", "true", "True"])
def test_push_to_hub_offline_is_refused_before_training(monkeypatch, offline):
    monkeypatch.setenv("HF_HUB_OFFLINE", offline)  # huggingface_hub reads these values as offline
    with pytest.raises(ParameterError) as error:
        check_parameters("03_train", push_to_hub=True)
    assert str(error.value) == OFFLINE_MESSAGE
    check_parameters("03_train", push_to_hub=False)


@pytest.mark.parametrize("online", ["0", "", "false", "no"])
def test_push_to_hub_online_is_accepted(monkeypatch, online):
    monkeypatch.setenv("HF_HUB_OFFLINE", online)
    check_parameters("03_train", push_to_hub=True)


def test_launch_in_notebook_is_refused_on_a_machine_without_several_gpus(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ParameterError) as error:
        check_parameters("07_going_further_training", launch_in_notebook=True)
    assert str(error.value).splitlines()[0] == (
        "launch_in_notebook=True starts one process per GPU, and this machine has 1: set it False (on a CPU or one GPU, "
        "notebook 03 trains in one process; `make train-ddp` runs CPU processes).")
    check_parameters("07_going_further_training", launch_in_notebook=False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    check_parameters("07_going_further_training", launch_in_notebook=True)


def test_texts_file_must_exist(tmp_path):
    texts = tmp_path / "texts.txt"
    assert problem("texts_file", str(texts)) is not None
    texts.write_text("one text\n")
    assert problem("texts_file", str(texts)) is None and problem("texts_file", texts) is None


def test_type_members_reads_optional_and_union():
    assert type_members("Optional[int]") == ["int", "None"]
    assert type_members("Union[bool, str]") == ["bool", "str"]
    assert type_members("float") == ["float"]


def test_an_unknown_parameter_name_says_where_to_add_it():
    with pytest.raises(KeyError, match="ner_helpers.parameters.RULES"):
        rule_for("learning_rat")


def parameters_cell(name: str) -> nbformat.NotebookNode:
    cells = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    return next(cell for cell in cells if "parameters" in cell.metadata.get("tags", []))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_papermill_reads_each_parameters_type_as_the_rules_give_it(name):
    declared = papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
    lines = [line for line in parameters_cell(name).source.splitlines() if line.strip()]
    assert len(declared) == len(lines)  # an annotation papermill cannot parse drops the parameter silently
    for parameter in declared.values():
        assert parameter["inferred_type_name"] == rule_for(parameter["name"], name).type, parameter["name"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_default_passes_its_own_check(name):
    values = {}
    exec(parameters_cell(name).source, {}, values)  # literals only
    values.pop("__annotations__", None)
    assert values
    check_parameters(name, **values)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_cell_after_the_parameters_checks_every_parameter_first(name):
    cells = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    index = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    tree = ast.parse(cells[index + 1].source)
    call = next(node for node in tree.body if isinstance(node, ast.Expr) and getattr(node.value.func, "id", "") == "check_parameters")
    assert tree.body.index(call) == 1  # right after its import: nothing is read or written before it
    assert [arg.value for arg in call.value.args] == [name]
    assert {keyword.arg for keyword in call.value.keywords} == set(papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb")))
    assert all(isinstance(k.value, ast.Name) and k.value.id == k.arg for k in call.value.keywords)


def test_every_rule_belongs_to_a_notebook_parameter():
    declared = {(name, p) for name in NOTEBOOKS for p in papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))}
    names = {p for _, p in declared} | {f"{n}:{p}" for n, p in declared}
    assert set(RULES) <= names, set(RULES) - names
    assert all(re.fullmatch(r"(Optional|Union)\[.*\]|int|float|str|bool|dict", rule.type) for rule in RULES.values())


def test_without_a_notebook_name_the_message_speaks_of_the_notebooks():
    with pytest.raises(ParameterError) as error:
        check_parameters(max_eval_samples=0)
    assert str(error.value).splitlines()[1].startswith("Change the value(s) in the parameters cell of the notebooks (")


def test_push_to_hub_is_accepted_when_hf_hub_offline_is_not_set(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    check_parameters("03_train", push_to_hub=True)
