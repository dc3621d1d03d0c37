"""Training on the sample data with the tiny model: it learns, it reproduces, it resumes, it leaks no token."""
from __future__ import annotations

import re

import numpy as np
import pytest

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.training import build_trainer, save_log_history, training_arguments

# The sample repeats the entities of its validation and test sentences in training sentences of
# their own, so the tiny model learns them in a few epochs: the scores compared below are real.
EPOCHS = 6


@pytest.fixture(scope="module")
def tokenized(sample_dir, tiny_tokenizer):
    from ner_helpers.align import tokenize_and_align_labels
    from ner_helpers.data import load_wnut17

    dataset = load_wnut17(sample_dir)
    return dataset.map(
        tokenize_and_align_labels,
        batched=True,
        fn_kwargs={"tokenizer": tiny_tokenizer},
        remove_columns=dataset["train"].column_names,
    )


def tiny_trainer(model_dir, tokenizer, tokenized, output_dir, *, callbacks=None, **overrides):
    """A Trainer for a fresh tiny model (weights from model_dir) on the sample, with a quick schedule."""
    from transformers import AutoModelForTokenClassification

    settings = dict(
        learning_rate=5e-3,
        num_train_epochs=EPOCHS,
        per_device_train_batch_size=4,
        load_best_model_at_end=False,  # the final weights are what resuming must rebuild
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    settings.update(overrides)
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    args = training_arguments(output_dir, **settings)
    return build_trainer(model, args, tokenizer, tokenized["train"], tokenized["validation"], WNUT17_LABELS, callbacks)


def train_tiny(model_dir, tokenizer, tokenized, output_dir, *, resume=False, **kwargs):
    """`tiny_trainer(...)` after training (from the last checkpoint in output_dir with `resume=True`)."""
    trainer = tiny_trainer(model_dir, tokenizer, tokenized, output_dir, **kwargs)
    trainer.train(resume_from_checkpoint=True if resume else None)
    return trainer


def losses(trainer) -> list[float]:
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def eval_scores(metrics: dict) -> dict:
    """Evaluation metrics without the timings, which differ from run to run."""
    return {k: v for k, v in metrics.items() if not k.endswith(("_runtime", "_per_second"))}


def epoch_logs(trainer) -> list[dict]:
    """The per-epoch entries of the log history (training loss, eval metrics) of train(), without timings.

    The closing summary is left out: its `train_loss` averages only the steps of the last
    `train()` call, so after a resume it covers the resumed epochs alone (transformers 5); so are
    the entries of later evaluate() calls.
    """
    history = trainer.state.log_history
    end = next(i for i, entry in enumerate(history) if "train_loss" in entry)
    return [eval_scores(entry) for entry in history[:end]]


def train_set_predictions(trainer) -> tuple[np.ndarray, np.ndarray]:
    """Predicted label ids and reference ids at the labelled positions of the training set."""
    output = trainer.predict(trainer.train_dataset)
    keep = output.label_ids != -100
    return output.predictions.argmax(-1)[keep], output.label_ids[keep]


@pytest.fixture(scope="module")
def trained_once(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path_factory):
    """One run, with the training set's predictions before and after it."""
    before = tiny_trainer(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path_factory.mktemp("before"))
    predicted_before, _ = train_set_predictions(before)
    trainer = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path_factory.mktemp("run"))
    predicted_after, references = train_set_predictions(trainer)
    return trainer, predicted_before, predicted_after, references


def train_loss(trainer) -> float:
    """The closing summary's mean training loss (later evaluate() calls log after it)."""
    return next(entry["train_loss"] for entry in trainer.state.log_history if "train_loss" in entry)


def validation_f1(trainer) -> list[float]:
    return [entry["eval_f1"] for entry in trainer.state.log_history if "eval_f1" in entry]


@pytest.mark.training
def test_training_loss_falls(trained_once):
    trainer = trained_once[0]
    logged = losses(trainer)
    assert len(logged) == EPOCHS
    assert logged[-1] < 0.5 * logged[0], logged


