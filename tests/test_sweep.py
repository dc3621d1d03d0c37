"""`make sweep`'s module on the handwritten sample with the tiny model: rows, resume, failures, notebook 06."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
import yaml

from repo_tools import sweep
from repo_tools.notebooks import notebook_path
from repo_tools.runner import run_notebook


def write_grid(path: Path, sample_dir: Path, model_dir: Path, learning_rates: list[float]) -> Path:
    path.write_text(yaml.safe_dump({
        "fixed": {"data_dir": str(sample_dir), "model_checkpoint": str(model_dir), "num_train_epochs": 2,
                  "per_device_train_batch_size": 8, "seed": 42, "report_to": "tensorboard"},
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
    """Two learning rates, the impossible one first, so the sweep must go on after it fails. (The bookkeeping of
    larger grids is checked below with the notebooks faked.)"""
    folder = tmp_path_factory.mktemp("sweep")
    grid = write_grid(folder / "grid.yaml", sample_dir, tiny_model_dir, [-1.0, 0.005])
    code = sweep.main(["--grid", str(grid), "--run-dir", str(folder / "run")])
    return folder, grid, code, list(counted)


@pytest.mark.notebook
def test_the_configuration_that_trains_gives_an_ok_row_with_scores(first_sweep):
    folder, _, _, _ = first_sweep
    table = [row for row in rows(folder / "run") if row["status"] == "ok"]
    assert [row["learning_rate"] for row in table] == ["0.005"]
    for row in table:
        assert 0.0 <= float(row["validation_f1"]) <= 1.0 and 0.0 <= float(row["test_f1"]) <= 1.0
        assert float(row["train_seconds"]) > 0
        assert (folder / "run" / row["folder"] / "artifacts" / "model").is_dir()
    # Learning happened: validation loss fell from the first epoch to the last in every configuration.
    for row in table:
        history = json.loads((folder / "run" / row["folder"] / "artifacts" / "log_history.json").read_text())
        losses = [entry["eval_loss"] for entry in history if "eval_loss" in entry]
        assert len(losses) == 2 and losses[-1] < losses[0], row["folder"]


@pytest.mark.notebook
def test_each_configuration_logs_its_own_tensorboard_run(first_sweep):
    """With report_to="tensorboard", a dashboard on the sweep's configs/ folder shows one run per configuration."""
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    folder, _, _, _ = first_sweep
    ok = [row["folder"] for row in rows(folder / "run") if row["status"] == "ok"]
    runs = EventMultiplexer().AddRunsFromDirectory(str(folder / "run" / "configs")).Reload().Runs()
    first_runs = {name for name in runs if "final-fit" not in name}
    assert sorted(name.split("/")[0] for name in first_runs) == sorted(Path(f).name for f in ok)
    for name in first_runs:
        assert "eval/f1" in runs[name]["scalars"] and "train/loss" in runs[name]["scalars"], name


@pytest.mark.notebook
def test_loading_and_tokenizing_run_once_for_a_grid_over_training(first_sweep):
    _, _, _, executed = first_sweep
    assert executed.count("01_load_data") == executed.count("02_preprocess") == 1
    assert executed.count("03_train") == 2  # the failing configuration stops in 03
    assert executed.count("04_evaluate") == executed.count("05_inference") == 1


@pytest.mark.notebook
def test_a_failing_configuration_is_recorded_and_the_others_finish(first_sweep, capsys):
    folder, _, code, executed = first_sweep
    assert code == 1
    table = rows(folder / "run")
    assert [row["learning_rate"] for row in table] == ["-1.0", "0.005"]
    assert [row["status"] for row in table] == ["failed", "ok"]
    assert table[0]["error"].startswith("ParameterError: learning_rate=-1.0")  # the error's type and the value
    assert "\n" not in table[0]["error"]
    assert table[1]["test_f1"] != ""  # the configuration after the failure ran to the end
    # The notebooks of the last configuration ran after the failed 03.
    assert executed[-3:] == ["03_train", "04_evaluate", "05_inference"]


