"""`make run`'s parameters: the command line wins over the YAML file, which wins over the notebooks' defaults."""
from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from repo_tools import runner

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
    args = parse(["--run-dir", str(tmp_path), "--params", str(params_file), "--epochs", "5", "--max-eval-samples", "2"])
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
        "--run-dir", str(tmp_path), "--data-dir", str(sample_dir), "--model", "some/checkpoint",
        "--epochs", "2.5", "--learning-rate", "0.003", "--batch-size", "6", "--max-train-samples", "9",
        "--max-eval-samples", "4", "--resume", "--push-to-hub",
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
    args = parse(["--run-dir", str(tmp_path), "--data-dir", "tests/data/sample_wnut17", "--model", "offline-minilm"])
    parameters = runner.notebook_parameters(args, tmp_path / "artifacts")
    assert parameters["data_dir"] == str(ROOT / "tests" / "data" / "sample_wnut17")
    assert parameters["model_checkpoint"] == "offline-minilm"  # not a folder here: a name, kept as given


def test_main_hands_each_notebook_only_the_parameters_it_declares(params_file, tmp_path, sample_dir, tiny_model_dir, monkeypatch):
    import papermill

    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda source, out, parameters, **kw: executed.append((Path(source).stem, parameters)))
    code = runner.main([
        "--run-dir", str(tmp_path / "run"), "--params", str(params_file), "--data-dir", str(sample_dir),
        "--model", str(tiny_model_dir), "--learning-rate", "0.02", "--notebooks", "01_load_data", "03_train",
    ])
    assert code == 0
    (first, first_params), (third, third_params) = executed
    assert (first, third) == ("01_load_data", "03_train")
    declared_01 = set(runner.declared("01_load_data"))
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
