"""The training entry point (ner_helpers.distributed_training) on 2 CPU processes under torchrun: data-parallel, one writer.

Notebooks 01 and 02 write the artifacts (papermill, tiny model, the project's sample sentences); then
`torchrun --nproc_per_node 2 -m ner_helpers.distributed_training` trains with the gloo backend and records which
sentences each process saw; notebook 04 then runs on its output as it runs on notebook 03's.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from ner_helpers.errors import ParameterError
from ner_helpers.distributed_training import fingerprint, load_parameters, main, notebook_defaults
from repo_tools.notebooks import notebook_path
from repo_tools.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
PER_DEVICE_BATCH = 4
EPOCHS = 6


def run_lesson(name: str, out_dir: Path, **parameters) -> Path:
    out = out_dir / f"{name}.ipynb"
    run_notebook(str(notebook_path(name)), out, parameters)
    return out


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, sample_dir, tiny_model_dir) -> Path:
    """A run folder whose artifacts/ holds what notebooks 01 and 02 write."""
    run = tmp_path_factory.mktemp("ddp-run")
    artifacts = run / "artifacts"
    run_lesson("01_load_data", run, data_dir=str(sample_dir), artifacts_dir=str(artifacts))
    run_lesson("02_preprocess", run, model_checkpoint=str(tiny_model_dir), artifacts_dir=str(artifacts))
    return run


@pytest.fixture(scope="module")
def ddp_run(prepared, sample_dir):
    """torchrun with 2 CPU processes, in the tiny configuration, with a final fit on train + validation.

    The word embeddings are frozen: DDP must then leave that parameter out of its gradient all-reduce.
    """
    params = prepared / "params.yaml"
    params.write_text(yaml.safe_dump({
        "data_dir": str(sample_dir),  # a parameter of notebook 01: ignored here, as papermill ignores it in 03
        "num_train_epochs": EPOCHS, "learning_rate": 5e-3, "per_device_train_batch_size": PER_DEVICE_BATCH,
        "seed": 42, "final_fit": True, "freeze_word_embeddings": True,
    }))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "CI": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "ner_helpers.distributed_training", "--params", str(params), "--artifacts-dir", str(prepared / "artifacts"),
         "--record-samples", str(prepared / "samples")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return prepared, result.stdout + result.stderr


def recorded_batches(samples_dir: Path, rank: int) -> dict[tuple[str, str, int], list[str]]:
    """(run, phase, epoch) -> fingerprints of the sentences this rank was given, in order."""
    seen: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for line in (samples_dir / f"samples-rank{rank}.jsonl").read_text().splitlines():
        batch = json.loads(line)
        assert batch["rank"] == rank
        seen[(batch["run"], batch["phase"], batch["epoch"])] += batch["samples"]
    return seen


@pytest.mark.notebook
def test_both_processes_join_one_gloo_group(ddp_run):
    run, output = ddp_run
    assert "rank 0 of 2: device cpu" in output and "rank 1 of 2: device cpu" in output
    assert output.count("backend gloo") == 2
    metrics = json.loads((run / "artifacts" / "train_metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["backend"] == "gloo"
    assert metrics["global_train_batch_size"] == 2 * PER_DEVICE_BATCH


@pytest.mark.notebook
def test_each_process_trains_on_its_own_shard_of_every_epoch(ddp_run):
    from datasets import concatenate_datasets, load_from_disk

    run, _ = ddp_run
    tokenized = load_from_disk(run / "artifacts" / "tokenized")
    runs = {
        "fit": [fingerprint(ids) for ids in tokenized["train"]["input_ids"]],
        "final-fit": [fingerprint(ids) for ids in
                      concatenate_datasets([tokenized["train"], tokenized["validation"]])["input_ids"]],
    }
    assert len(set(runs["fit"])) == len(runs["fit"])  # the sample has no duplicate sentences
    rank0, rank1 = (recorded_batches(run / "samples", rank) for rank in (0, 1))
    global_batch = 2 * PER_DEVICE_BATCH
    for name, sentences in runs.items():
        epochs = sorted(epoch for (r, phase, epoch) in rank0 if r == name and phase == "train")
        assert epochs and epochs == list(range(1, len(epochs) + 1)), (name, epochs)
        for epoch in epochs:
            mine, theirs = rank0[(name, "train", epoch)], rank1[(name, "train", epoch)]
            assert len(mine) == len(theirs) > 0
            # Together they cover the epoch once; the only sentences both see are the few that accelerate
            # repeats to fill the last global batch (`even_batches`).
            assert set(mine) | set(theirs) == set(sentences)
            assert len(mine) + len(theirs) == math.ceil(len(sentences) / global_batch) * global_batch
            assert len(set(mine) & set(theirs)) <= (-len(sentences)) % global_batch


@pytest.mark.notebook
def test_the_training_loss_falls(ddp_run):
    run, _ = ddp_run
    history = json.loads((run / "artifacts" / "log_history.json").read_text())
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == EPOCHS  # the log of the first run, by epoch, as notebook 03 saves it
    assert losses[-1] < 0.7 * losses[0], losses
    assert any("eval_f1" in entry for entry in history)


@pytest.mark.notebook
def test_frozen_word_embeddings_stay_pretrained_in_both_runs(ddp_run, tiny_model_dir):
    from safetensors.torch import load_file

    run, _ = ddp_run
    pretrained = load_file(tiny_model_dir / "model.safetensors")
    metrics = json.loads((run / "artifacts" / "train_metrics.json").read_text())
    for folder in (Path(metrics["best_checkpoint"]), run / "artifacts" / "model"):  # the first run, the final fit
        trained = load_file(folder / "model.safetensors")
        name = "bert.embeddings.word_embeddings.weight"
        assert trained[name].equal(pretrained[name]), folder
        assert not trained["bert.encoder.layer.0.attention.self.query.weight"].equal(
            pretrained["bert.encoder.layer.0.attention.self.query.weight"]), folder


@pytest.mark.notebook
def test_rank_zero_alone_writes_one_model_and_one_metrics_file(ddp_run):
    run, output = ddp_run
    artifacts = run / "artifacts"
    written = {p.name for p in artifacts.iterdir()} - {"dataset", "tokenized", "preprocess.json", "checkpoints"}
    assert written == {"model", "log_history.json", "train_metrics.json", "final-fit"}
    assert not any((artifacts / "final-fit").iterdir())  # the final fit's output_dir; it saves no checkpoint
    assert (artifacts / "model" / "config.json").is_file() and (artifacts / "model" / "tokenizer.json").is_file()
    assert [p.name for p in run.rglob("train_metrics.json")] == ["train_metrics.json"]
    assert len([p for p in run.rglob("config.json") if "checkpoint-" not in str(p)]) == 1
    assert output.count("saved to") == 1  # printed by rank 0 after writing


@pytest.mark.notebook
def test_notebook_04_reads_the_output_as_it_reads_notebook_03s(ddp_run):
    run, _ = ddp_run
    run_lesson("04_evaluate", run, artifacts_dir=str(run / "artifacts"))
    scores = json.loads((run / "artifacts" / "test_metrics.json").read_text())
    assert set(scores) >= {"precision", "recall", "f1", "accuracy"}


def test_processes_that_do_not_join_one_group_stop_with_a_message(monkeypatch):
    """A launch that Trainer does not turn into one process group is an error, not N copies of one training."""
    from ner_helpers.distributed_training import check_one_process_group

    monkeypatch.setenv("WORLD_SIZE", "2")
    check_one_process_group(2)
    with pytest.raises(RuntimeError) as error:
        check_one_process_group(1)  # what Trainer reported under torchrun on CPUs without use_cpu=True
    assert "2 processes" in str(error.value) and "world of 1" in str(error.value) and "use_cpu=True" in str(error.value)
    monkeypatch.delenv("WORLD_SIZE")
    check_one_process_group(1)


def test_defaults_are_notebook_03s_parameters_cell():
    defaults = notebook_defaults()
    assert defaults["per_device_train_batch_size"] == 16 and defaults["learning_rate"] is None
    assert "artifacts_dir" not in defaults and defaults["train_sampling_strategy"] == "random"


def test_parameters_of_other_notebooks_are_ignored_and_unknown_ones_rejected(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("learning_rate: 1.0e-4\nmax_train_samples: 10\n")
    parameters, ignored = load_parameters(params)
    assert parameters["learning_rate"] == 1e-4 and parameters["num_train_epochs"] == notebook_defaults()["num_train_epochs"]
    assert ignored == ["max_train_samples"]
    params.write_text("learning_rat: 1.0e-4\n")
    with pytest.raises(ParameterError) as error:
        load_parameters(params)
    assert "learning_rat`" in str(error.value) and "`learning_rate`" in str(error.value)  # the typo and the nearest name
    assert error.value.parameters == ["learning_rat"]  # the one ParameterError of ner_helpers.errors, names listed


def test_missing_parameter_file_and_missing_artifacts_say_what_to_do(tmp_path, capsys):
    assert main(["--params", str(tmp_path / "nope.yaml"), "--artifacts-dir", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["--artifacts-dir", str(tmp_path / "empty")]) == 2
    assert "notebooks/02_preprocess.ipynb" in capsys.readouterr().err