@pytest.mark.notebook
def test_a_second_run_retries_the_failure_and_retrains_nothing(first_sweep, counted, capsys):
    folder, grid, _, _ = first_sweep
    models = sorted((folder / "run").glob("configs/*/artifacts/model/*.safetensors"))
    mtimes = [path.stat().st_mtime_ns for path in models]
    before = len(counted)
    assert sweep.main(["--grid", str(grid), "--run-dir", str(folder / "run")]) == 1
    assert counted[before:] == ["03_train"]  # only the failed configuration is tried again
    assert len(models) == 1 and [path.stat().st_mtime_ns for path in models] == mtimes
    out, err = capsys.readouterr()
    assert "1 already finished, 1 to run" in out
    assert "configs/learning_rate=-1.0" in err and "run the same command again" in err
    assert [row["status"] for row in rows(folder / "run")] == ["failed", "ok"]


@pytest.mark.notebook
def test_notebook_06_runs_on_the_sweep_folder(first_sweep, tmp_path):
    folder, _, _, _ = first_sweep
    output = tmp_path / "06.ipynb"
    run_notebook(str(notebook_path("06_compare_runs")), output, {"run_dir": str(folder / "run")})
    text = "\n".join(
        "".join(out.get("text", "")) for cell in nbformat.read(output, as_version=4).cells for out in cell.get("outputs", [])
    )
    assert "2 configurations, 1 finished" in text and "failed: configs/learning_rate=-1.0" in text
    chosen = max((r for r in rows(folder / "run") if r["status"] == "ok"), key=lambda r: float(r["validation_f1"]))
    assert f"chosen on validation: learning_rate={float(chosen['learning_rate'])}" in text
    assert text.count("test entity F1") == 1
    assert (folder / "run" / "plots" / "validation_f1_by_parameter.png").read_bytes()[:4] == b"\x89PNG"


