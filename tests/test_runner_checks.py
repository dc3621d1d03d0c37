"""The runner's own steps, without running a notebook: the offline preflight, DATA_FILES, how one notebook
is handed to papermill, and the machine recorded in metrics.json. Fast, so `make mutation` runs them."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import nbformat
import pytest

from repo_tools import hub, runner

OFFLINE_ROUTE = (
    "Choose the offline route: the encoder shipped on PyPI and a local copy of the WNUT 17 CoNLL files:\n"
    "    make run OFFLINE=1 DATA_DIR=path/to/wnut17\n"
    "(the folder holds wnut17train.conll, emerging.dev.conll, emerging.test.annotated),\n"
    "or your own CoNLL files: make run OFFLINE=1 DATA_FILES=path/to/files.yaml."
)


@pytest.fixture()
def hub_down(monkeypatch):
    monkeypatch.setattr(hub, "hub_reachable", lambda: False)


def needs(what: str) -> str:
    return f"The Hugging Face Hub cannot be reached, and this run needs it for {what}.\n" + OFFLINE_ROUTE


def test_offline_route_needs_no_hub(hub_down, sample_dir, tiny_model_dir):
    assert runner.preflight(str(sample_dir), str(tiny_model_dir)) is None
    assert runner.preflight(None, str(tiny_model_dir), data_files={"train": "x"}) is None
    assert runner.preflight(None, str(tiny_model_dir), dataset_name=str(sample_dir)) is None  # a local folder


def test_each_missing_piece_is_named_with_the_offline_route(hub_down, sample_dir, tiny_model_dir):
    assert runner.preflight(None, str(tiny_model_dir)) == needs("the data set (no DATA_DIR given)")
    assert runner.preflight(None, str(tiny_model_dir), data_files={}) == needs("the data set (no DATA_DIR given)")
    assert runner.preflight(None, str(tiny_model_dir), dataset_name="someone/ner") == needs("the data set 'someone/ner'")
    assert runner.preflight(str(sample_dir), None) == needs("the model 'distilbert/distilbert-base-uncased'")
    assert runner.preflight(str(sample_dir), "someone/bert") == needs("the model 'someone/bert'")
    assert runner.preflight(None, "someone/bert") == needs("the data set (no DATA_DIR given) and the model 'someone/bert'")


def test_a_reachable_hub_lets_every_route_pass(monkeypatch):
    monkeypatch.setattr(hub, "hub_reachable", lambda: True)
    assert runner.preflight(None, None) is None
    assert runner.preflight(None, "someone/bert", dataset_name="someone/ner") is None


def test_the_hub_is_not_asked_when_nothing_needs_it(monkeypatch, sample_dir, tiny_model_dir):
    def ask():
        raise AssertionError("the Hub was asked although the run needs nothing from it")

    monkeypatch.setattr(hub, "hub_reachable", ask)
    assert runner.preflight(str(sample_dir), str(tiny_model_dir)) is None


def test_data_files_yaml_paths_are_read_from_its_folder(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "files.yaml").write_text("train: train.txt\ntest: ../test.txt\n")
    assert runner.read_data_files(tmp_path / "d" / "files.yaml") == {
        "train": str(tmp_path / "d" / "train.txt"), "test": str(tmp_path / "test.txt")
    }
    assert runner.read_data_files(str(tmp_path / "d" / "files.yaml"))["train"] == str(tmp_path / "d" / "train.txt")


@pytest.mark.parametrize("content", ["- train.txt\n", "train: 3\n", "just a line\n"])
def test_a_data_files_yaml_that_is_not_a_mapping_of_files_shows_an_example(tmp_path, content):
    (tmp_path / "bad.yaml").write_text(content)
    with pytest.raises(SystemExit) as error:
        runner.read_data_files(tmp_path / "bad.yaml")
    assert str(error.value) == f"DATA_FILES={tmp_path / 'bad.yaml'} must map split names to files, such as\n{runner.DATA_FILES_EXAMPLE}"


def test_a_missing_data_files_yaml_shows_an_example(tmp_path):
    with pytest.raises(SystemExit) as error:
        runner.read_data_files(tmp_path / "none.yaml")
    assert str(error.value) == f"DATA_FILES={tmp_path / 'none.yaml'}: no such file. Write a YAML file such as\n{runner.DATA_FILES_EXAMPLE}"
    assert runner.DATA_FILES_EXAMPLE.startswith("train: train.txt\nvalidation: valid.txt")


@pytest.fixture()
def handed(monkeypatch):
    """What execute() hands to papermill, instead of running the notebook."""
    import papermill

    calls = []

    def execute_notebook(notebook, output, **options):
        calls.append({"notebook": notebook, "output": output, **options})

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def test_execute_hands_papermill_the_notebook_and_only_its_own_parameters(handed, tmp_path, capsys):
    seconds = runner.execute("01_load_data", tmp_path, {"data_dir": "/d", "learning_rate": 0.1, "num_train_epochs": 3})
    (call,) = handed
    assert call["notebook"] == str(runner.NOTEBOOK_DIR / "01_load_data.ipynb")
    assert call["output"] == str(tmp_path / "01_load_data.ipynb")
    assert call["parameters"] == {"data_dir": "/d"}  # 01 declares no learning rate or epochs
    assert call["cwd"] == str(runner.NOTEBOOK_DIR)  # the notebooks' relative paths hold
    assert call["kernel_name"] == "python3" and call["progress_bar"] is False
    assert capsys.readouterr().out == "== 01_load_data {'data_dir': '/d'}\n"
    assert seconds == 0.0  # rounded to a tenth: nothing ran


def test_execute_without_solutions_hands_the_student_copy(handed, tmp_path, capsys):
    from repo_tools.student_notebooks import is_solution

    runner.execute("03_train", tmp_path, {}, solutions=False)
    (call,) = handed
    source = nbformat.read(runner.NOTEBOOK_DIR / "03_train.ipynb", as_version=4)
    assert isinstance(call["notebook"], nbformat.NotebookNode)
    assert [c.id for c in call["notebook"].cells] == [c.id for c in source.cells if not is_solution(c)]
    assert len(call["notebook"].cells) < len(source.cells)
    assert capsys.readouterr().out == "== 03_train {} (without the solutions)\n"


def test_execute_returns_the_seconds_papermill_took(monkeypatch, tmp_path):
    import papermill

    clock = iter([100.0, 112.345])
    monkeypatch.setattr(runner.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(papermill, "execute_notebook", lambda *args, **kwargs: None)
    assert runner.execute("01_load_data", tmp_path, {}) == 12.3


def test_machine_info_records_this_machine(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    info = runner.machine_info()
    assert info == {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "gpu": None,
    }


def test_machine_info_names_the_gpu_and_falls_back_to_the_machine_type(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"Stand-in GPU {index}")
    monkeypatch.setattr(platform, "processor", lambda: "")
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    info = runner.machine_info()
    assert info["gpu"] == "Stand-in GPU 0" and info["processor"] == "x86_64"
