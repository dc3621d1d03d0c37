"""Training on the sample data with the tiny model: it learns, it reproduces, it resumes, it leaks no token."""
from __future__ import annotations

import re

import numpy as np
import pytest

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.training import build_trainer, save_log_history, training_arguments

EPOCHS = 4


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
    """The per-epoch entries of the log history (training loss, eval metrics), without timings.

    The closing summary is left out: its `train_loss` averages only the steps of the last
    `train()` call, so after a resume it covers the resumed epochs alone (transformers 5).
    """
    return [eval_scores(entry) for entry in trainer.state.log_history if "train_loss" not in entry]


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


def test_training_loss_falls(trained_once):
    trainer = trained_once[0]
    logged = losses(trainer)
    assert len(logged) == EPOCHS
    assert logged[-1] < 0.8 * logged[0], logged


def test_training_changes_predictions(trained_once):
    _, before, after, references = trained_once
    assert (before != after).any()
    assert (after == references).mean() > (before == references).mean() + 0.3


def test_same_seed_gives_identical_metrics_twice(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    first = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path / "first", seed=7)
    second = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path / "second", seed=7)
    assert first.state.log_history[-1]["train_loss"] == second.state.log_history[-1]["train_loss"]
    assert epoch_logs(first) == epoch_logs(second)
    assert eval_scores(first.evaluate()) == eval_scores(second.evaluate())


def test_interrupted_run_resumes_to_the_same_metrics(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
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

    # F1 stays 0 on the tiny sample, so loading the best model at the end would reload epoch 1's
    # checkpoint in both runs and compare nothing; the final weights are what resuming must rebuild.
    settings = dict(load_best_model_at_end=False)
    uninterrupted = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path / "whole", **settings)

    interrupted_dir = tmp_path / "interrupted"
    stopped = train_tiny(
        tiny_model_dir, tiny_tokenizer, tokenized, interrupted_dir, callbacks=[StopAfterSaves(2)], **settings
    )
    assert stopped.state.epoch == 2
    counter = CountSteps()
    resumed = train_tiny(
        tiny_model_dir, tiny_tokenizer, tokenized, interrupted_dir, callbacks=[counter], resume=True, **settings
    )

    assert counter.steps == uninterrupted.state.global_step // 2  # it went on from epoch 2, not from scratch
    assert losses(resumed) == pytest.approx(losses(uninterrupted), rel=0, abs=1e-6)
    whole_logs, resumed_logs = epoch_logs(uninterrupted), epoch_logs(resumed)
    assert len(whole_logs) == len(resumed_logs)
    for whole, again in zip(whole_logs, resumed_logs):
        assert again.keys() == whole.keys()
        assert again == pytest.approx(whole, rel=0, abs=1e-6)
    assert eval_scores(resumed.evaluate()) == pytest.approx(eval_scores(uninterrupted.evaluate()), rel=0, abs=1e-6)


def test_push_to_hub_is_off_by_default(tmp_path):
    args = training_arguments(tmp_path, use_cpu=True)
    assert args.push_to_hub is False
    assert args.hub_token is None


def test_no_token_shaped_strings_in_run_folder(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path, monkeypatch):
    fake_token = "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH"
    monkeypatch.setenv("HF_TOKEN", fake_token)
    run_dir = tmp_path / "run"
    trainer = train_tiny(tiny_model_dir, tiny_tokenizer, tokenized, run_dir, num_train_epochs=1)
    trainer.save_model(run_dir / "model")
    tiny_tokenizer.save_pretrained(run_dir / "model")
    save_log_history(trainer.state.log_history, run_dir / "log_history.json")

    token_shape = re.compile(rb"hf_[A-Za-z0-9]{30,}")
    assert token_shape.search(fake_token.encode())  # the scan would see this token if it were written
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
