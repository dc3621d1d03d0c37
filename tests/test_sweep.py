"""`make sweep`'s module on the handwritten sample with the tiny model: rows, resume, failures, notebook 06."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

from repo_tools import sweep

ROOT = Path(__file__).resolve().parent.parent


def write_grid(path: Path, sample_dir: Path, model_dir: Path, learning_rates: list[float]) -> Path:
    path.write_text(yaml.safe_dump({
        "fixed": {"data_dir": str(sample_dir), "model_checkpoint": str(model_dir), "num_train_epochs": 2,
                  "per_device_train_batch_size": 8, "seed": 42},
        "grid": {"learning_rate": learning_rates},
    }))
    return path


def rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "results.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """Count the notebooks the sweep executes (they run in their own kernels)."""
    executed: list[str] = []
    original = sweep.execute

    def execute(name, run_dir, parameters, solutions=True):
        assert solutions is False  # a sweep never runs the exercise solutions
        executed.append(name)
        return original(name, run_dir, parameters, solutions)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sweep, "execute", execute)
        yield executed


@pytest.fixture(scope="module")
def first_sweep(tmp_path_factory, sample_dir, tiny_model_dir, counted):
    """Three learning rates; the impossible one in the middle, so the sweep must go on after it fails."""
    folder = tmp_path_factory.mktemp("sweep")
    grid = write_grid(folder / "grid.yaml", sample_dir, tiny_model_dir, [0.005, -1.0, 0.01])
    code = sweep.main(["--grid", str(grid), "--run-dir", str(folder / "run")])
    return folder, grid, code, list(counted)


def test_two_configurations_give_two_ok_rows_with_scores(first_sweep):
    folder, _, _, _ = first_sweep
    table = [row for row in rows(folder / "run") if row["status"] == "ok"]
    assert [row["learning_rate"] for row in table] == ["0.005", "0.01"]
    for row in table:
        assert 0.0 <= float(row["validation_f1"]) <= 1.0 and 0.0 <= float(row["test_f1"]) <= 1.0
        assert float(row["train_seconds"]) > 0
        assert (folder / "run" / row["folder"] / "artifacts" / "model").is_dir()
    # Learning happened: validation loss fell from the first epoch to the last in every configuration.
    for row in table:
        history = json.loads((folder / "run" / row["folder"] / "artifacts" / "log_history.json").read_text())
        losses = [entry["eval_loss"] for entry in history if "eval_loss" in entry]
        assert len(losses) == 2 and losses[-1] < losses[0], row["folder"]


def test_loading_and_tokenizing_run_once_for_a_grid_over_training(first_sweep):
    _, _, _, executed = first_sweep
    assert executed.count("01_load_data") == executed.count("02_preprocess") == 1
    assert executed.count("03_train") == 3  # the failing configuration stops in 03
    assert executed.count("04_evaluate") == executed.count("05_inference") == 2


def test_a_failing_configuration_is_recorded_and_the_others_finish(first_sweep, capsys):
    folder, _, code, executed = first_sweep
    assert code == 1
    table = rows(folder / "run")
    assert [row["learning_rate"] for row in table] == ["0.005", "-1.0", "0.01"]
    assert [row["status"] for row in table] == ["ok", "failed", "ok"]
    assert "learning rate" in table[1]["error"].lower() and "\n" not in table[1]["error"]
    assert table[2]["test_f1"] != ""  # the configuration after the failure ran to the end
    # The notebooks of the last configuration ran after the failed 03.
    assert executed[-3:] == ["03_train", "04_evaluate", "05_inference"]


def test_a_second_run_retries_the_failure_and_retrains_nothing(first_sweep, counted, capsys):
    folder, grid, _, _ = first_sweep
    models = sorted((folder / "run").glob("configs/*/artifacts/model/*.safetensors"))
    mtimes = [path.stat().st_mtime_ns for path in models]
    before = len(counted)
    assert sweep.main(["--grid", str(grid), "--run-dir", str(folder / "run")]) == 1
    assert counted[before:] == ["03_train"]  # only the failed configuration is tried again
    assert len(models) == 2 and [path.stat().st_mtime_ns for path in models] == mtimes
    out, err = capsys.readouterr()
    assert "2 already finished, 1 to run" in out
    assert "configs/learning_rate=-1.0" in err and "run the same command again" in err
    assert [row["status"] for row in rows(folder / "run")] == ["ok", "failed", "ok"]


def test_notebook_06_runs_on_the_sweep_folder(first_sweep, tmp_path):
    folder, _, _, _ = first_sweep
    output = tmp_path / "06.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "06_compare_runs.ipynb"), str(output),
        parameters={"run_dir": str(folder / "run")}, cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False,
    )
    text = "\n".join(
        "".join(out.get("text", "")) for cell in nbformat.read(output, as_version=4).cells for out in cell.get("outputs", [])
    )
    assert "3 configurations, 2 finished" in text and "failed: configs/learning_rate=-1.0" in text
    chosen = max((r for r in rows(folder / "run") if r["status"] == "ok"), key=lambda r: float(r["validation_f1"]))
    assert f"chosen on validation: learning_rate={float(chosen['learning_rate'])}" in text
    assert text.count("test entity F1") == 1
    assert (folder / "run" / "plots" / "validation_f1_by_parameter.png").read_bytes()[:4] == b"\x89PNG"


def test_a_grid_with_an_unknown_parameter_names_it(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  learning_rat: [1.0e-4]\n")
    assert sweep.main(["--grid", str(grid), "--run-dir", str(tmp_path / "run")]) == 2
    assert "learning_rat" in capsys.readouterr().err


def test_compare_reads_a_folder_of_make_run_runs(tmp_path):
    from ner_helpers.compare import load_runs

    for name, epochs, scores, test_f1 in [("a", 2, [0.1, 0.3], 0.25), ("b", 3, [0.1, 0.4, 0.35], 0.3)]:
        run = tmp_path / "runs" / name
        (run / "artifacts").mkdir(parents=True)
        history = [{"epoch": i + 1, "eval_f1": f1} for i, f1 in enumerate(scores)]
        (run / "artifacts" / "log_history.json").write_text(json.dumps(history))
        (run / "metrics.json").write_text(json.dumps({
            "parameters": {"num_train_epochs": epochs, "learning_rate": 1e-4, "artifacts_dir": str(run / "artifacts")},
            "seconds": {"03_train": 10.0 * epochs}, "test": {"f1": test_f1},
        }))
    table, parameters = load_runs(tmp_path / "runs")
    assert parameters == ["num_train_epochs"]  # the learning rate is the same in both, so not compared
    assert table["validation_f1"].tolist() == [0.3, 0.4] and table["status"].tolist() == ["ok", "ok"]
    assert table["folder"].tolist() == ["a", "b"]
    with pytest.raises(FileNotFoundError, match="neither a results.csv"):
        load_runs(tmp_path / "empty")