def test_a_grid_with_an_unknown_parameter_names_it(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  learning_rat: [1.0e-4]\n")
    assert sweep.main(["--grid", str(grid), "--run-dir", str(tmp_path / "run")]) == 2
    assert "learning_rat" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "key"), [
    ("fixed:\n  seed: 1\n", "grid"),  # no grid at all
    ("grid:\n  learning_rate: 1.0e-4\n", "learning_rate"),  # a value, not a list
    ("grid:\n  learning_rate: []\n", "learning_rate"),  # an empty list: no configuration to run
    ("fixed:\n  seed: 1\ngrid:\n  seed: [1, 2]\n", "seed"),  # in both fixed and grid
    ("grids:\n  seed: [1, 2]\n", "grids"),  # a key the file may not have
], ids=["no-grid", "not-a-list", "empty-list", "fixed-and-grid", "unknown-key"])
def test_a_grid_file_that_cannot_be_run_stops_before_anything_runs_naming_the_file_and_key(tmp_path, capsys, content, key):
    grid = tmp_path / "grid.yaml"
    grid.write_text(content)
    assert sweep.main(["--grid", str(grid), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert str(grid) in err and key in err
    assert not (tmp_path / "run" / "results.csv").exists()


def test_a_missing_grid_file_is_named(tmp_path, capsys):
    assert sweep.main(["--grid", str(tmp_path / "nope.yaml"), "--run-dir", str(tmp_path / "run")]) == 2
    assert str(tmp_path / "nope.yaml") in capsys.readouterr().err


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
    assert table["test_f1"].tolist() == [0.25, 0.3] and table["train_seconds"].tolist() == [20.0, 30.0]
    assert table["folder"].tolist() == ["a", "b"]
    with pytest.raises(FileNotFoundError) as error:
        load_runs(tmp_path / "empty")
    assert all(fact in str(error.value) for fact in (str(tmp_path / "empty"), "results.csv", "metrics.json"))


def test_compare_marks_a_make_run_run_without_test_scores_as_failed(tmp_path):
    from ner_helpers.compare import load_runs

    # run a stopped in 04 (validation scores, no test scores); run b stopped in 03's first epoch (test scores
    # from an earlier run, no validation scores); run c finished.
    for name, scores, test in [("a", [0.2, 0.35], None), ("b", [], {"f1": 0.31}), ("c", [0.25, 0.4], {"f1": 0.28})]:
        run = tmp_path / "runs" / name
        (run / "artifacts").mkdir(parents=True)
        history = [{"epoch": i + 1, "eval_f1": f1} for i, f1 in enumerate(scores)] + [{"epoch": 1, "loss": 0.9}]
        (run / "artifacts" / "log_history.json").write_text(json.dumps(history))
        report = {"parameters": {"seed": ord(name)}, "seconds": {"03_train": 12.5}}
        (run / "metrics.json").write_text(json.dumps(report | ({"test": test} if test else {})))
    table, parameters = load_runs(tmp_path / "runs")
    assert parameters == ["seed"] and table["seed"].tolist() == [97, 98, 99]
    assert table["status"].tolist() == ["failed", "failed", "ok"]
    assert table["error"].tolist() == ["no validation scores or test metrics in this run"] * 2 + [""]
    assert table["validation_f1"].tolist()[::2] == [0.35, 0.4] and table["validation_f1"].isna().tolist() == [False, True, False]
    assert table["test_f1"].tolist()[1:] == [0.31, 0.28] and table["test_f1"].isna().tolist() == [True, False, False]


# The sweep's bookkeeping with the notebooks faked: each fake notebook writes the files the sweep reads, with
# numbers chosen by hand, so every expectation below is written out, not computed by the code under test.
# Two parameters with lists of different lengths: the grid is their product, learning rate outermost.
TWO_PARAMETER_GRID = {"learning_rate": [0.0001, 5e-05], "per_device_train_batch_size": [8, 16, 32]}
# (learning_rate, batch size): validation F1 per epoch (the best epoch is never the last), test F1,
# seconds of 03. Validation and test rank the configurations differently; every number differs from the others.
FAKE_RESULTS = {
    (0.0001, 8): ([0.21, 0.43, 0.40], 0.37, 31.5),
    (0.0001, 16): ([0.25, 0.52, 0.47], 0.33, 22.5),
    (0.0001, 32): ([0.11, 0.29, 0.26], 0.45, 16.5),
    (5e-05, 8): ([0.15, 0.38, 0.36], 0.41, 32.5),
    (5e-05, 16): ([0.13, 0.34, 0.31], 0.39, 23.5),
    (5e-05, 32): ([0.08, 0.19, 0.17], 0.12, 17.5),
}
RESULT_HEADER = ["learning_rate", "per_device_train_batch_size", "validation_f1", "test_f1", "train_seconds",
                 "status", "error", "folder"]
# results.csv of the whole grid, written out by hand: product order, the best epoch's validation F1.
EXPECTED_ROWS = [
    ["0.0001", "8", "0.43", "0.37", "31.5", "ok", "", "configs/learning_rate=0.0001,per_device_train_batch_size=8"],
    ["0.0001", "16", "0.52", "0.33", "22.5", "ok", "", "configs/learning_rate=0.0001,per_device_train_batch_size=16"],
    ["0.0001", "32", "0.29", "0.45", "16.5", "ok", "", "configs/learning_rate=0.0001,per_device_train_batch_size=32"],
    ["5e-05", "8", "0.38", "0.41", "32.5", "ok", "", "configs/learning_rate=5e-05,per_device_train_batch_size=8"],
    ["5e-05", "16", "0.34", "0.39", "23.5", "ok", "", "configs/learning_rate=5e-05,per_device_train_batch_size=16"],
    ["5e-05", "32", "0.19", "0.12", "17.5", "ok", "", "configs/learning_rate=5e-05,per_device_train_batch_size=32"],
]
FOLDERS = [row[-1] for row in EXPECTED_ROWS]


class Interrupt(KeyboardInterrupt):
    """Ctrl-C (or a killed kernel) at a chosen step: not an Exception, so the sweep does not record it."""


class FakeNotebooks:
    """Stands in for `execute`: writes what each notebook would write; `interrupt_at` raises Interrupt there."""

    def __init__(self, interrupt_at: tuple[str, int] | None = None, fail: dict[str, str] | None = None):
        self.calls: list[tuple[str, str]] = []  # (notebook, folder relative to the run folder)
        self.interrupt_at = interrupt_at  # (notebook, how many times it ran before)
        self.fail = fail or {}  # notebook: error message

    def __call__(self, name, folder, parameters, solutions=True):
        assert solutions is False
        folder = Path(folder)
        relative = f"{folder.parent.name}/{folder.name}"
        if self.interrupt_at and self.interrupt_at == (name, sum(n == name for n, _ in self.calls)):
            raise Interrupt
        self.calls.append((name, relative))
        if name in self.fail:
            raise ValueError(self.fail[name])
        artifacts = Path(parameters["artifacts_dir"])
        if name == "01_load_data":
            (artifacts / "dataset").mkdir()
            (artifacts / "dataset" / "subset.json").write_text(json.dumps(parameters.get("max_train_samples")))
            return 1.25
        if name == "02_preprocess":
            (artifacts / "tokenized").mkdir()
            (artifacts / "preprocess.json").write_text("{}")
            return 2.25
        # 03-05 read through the links to the shared artifacts, as the real notebooks do
        assert (artifacts / "dataset").is_dir() and (artifacts / "preprocess.json").is_file()
        scores, test_f1, seconds = FAKE_RESULTS[parameters["learning_rate"], parameters["per_device_train_batch_size"]]
        if name == "03_train":
            history = [{"loss": 1.0 - f1, "epoch": epoch} for epoch, f1 in enumerate(scores, 1)]
            history += [{"eval_loss": 1.5 - f1, "eval_f1": f1, "epoch": epoch} for epoch, f1 in enumerate(scores, 1)]
            (artifacts / "log_history.json").write_text(json.dumps(history))
            return seconds
        if name == "04_evaluate":  # precision and recall differ from F1 and from validation's numbers
            test = {"precision": test_f1 + 0.05, "recall": test_f1 - 0.03, "f1": test_f1, "split": "test"}
            (artifacts / "test_metrics.json").write_text(json.dumps(test))
            return 4.25
        return 5.25


@pytest.fixture()
def fake_sweep(tmp_path, monkeypatch):
    """Run a sweep over a grid with faked notebooks: returns run(grid, notebooks) -> exit code."""
    from repo_tools import runner

    monkeypatch.setattr(sweep, "preflight", lambda *args, **kwargs: None)
    monkeypatch.setattr(runner, "machine_info", lambda: {"processor": "fake"})

    def run(grid: dict, notebooks: FakeNotebooks, fixed: dict | None = None) -> int:
        monkeypatch.setattr(sweep, "execute", notebooks)
        grid_file = tmp_path / "grid.yaml"
        grid_file.write_text(yaml.safe_dump({"fixed": fixed or {"num_train_epochs": 3, "seed": 7}, "grid": grid}, sort_keys=False))
        return sweep.main(["--grid", str(grid_file), "--run-dir", str(tmp_path / "run")])

    return run


def csv_lines(run_dir: Path) -> list[list[str]]:
    with (run_dir / "results.csv").open(newline="") as handle:
        return list(csv.reader(handle))


def config_calls(folders: list[str]) -> list[tuple[str, str]]:
    return [(name, folder) for folder in folders for name in ("03_train", "04_evaluate", "05_inference")]


def test_a_grid_of_two_parameters_is_their_product_in_file_order():
    grid = {"learning_rate": [0.0001, 5e-05], "per_device_train_batch_size": [8, 16, 32], "seed": [1]}
    assert sweep.configurations(grid) == [
        {"learning_rate": 0.0001, "per_device_train_batch_size": 8, "seed": 1},
        {"learning_rate": 0.0001, "per_device_train_batch_size": 16, "seed": 1},
        {"learning_rate": 0.0001, "per_device_train_batch_size": 32, "seed": 1},
        {"learning_rate": 5e-05, "per_device_train_batch_size": 8, "seed": 1},
        {"learning_rate": 5e-05, "per_device_train_batch_size": 16, "seed": 1},
        {"learning_rate": 5e-05, "per_device_train_batch_size": 32, "seed": 1},
    ]


def test_results_csv_of_a_two_parameter_grid_holds_each_runs_own_numbers(fake_sweep, tmp_path):
    notebooks = FakeNotebooks()
    assert fake_sweep(TWO_PARAMETER_GRID, notebooks) == 0
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS
    # 01 and 02 once (the grid varies training only), then 03-05 per configuration in grid order
    shared = [name for name, _ in notebooks.calls[:2]]
    assert shared == ["01_load_data", "02_preprocess"] and notebooks.calls[2:] == config_calls(FOLDERS)
    report = json.loads((tmp_path / "run" / FOLDERS[1] / "metrics.json").read_text())
    assert report["validation_f1"] == 0.52 and report["test"]["f1"] == 0.33 and report["test"]["recall"] == pytest.approx(0.30)
    assert report["seconds"] == {"03_train": 22.5, "04_evaluate": 4.25, "05_inference": 5.25}
    assert report["parameters"]["learning_rate"] == 0.0001 and report["parameters"]["per_device_train_batch_size"] == 16
    assert report["parameters"]["num_train_epochs"] == 3 and report["parameters"]["seed"] == 7


def test_a_grid_over_a_shared_parameter_runs_01_and_02_once_per_value(fake_sweep, tmp_path):
    notebooks = FakeNotebooks()
    grid = {"max_train_samples": [40, 80], "learning_rate": [0.0001], "per_device_train_batch_size": [8, 32]}
    assert fake_sweep(grid, notebooks) == 0
    shared_runs = [folder for name, folder in notebooks.calls if name == "01_load_data"]
    assert len(shared_runs) == 2 and len(set(shared_runs)) == 2
    assert [name for name, _ in notebooks.calls].count("02_preprocess") == 2
    # each configuration reads the data set of its own subset, through its links
    run = tmp_path / "run"
    for size, batch in [(40, 8), (40, 32), (80, 8), (80, 32)]:
        folder = run / "configs" / f"max_train_samples={size},learning_rate=0.0001,per_device_train_batch_size={batch}"
        assert json.loads((folder / "artifacts" / "dataset" / "subset.json").read_text()) == size
    assert [line[:3] for line in csv_lines(run)[1:]] == [
        ["40", "0.0001", "8"], ["40", "0.0001", "32"], ["80", "0.0001", "8"], ["80", "0.0001", "32"]]
    assert [line[3:6] for line in csv_lines(run)[1:]] == [
        ["0.43", "0.37", "31.5"], ["0.29", "0.45", "16.5"], ["0.43", "0.37", "31.5"], ["0.29", "0.45", "16.5"]]


def test_a_failed_shared_step_fails_its_configurations_once_and_not_the_others(fake_sweep, tmp_path):
    notebooks = FakeNotebooks(fail={"02_preprocess": "max_length must be at least 3"})
    grid = {"learning_rate": [0.0001, 5e-05], "per_device_train_batch_size": [8]}
    assert fake_sweep(grid, notebooks) == 1
    # 02 failed once; the second configuration shares it and is not tried again
    assert [name for name, _ in notebooks.calls] == ["01_load_data", "02_preprocess"]
    lines = csv_lines(tmp_path / "run")[1:]
    error = "RuntimeError: shared step (01/02) failed: ValueError: max_length must be at least 3"
    assert [line[2:7] for line in lines] == [["", "", "", "failed", error]] * 2
    # fixed, the same command runs the shared steps again (no `done` marker) and both configurations
    notebooks = FakeNotebooks()
    assert fake_sweep(grid, notebooks) == 0
    assert [name for name, _ in notebooks.calls][:2] == ["01_load_data", "02_preprocess"]
    assert csv_lines(tmp_path / "run")[1:] == [EXPECTED_ROWS[0], EXPECTED_ROWS[3]]


@pytest.mark.parametrize("step", [("01_load_data", 0), ("02_preprocess", 0)])
def test_an_interrupted_shared_step_is_run_again(fake_sweep, tmp_path, step):
    with pytest.raises(Interrupt):
        fake_sweep(TWO_PARAMETER_GRID, FakeNotebooks(interrupt_at=step))
    assert not (tmp_path / "run" / "results.csv").exists() or csv_lines(tmp_path / "run")[1:] == []
    notebooks = FakeNotebooks()
    assert fake_sweep(TWO_PARAMETER_GRID, notebooks) == 0
    assert [name for name, _ in notebooks.calls[:2]] == ["01_load_data", "02_preprocess"]
    assert notebooks.calls[2:] == config_calls(FOLDERS)
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS


@pytest.mark.parametrize("notebook", ["03_train", "04_evaluate", "05_inference"])
def test_an_interruption_inside_a_configuration_resumes_at_that_configuration(fake_sweep, tmp_path, notebook):
    # interrupted in the third configuration: two rows written, the third's folder half done
    with pytest.raises(Interrupt):
        fake_sweep(TWO_PARAMETER_GRID, FakeNotebooks(interrupt_at=(notebook, 2)))
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS[:2]
    notebooks = FakeNotebooks()
    assert fake_sweep(TWO_PARAMETER_GRID, notebooks) == 0
    assert notebooks.calls == config_calls(FOLDERS[2:])  # shared steps done, two configurations finished
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS


def test_an_interruption_while_writing_results_csv_keeps_the_previous_file(fake_sweep, tmp_path, monkeypatch):
    writes = []
    original = csv.DictWriter.writerows

    def writerows(self, rows):
        writes.append(len(rows))
        if len(writes) == 4:  # after the fourth configuration: the file is being rewritten
            self.writer.writerow(["half a row"])
            raise Interrupt
        return original(self, rows)

    monkeypatch.setattr(csv.DictWriter, "writerows", writerows)
    with pytest.raises(Interrupt):
        fake_sweep(TWO_PARAMETER_GRID, FakeNotebooks())
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS[:3]
    monkeypatch.setattr(csv.DictWriter, "writerows", original)
    notebooks = FakeNotebooks()
    assert fake_sweep(TWO_PARAMETER_GRID, notebooks) == 0
    assert notebooks.calls == config_calls(FOLDERS[3:])  # the fourth had no row: trained again
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS


def test_an_ok_row_whose_folder_lost_its_metrics_is_run_again(fake_sweep, tmp_path):
    assert fake_sweep(TWO_PARAMETER_GRID, FakeNotebooks()) == 0
    (tmp_path / "run" / FOLDERS[4] / "metrics.json").unlink()
    notebooks = FakeNotebooks()
    assert fake_sweep(TWO_PARAMETER_GRID, notebooks) == 0
    assert notebooks.calls == config_calls([FOLDERS[4]])
    assert csv_lines(tmp_path / "run") == [RESULT_HEADER] + EXPECTED_ROWS


def test_a_second_grid_in_the_same_folder_keeps_the_first_grids_rows(fake_sweep, tmp_path):
    assert fake_sweep({"learning_rate": [5e-05], "per_device_train_batch_size": [16]}, FakeNotebooks()) == 0
    notebooks = FakeNotebooks()
    assert fake_sweep({"per_device_train_batch_size": [32, 8], "learning_rate": [0.0001]}, notebooks) == 0
    assert csv_lines(tmp_path / "run") == [
        ["per_device_train_batch_size", "learning_rate"] + RESULT_HEADER[2:],
        ["32", "0.0001", "0.29", "0.45", "16.5", "ok", "", "configs/per_device_train_batch_size=32,learning_rate=0.0001"],
        ["8", "0.0001", "0.43", "0.37", "31.5", "ok", "", "configs/per_device_train_batch_size=8,learning_rate=0.0001"],
        ["16", "5e-05", "0.34", "0.39", "23.5", "ok", "", EXPECTED_ROWS[4][-1]],  # the first grid's row, last
    ]


def test_a_failed_configuration_records_the_first_line_of_its_error(fake_sweep, tmp_path):
    message = "learning_rate=-1.0: the learning rate must be positive\n(set it in the grid)"
    notebooks = FakeNotebooks(fail={"04_evaluate": message})
    assert fake_sweep({"learning_rate": [0.0001], "per_device_train_batch_size": [16, 8]}, notebooks) == 1
    error = "ValueError: learning_rate=-1.0: the learning rate must be positive"
    assert [line[2:] for line in csv_lines(tmp_path / "run")[1:]] == [
        ["", "", "", "failed", error, FOLDERS[1]], ["", "", "", "failed", error, FOLDERS[0]]]
    # the run went on after the first failure: both configurations reached 04
    assert [name for name, _ in notebooks.calls] == ["01_load_data", "02_preprocess"] + ["03_train", "04_evaluate"] * 2


def test_first_line_names_the_notebooks_exception_papermill_reports():
    class PapermillExecutionError(Exception):  # papermill's error carries the cell's exception as ename/evalue
        ename, evalue = "ParameterError", "max_length=2: must be at least 3\nsee the parameters cell"

    assert sweep.first_line(PapermillExecutionError("the traceback")) == "ParameterError: max_length=2: must be at least 3"
    assert sweep.first_line(KeyError("folder")) == "KeyError: 'folder'"


def write_results_csv(run_dir: Path, lines: list[list[str]]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "results.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return run_dir


FAILED_ROW = ["5e-05", "64", "", "", "", "failed", "RuntimeError: out of memory", "configs/learning_rate=5e-05,per_device_train_batch_size=64"]


def test_compare_reads_a_sweeps_results_csv_column_by_column(tmp_path):
    from ner_helpers.compare import load_runs

    table, parameters = load_runs(write_results_csv(tmp_path / "run", [RESULT_HEADER] + EXPECTED_ROWS + [FAILED_ROW]))
    assert parameters == ["learning_rate", "per_device_train_batch_size"]
    assert table["learning_rate"].tolist() == [0.0001] * 3 + [5e-05] * 4
    assert table["per_device_train_batch_size"].tolist() == [8, 16, 32, 8, 16, 32, 64]
    assert table["validation_f1"].tolist()[:6] == [0.43, 0.52, 0.29, 0.38, 0.34, 0.19]
    assert table["test_f1"].tolist()[:6] == [0.37, 0.33, 0.45, 0.41, 0.39, 0.12]
    assert table["train_seconds"].tolist()[:6] == [31.5, 22.5, 16.5, 32.5, 23.5, 17.5]
    assert table["status"].tolist() == ["ok"] * 6 + ["failed"]
    assert table["error"].tolist() == [""] * 6 + ["RuntimeError: out of memory"]
    assert table["folder"].tolist() == FOLDERS + [FAILED_ROW[-1]]


def test_compare_plots_validation_not_test_f1_against_each_parameter(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from ner_helpers.compare import load_runs, plot_validation_f1

    table, parameters = load_runs(write_results_csv(tmp_path / "run", [RESULT_HEADER] + EXPECTED_ROWS + [FAILED_ROW]))
    figure = plot_validation_f1(table, parameters, save_to=tmp_path / "plots" / "f1.png")
    by_rate, by_batch = figure.axes
    assert [tick.get_text() for tick in by_rate.get_xticklabels()] == ["5e-05", "0.0001"]  # numeric order
    assert [tick.get_text() for tick in by_batch.get_xticklabels()] == ["8", "16", "32"]  # the failed 64 left out
    lines = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in by_rate.lines}
    assert lines == {
        "per_device_train_batch_size=8": ([0, 1], [0.38, 0.43]),
        "per_device_train_batch_size=16": ([0, 1], [0.34, 0.52]),
        "per_device_train_batch_size=32": ([0, 1], [0.19, 0.29]),
    }
    lines = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in by_batch.lines}
    assert lines == {"learning_rate=5e-05": ([0, 1, 2], [0.38, 0.34, 0.19]),
                     "learning_rate=0.0001": ([0, 1, 2], [0.43, 0.52, 0.29])}
    assert (tmp_path / "plots" / "f1.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.notebook
def test_notebook_06_chooses_on_validation_where_test_would_choose_otherwise(tmp_path):
    # By validation F1 the best is lr 0.0001 with batch 16 (0.52); by test F1 it would be lr 0.0001 with batch 32
    # (0.45). The notebook must choose the first and print its test F1, 0.33.
    run_dir = write_results_csv(tmp_path / "run", [RESULT_HEADER] + EXPECTED_ROWS + [FAILED_ROW])
    output = tmp_path / "06.ipynb"
    run_notebook(str(notebook_path("06_compare_runs")), output, {"run_dir": str(run_dir)})
    text = "\n".join(
        "".join(out.get("text", "")) for cell in nbformat.read(output, as_version=4).cells for out in cell.get("outputs", [])
    )
    assert "7 configurations, 6 finished" in text
    assert f"failed: {FAILED_ROW[-1]}: RuntimeError: out of memory" in text
    assert "chosen on validation: learning_rate=0.0001, per_device_train_batch_size=16\n" in text
    assert "validation entity F1 0.520\n" in text
    assert "test entity F1       0.330" in text