@pytest.mark.training
def test_training_changes_predictions(trained_once):
    _, before, after, references = trained_once
    assert (before != after).any()
    assert (after == references).mean() > (before == references).mean() + 0.3


@pytest.mark.training
def test_validation_entity_f1_climbs_from_zero_to_clearly_above_it(trained_once):
    # An untrained model finds no validation entity; after training it finds most of the 7.
    trainer = trained_once[0]
    f1 = validation_f1(trainer)
    assert len(f1) == EPOCHS
    assert f1[0] < 0.3 and f1[-1] >= 0.5, f1
    final = trainer.evaluate()
    assert final["eval_f1"] == f1[-1] and final["eval_number_of_entities"] == 7
    assert final["eval_precision"] > 0 and final["eval_recall"] > 0


@pytest.mark.training
def test_same_seed_gives_identical_metrics_twice(trained_once, tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    first = trained_once[0]
    second = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path / "second")
    assert train_loss(first) == train_loss(second)
    assert validation_f1(second)[-1] >= 0.5  # the scores compared are not zeros
    assert epoch_logs(first) == epoch_logs(second)
    assert eval_scores(first.evaluate()) == eval_scores(second.evaluate())


@pytest.mark.training
def test_another_seed_gives_other_metrics(trained_once, tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    # Without this, "identical twice" would also pass if the seed were ignored and every run the same.
    other = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path / "other", seed=7, num_train_epochs=1)
    first_epoch = [entry for entry in trained_once[0].state.log_history if "loss" in entry][0]
    assert losses(other)[0] != first_epoch["loss"]


@pytest.mark.training
def test_interrupted_run_resumes_to_the_same_metrics(trained_once, tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    from transformers import TrainerCallback

    class StopAfterSaves(TrainerCallback):
        def __init__(self, saves: int):
            self.saves_left = saves

        def on_save(self, args, state, control, **kwargs):
            self.saves_left -= 1
            if self.saves_left == 0:
                control.should_training_stop = True

    class CountSteps(TrainerCallback):
        steps = 0

        def on_step_end(self, args, state, control, **kwargs):
            self.steps += 1

    uninterrupted = trained_once[0]
    interrupted_dir = tmp_path / "interrupted"
    stopped = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, interrupted_dir, callbacks=[StopAfterSaves(EPOCHS // 2)])
    assert stopped.state.epoch == EPOCHS // 2
    counter = CountSteps()
    resumed = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, interrupted_dir, callbacks=[counter], resume=True)

    assert counter.steps == uninterrupted.state.global_step // 2  # it went on from the middle, not from scratch
    assert losses(resumed) == pytest.approx(losses(uninterrupted), rel=0, abs=1e-6)
    whole_logs, resumed_logs = epoch_logs(uninterrupted), epoch_logs(resumed)
    assert len(whole_logs) == len(resumed_logs)
    for whole, again in zip(whole_logs, resumed_logs):
        assert again.keys() == whole.keys()
        assert again == pytest.approx(whole, rel=0, abs=1e-6)
    final = eval_scores(resumed.evaluate())
    assert final["eval_f1"] >= 0.5  # a real score, not the zeros of a model that learned nothing
    assert final == pytest.approx(eval_scores(uninterrupted.evaluate()), rel=0, abs=1e-6)


def test_push_to_hub_is_off_by_default(tmp_path):
    args = training_arguments(tmp_path, use_cpu=True)
    assert args.push_to_hub is False
    assert args.hub_token is None


@pytest.mark.training
def test_no_token_shaped_strings_in_run_folder(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path, monkeypatch):
    fake_token = "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH"
    monkeypatch.setenv("HF_TOKEN", fake_token)
    run_dir = tmp_path / "run"
    trainer = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, run_dir, num_train_epochs=1)
    trainer.save_model(run_dir / "model")
    tiny_tokenizer.save_pretrained(run_dir / "model")
    save_log_history(trainer.state.log_history, run_dir / "log_history.json")

    token_shape = re.compile(rb"hf_[A-Za-z0-9]{30,}")
    files = [path for path in run_dir.rglob("*") if path.is_file()]
    assert any(path.name == "training_args.bin" for path in files)  # the checkpoint was scanned too
    leaks = {str(path.relative_to(run_dir)) for path in files if token_shape.search(path.read_bytes())}
    assert not leaks


def test_best_epoch_is_the_earliest_with_the_top_validation_f1():
    from ner_helpers.training import best_epoch

    log = [{"loss": 1.0, "epoch": 1.0}, {"eval_f1": 0.5, "epoch": 1.0}, {"eval_f1": 0.6, "epoch": 2.0}, {"eval_f1": 0.6, "epoch": 3.0}]
    assert best_epoch(log) == 2


def test_best_epoch_needs_validation_scores():
    from ner_helpers.training import best_epoch

    with pytest.raises(ValueError, match="no eval_f1"):
        best_epoch([{"loss": 1.0, "epoch": 1.0}])


def test_training_arguments_evaluate_and_save_each_epoch_and_keep_the_best_by_f1(tmp_path):
    args = training_arguments(tmp_path, learning_rate=3e-4, per_device_train_batch_size=5, num_train_epochs=3,
                              weight_decay=0.02, warmup_steps=0.1, seed=11, use_cpu=True)
    assert (args.eval_strategy, args.save_strategy, args.logging_strategy) == ("epoch", "epoch", "epoch")
    assert args.load_best_model_at_end is True and args.metric_for_best_model == "f1" and args.greater_is_better is True
    assert (args.learning_rate, args.per_device_train_batch_size, args.num_train_epochs) == (3e-4, 5, 3)
    assert (args.weight_decay, args.warmup_steps, args.seed, args.data_seed) == (0.02, 0.1, 11, 11)
    assert args.per_device_eval_batch_size == 16 and args.save_total_limit == 2
    assert args.output_dir == str(tmp_path) and args.report_to == []


def test_training_arguments_overrides_win(tmp_path):
    args = training_arguments(tmp_path, use_cpu=True, eval_strategy="no", save_strategy="no", load_best_model_at_end=False)
    assert (args.eval_strategy, args.save_strategy, args.load_best_model_at_end) == ("no", "no", False)


def test_build_trainer_wires_splits_collator_metrics_and_callbacks(tiny_model, tiny_tokenizer, tokenized, tmp_path):
    from transformers import DataCollatorForTokenClassification, TrainerCallback

    class Marker(TrainerCallback):
        pass

    marker = Marker()
    args = training_arguments(tmp_path, use_cpu=True)
    trainer = build_trainer(tiny_model, args, tiny_tokenizer, tokenized["train"], tokenized["validation"], WNUT17_LABELS, [marker])
    assert trainer.train_dataset is tokenized["train"] and trainer.eval_dataset is tokenized["validation"]
    assert trainer.processing_class is tiny_tokenizer and trainer.model is tiny_model and trainer.args is args
    assert marker in trainer.callback_handler.callbacks
    collator = trainer.data_collator
    assert isinstance(collator, DataCollatorForTokenClassification) and collator.tokenizer is tiny_tokenizer
    batch = collator([tokenized["train"][0], tokenized["train"][1]])
    assert (batch["labels"] == -100).any()  # labels padded with -100, not with 0 ("O")
    # The metrics hook reads the label names given: id 9 is B-person in WNUT 17's order.
    class Prediction:
        predictions = np.eye(13)[[9, 10, 0]][None]
        label_ids = np.array([[9, 10, 0]])

    metrics = trainer.compute_metrics(Prediction)
    assert metrics["f1"] == 1.0 and metrics["number_of_entities"] == 1


def test_save_log_history_writes_json_that_reads_back(tmp_path):
    import json

    history = [{"loss": 1.5, "epoch": 1.0}, {"eval_f1": 0.25, "epoch": 1.0}]
    path = save_log_history(history, tmp_path / "log.json")
    assert path == tmp_path / "log.json" and json.loads(path.read_text()) == history
    # One value per line, indented by one space: a learner can read (and diff) the file as it is.
    assert path.read_text().splitlines()[:4] == ["[", " {", '  "loss": 1.5,', '  "epoch": 1.0']


def notebook_cell(name: str, cell_id: str) -> str:
    import nbformat

    from repo_tools.notebooks import notebook_path

    return next(cell.source for cell in nbformat.read(notebook_path(name), as_version=4).cells if cell.get("id") == cell_id)


def test_notebook_03s_training_arguments_equal_the_shared_ones_for_the_same_parameters(tmp_path, monkeypatch):
    # Notebook 03 writes TrainingArguments out for the learner (cell 03-args); the tools train through
    # training_arguments(**training_settings(parameters)). Values unlike the defaults, so a swap shows.
    import torch

    from ner_helpers.training import mixed_precision, training_settings

    monkeypatch.delenv("CI", raising=False)  # training_arguments hides progress bars under CI only
    parameters = dict(learning_rate=3e-4, per_device_train_batch_size=8, num_train_epochs=3, weight_decay=0.05,
                      warmup_steps=0.1, train_sampling_strategy="group_by_length", seed=7, cpu_bf16=False,
                      push_to_hub=False, hub_model_id="me/wnut17-model")
    namespace = {**parameters, "artifacts_dir": str(tmp_path), "torch": torch,
                 "precision": mixed_precision(parameters["cpu_bf16"], verbose=False)}
    exec(notebook_cell("03_train", "03-args"), namespace)  # noqa: S102 - the notebook's own cell
    shared = training_arguments(tmp_path / "checkpoints", **training_settings(parameters))
    assert namespace["args"].to_dict() == shared.to_dict()


def test_training_settings_take_notebook_03s_training_parameters_only():
    from ner_helpers.training import training_settings

    settings = training_settings({"per_device_train_batch_size": 8, "final_fit": True, "model_checkpoint": "m", "seed": 3})
    assert settings == {"per_device_train_batch_size": 8, "per_device_eval_batch_size": 8, "seed": 3}


def test_fine_tune_with_a_final_fit_retrains_the_best_epoch_on_train_and_validation(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    from ner_helpers.training import best_epoch, fine_tune

    phases = []
    run = fine_tune(str(tiny_model_dir), WNUT17_LABELS, tiny_tokenizer, tokenized["train"], tokenized["validation"],
                    tmp_path / "checkpoints", final_fit=True, prepare=lambda trainer, phase: phases.append(phase),
                    learning_rate=5e-3, num_train_epochs=2, per_device_train_batch_size=4, use_cpu=True, disable_tqdm=True)
    assert phases == ["fit", "final-fit"]
    assert run.log_history is run.validated.state.log_history and run.chosen_epochs == best_epoch(run.log_history)
    final = run.trainer
    assert final is not run.validated and final.eval_dataset is None
    assert final.train_dataset.num_rows == tokenized["train"].num_rows + tokenized["validation"].num_rows
    assert final.args.num_train_epochs == run.chosen_epochs and final.args.output_dir == str(tmp_path / "checkpoints" / "final-fit")
    assert final.args.learning_rate == 5e-3 and final.args.save_strategy == "no"
    assert run.best_checkpoint and run.train_seconds > 0


def test_fine_tune_without_a_checkpoint_to_resume_says_so(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    from ner_helpers.training import fine_tune

    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        fine_tune(str(tiny_model_dir), WNUT17_LABELS, tiny_tokenizer, tokenized["train"], tokenized["validation"],
                  tmp_path, resume_from_checkpoint=True, use_cpu=True)
