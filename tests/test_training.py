"""Training (ner_helpers/training.py): the precision chosen for the machine (faked devices), TrainingArguments
and the Trainer's wiring (which split it scores), the learning rate and epochs for the offline encoder, and the
tiny model trained on the sample: it learns, it reproduces, it resumes, it leaks no token."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from seqeval.metrics.sequence_labeling import get_entities

from ner_helpers import training
from ner_helpers.data import WNUT17_LABELS
from ner_helpers.models import load_token_classifier
from ner_helpers.training import build_trainer, recipe_for, save_log_history, training_arguments

# The sample repeats the entities of its validation and test sentences in training sentences of
# their own, so the tiny model learns them in a few epochs: the scores compared below are real.
EPOCHS = 6


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
    asked = training_arguments(tmp_path, use_cpu=True, push_to_hub=True, hub_model_id="someone/wnut17-model")
    assert (asked.push_to_hub, asked.hub_model_id) == (True, "someone/wnut17-model")  # uploads only when asked


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

    with pytest.raises(ValueError, match="eval_f1"):
        best_epoch([{"loss": 1.0, "epoch": 1.0}])


def test_training_arguments_evaluate_and_save_each_epoch_and_keep_the_best_by_f1(tmp_path):
    args = training_arguments(tmp_path, learning_rate=3e-4, per_device_train_batch_size=5, num_train_epochs=3,
                              weight_decay=0.02, warmup_steps=0.1, seed=11, use_cpu=True)
    assert (args.eval_strategy, args.save_strategy, args.logging_strategy) == ("epoch", "epoch", "epoch")
    assert args.load_best_model_at_end is True and args.metric_for_best_model == "f1" and args.greater_is_better is True
    assert (args.learning_rate, args.per_device_train_batch_size, args.num_train_epochs) == (3e-4, 5, 3)
    assert (args.weight_decay, args.warmup_steps, args.seed, args.data_seed) == (0.02, 0.1, 11, 11)
    assert args.per_device_eval_batch_size == 16 and args.save_total_limit == 1
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


def entity_count(dataset) -> int:
    names = dataset.features["ner_tags"].feature.names
    return sum(len(get_entities([names[t] for t in tags])) for tags in dataset["ner_tags"])


def test_the_three_splits_hold_different_numbers_of_entities(wnut):
    # What the next test relies on to tell the splits apart.
    counts = {split: entity_count(wnut[split]) for split in wnut}
    assert counts == {"train": 67, "validation": 7, "test": 10}


def test_trainer_scores_the_validation_split_every_epoch(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    model = load_token_classifier(str(tiny_model_dir), WNUT17_LABELS)
    args = training_arguments(tmp_path, num_train_epochs=2, use_cpu=True, disable_tqdm=True, learning_rate=5e-3,
                              per_device_train_batch_size=16)
    trainer = build_trainer(model, args, tiny_tokenizer, tokenized["train"], tokenized["validation"], WNUT17_LABELS)
    assert trainer.train_dataset is tokenized["train"] and trainer.eval_dataset is tokenized["validation"]
    trainer.train()
    evaluated = [entry for entry in trainer.state.log_history if "eval_f1" in entry]
    assert [entry["epoch"] for entry in evaluated] == [1.0, 2.0]
    # number_of_entities is the gold count of the split scored: 7 is validation (train 67, test 10).
    assert {entry["eval_number_of_entities"] for entry in evaluated} == {7}
    assert trainer.evaluate()["eval_number_of_entities"] == 7


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
                      push_to_hub=False, hub_model_id="me/wnut17-model", report_to="tensorboard")
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "tensorboard"))  # the cell sets it; restored afterwards
    namespace = {**parameters, "artifacts_dir": str(tmp_path), "torch": torch,
                 "precision": mixed_precision(parameters["cpu_bf16"], verbose=False)}
    exec(notebook_cell("03_train", "03-args"), namespace)  # noqa: S102 - the notebook's own cell
    shared = training_arguments(tmp_path / "checkpoints", **training_settings(parameters))
    assert namespace["args"].to_dict() == shared.to_dict()


def test_training_settings_take_notebook_03s_training_parameters_only():
    from ner_helpers.training import training_settings

    settings = training_settings({"per_device_train_batch_size": 8, "final_fit": True, "model_checkpoint": "m", "seed": 3})
    assert settings == {"per_device_train_batch_size": 8, "per_device_eval_batch_size": 8, "seed": 3}


@pytest.mark.parametrize("model_dir, model_type", [("tiny_model_dir", "bert"), ("tiny_distilbert_dir", "distilbert")])
def test_fine_tune_with_a_final_fit_retrains_the_best_epoch_on_train_and_validation(request, wnut, model_dir, model_type, tmp_path):
    from transformers import AutoTokenizer

    from ner_helpers.align import tokenize_dataset
    from ner_helpers.training import best_epoch, fine_tune

    model_dir = request.getfixturevalue(model_dir)  # a BERT, and the guide's DistilBERT (no token_type_ids, no pooler)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenized = tokenize_dataset(wnut, tokenizer)
    phases = []
    run = fine_tune(str(model_dir), WNUT17_LABELS, tokenizer, tokenized["train"], tokenized["validation"],
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
    assert final.model.config.model_type == model_type and final.model.classifier.out_features == 13


def test_fine_tune_without_a_checkpoint_to_resume_says_so(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    from ner_helpers.training import fine_tune

    with pytest.raises(FileNotFoundError) as failure:
        fine_tune(str(tiny_model_dir), WNUT17_LABELS, tiny_tokenizer, tokenized["train"], tokenized["validation"],
                  tmp_path, resume_from_checkpoint=True, use_cpu=True)
    assert str(tmp_path) in str(failure.value) and "resume_from_checkpoint=False" in str(failure.value)


# --- The precision chosen for the machine: bf16 only where it is native, on the GPU and on the CPU (faked devices).

@pytest.fixture()
def cpu_only(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def fake_gpu(monkeypatch, capability: tuple[int, int]) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: f"fake GPU sm_{capability[0]}{capability[1]}")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: capability)
    # torch's own answer counts emulation (True on a T4); only a native answer must decide.
    monkeypatch.setattr(
        torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation or capability >= (8, 0)
    )


@pytest.mark.parametrize("capability, expected", [((7, 5), "fp16"), ((8, 0), "bf16"), ((9, 0), "bf16")])
def test_gpu_precision_follows_native_bf16(monkeypatch, capsys, capability, expected):
    fake_gpu(monkeypatch, capability)
    chosen = training.mixed_precision()
    assert chosen == {"bf16": expected == "bf16", "fp16": expected == "fp16"}
    assert f"precision: {expected} on fake GPU" in capsys.readouterr().out


def test_cpu_is_full_precision_unless_asked(cpu_only, monkeypatch, capsys):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    assert training.mixed_precision() == {"bf16": False, "fp16": False}
    assert "fp32 on the CPU" in capsys.readouterr().out


@pytest.mark.parametrize("native", [True, False])
def test_cpu_bf16_auto_follows_the_detection(cpu_only, monkeypatch, capsys, native):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: native)
    chosen = training.mixed_precision("auto")
    assert chosen["bf16"] is native
    assert chosen.get("use_cpu", False) is native
    out = capsys.readouterr().out
    assert ("bf16 autocast on the CPU" if native else "fp32 on the CPU") in out
    assert ("has native bf16" if native else "has no native bf16") in out


def test_cpu_bf16_true_without_native_support_warns(cpu_only, monkeypatch):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="emulated"):
        assert training.mixed_precision(True)["bf16"] is True


def test_cpu_bf16_true_with_native_support_is_silent(cpu_only, monkeypatch, recwarn):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    assert training.mixed_precision(True)["bf16"] is True
    assert not [w for w in recwarn if "emulated" in str(w.message)]


def test_unknown_setting_is_refused(cpu_only):
    with pytest.raises(ValueError) as error:
        training.mixed_precision("yes")
    assert all(fact in str(error.value) for fact in ("cpu_bf16", "True", "False", "'auto'", "'yes'"))


def test_training_arguments_resolve_auto(cpu_only, monkeypatch, tmp_path):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    assert training.training_arguments(tmp_path, cpu_bf16="auto").bf16 is False
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    assert training.training_arguments(tmp_path, cpu_bf16="auto").bf16 is True


def test_training_arguments_default_to_the_guides_recipe(cpu_only, monkeypatch, tmp_path):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)  # even so, bf16 only when asked
    monkeypatch.setenv("CI", "1")
    args = training.training_arguments(tmp_path, hub_model_id="me/wnut17-model")
    assert (args.learning_rate, args.per_device_train_batch_size, args.per_device_eval_batch_size) == (2e-5, 16, 16)
    assert (args.num_train_epochs, args.weight_decay, args.warmup_steps, args.seed) == (2, 0.01, 0, 42)
    assert args.bf16 is False and args.fp16 is False
    assert str(args.train_sampling_strategy) == "random" and args.lr_scheduler_type == "linear"
    assert args.metric_for_best_model == "f1" and args.greater_is_better is True and args.load_best_model_at_end
    assert args.push_to_hub is False and args.hub_model_id == "me/wnut17-model"
    assert args.dataloader_pin_memory is False  # no GPU here
    assert args.disable_tqdm is True  # CI set: no progress bars in the log
    monkeypatch.delenv("CI")
    assert training.training_arguments(tmp_path).disable_tqdm is False
    grouped = training.training_arguments(tmp_path, train_sampling_strategy="group_by_length")
    assert str(grouped.train_sampling_strategy) == "group_by_length"


@pytest.mark.parametrize("native, precision", [(True, "bf16"), (False, "fp16")])
def test_gpu_line_names_the_first_gpu_and_why(monkeypatch, capsys, native, precision):
    asked = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: asked.append(index) or "fake GPU")
    monkeypatch.setattr(training, "gpu_has_native_bf16", lambda: native)
    chosen = training.mixed_precision()
    assert chosen == {"bf16": precision == "bf16", "fp16": precision == "fp16"} and asked == [0]
    [line] = capsys.readouterr().out.splitlines()  # one line: the precision, the GPU, and whether bf16 is native
    assert line.split()[1] == precision and "fake GPU" in line and ("no native" in line) is not native


@pytest.mark.parametrize("setting, native, precision", [
    ("auto", True, "bf16"), ("auto", False, "fp32"), (True, True, "bf16"), (False, True, "fp32"),
])
def test_cpu_line_says_which_precision_and_why(cpu_only, monkeypatch, capsys, setting, native, precision):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: native)
    assert training.mixed_precision(cpu_bf16=setting)["bf16"] is (precision == "bf16")
    [line] = capsys.readouterr().out.splitlines()  # one line: the precision, the setting, and for "auto" the CPU
    assert line.split()[1] == precision and f"cpu_bf16={setting!r}" in line
    if setting == "auto":
        assert ("no native" in line) is not native


def test_forced_cpu_bf16_warning_is_whole_and_points_at_the_caller(cpu_only, monkeypatch, warning_caller):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning) as record:
        training.mixed_precision(cpu_bf16=True, verbose=False)
    message = str(record[0].message)  # the setting, the instruction sets missing, and the ways out
    assert all(fact in message for fact in ("cpu_bf16=True", "AVX512-BF16", "AMX", "cpu_bf16='auto'", "False"))
    assert record[0].filename.endswith(warning_caller(training, __file__))


def test_training_arguments_pass_the_schedule_and_report_nowhere(cpu_only, tmp_path):
    args = training.training_arguments(tmp_path, lr_scheduler_type="cosine")
    assert args.lr_scheduler_type == "cosine" and args.report_to in ([], "none", ["none"])


# --- The learning rate and epochs: the guide's by default, the offline encoder's own recipe when left to None.

def test_offline_encoder_with_defaults_gets_its_recipe_and_says_why(capsys):
    assert recipe_for("offline-minilm", None, None) == (1e-4, 3)
    printed = capsys.readouterr().out
    assert "learning_rate=None: 0.0001" in printed and "num_train_epochs=None: 3" in printed
    assert "0.237" in printed and "params/offline-minilm.yaml" in printed


def test_offline_encoders_recipe_is_the_one_its_parameter_file_gives():
    # Two copies on purpose: the installed package (Colab) has no params/ folder to read, and `make run OFFLINE=1`
    # passes the file. Every key the file sets besides the checkpoint is the recipe's.
    import yaml

    from ner_helpers.training import CHECKPOINT_RECIPES

    given = yaml.safe_load((Path(__file__).resolve().parent.parent / "params" / "offline-minilm.yaml").read_text())
    checkpoint = given.pop("model_checkpoint")
    recipe = {key: value for key, value in CHECKPOINT_RECIPES[checkpoint].items() if key != "why"}
    assert given == recipe


def test_other_checkpoints_with_defaults_get_the_guides_recipe(capsys):
    assert recipe_for("distilbert/distilbert-base-uncased", None, None) == (2e-5, 2)
    assert "the guide's" in capsys.readouterr().out


def test_values_given_are_kept():
    assert recipe_for("offline-minilm", 5e-5, 4) == (5e-5, 4)
    assert recipe_for("distilbert/distilbert-base-uncased", 3e-5, 1) == (3e-5, 1)


def test_offline_encoder_with_the_guides_values_warns_and_names_the_parameter_file():
    with pytest.warns(UserWarning) as record:
        assert recipe_for("offline-minilm", 2e-5, 2) == (2e-5, 2)
    message = str(record[0].message)  # the measured F1, where the recipe lives, and the values None would give
    assert all(fact in message for fact in ("0.237", "params/offline-minilm.yaml", "None", "0.0001", " 3"))


def test_each_value_left_to_none_says_where_it_came_from(capsys):
    assert recipe_for("distilbert/distilbert-base-uncased", None, 4) == (2e-5, 4)
    [line] = capsys.readouterr().out.splitlines()  # only the value left to None is reported
    assert line.startswith("learning_rate=None: 2e-05") and "guide" in line
    assert recipe_for("offline-minilm", 3e-5, None) == (3e-5, 3)
    chosen, why = capsys.readouterr().out.splitlines()
    assert chosen.startswith("num_train_epochs=None: 3") and "offline-minilm" in chosen
    assert "0.237" in why


def test_a_known_checkpoint_with_one_value_left_to_none_is_not_warned(recwarn, capsys):
    assert recipe_for("offline-minilm", None, 1) == (1e-4, 1)
    assert "why: " in capsys.readouterr().out
    assert len(recwarn) == 0


@pytest.mark.parametrize("learning_rate, epochs", [(2e-5, 5), (1e-4, 2)])
def test_only_both_guide_values_together_warn(learning_rate, epochs, recwarn, capsys):
    # The guide's learning rate with more epochs, or a higher rate for the guide's 2 epochs, are choices.
    assert recipe_for("offline-minilm", learning_rate, epochs) == (learning_rate, epochs)
    assert len(recwarn) == 0 and capsys.readouterr().out == ""


def test_the_warning_points_at_the_callers_line(warning_caller):
    import ner_helpers.training

    with pytest.warns(UserWarning) as record:
        recipe_for("offline-minilm", 1e-5, 1)
    assert record[0].filename.endswith(warning_caller(ner_helpers.training, __file__))


# --- fine_tune's wiring with stand-in trainers: which Trainer is built with what, which trains and resumes, what
# is printed and timed. (The tests above train the tiny model through the same function.)

class StandInTrainer:
    """Records what fine_tune asks of a Trainer; each train() takes `seconds` on the fake clock."""

    def __init__(self, clock, output_dir, seconds, log_history=(), main_process=True):
        self.clock, self.seconds, self.main_process = clock, seconds, main_process
        self.args = type("Args", (), {"output_dir": str(output_dir)})()
        self.state = type("State", (), {"log_history": list(log_history), "best_model_checkpoint": f"{output_dir}/checkpoint-4"})()
        self.resumed_from = []

    def is_world_process_zero(self):
        return self.main_process

    def train(self, resume_from_checkpoint=None):
        self.resumed_from.append(resume_from_checkpoint)
        self.clock[0] += self.seconds
        return f"trained in {self.args.output_dir}"


HISTORY = [{"epoch": 1.0, "eval_f1": 0.2}, {"epoch": 2.0, "eval_f1": 0.5}, {"epoch": 3.0, "eval_f1": 0.4}]


@pytest.fixture()
def stand_in_trainers(monkeypatch):
    """Replace new_trainer: returns (built, clock) where built lists each call's arguments and its trainer."""
    clock, built = [100.0], []

    def new_trainer(*args, **settings):
        trainer = StandInTrainer(clock, args[5], seconds=7.0 if not built else 2.0, log_history=HISTORY if not built else ())
        built.append((args, settings, trainer))
        return trainer

    monkeypatch.setattr(training, "new_trainer", new_trainer)
    monkeypatch.setattr("time.perf_counter", lambda: clock[0])
    return built, clock


def test_fine_tune_builds_trains_and_times_the_run_and_the_final_fit(stand_in_trainers, tmp_path, capsys):
    from datasets import Dataset

    built, _ = stand_in_trainers
    train, validation = Dataset.from_dict({"x": [1, 2, 3]}), Dataset.from_dict({"x": [4, 5]})
    phases = []
    run = training.fine_tune("ckpt", ["O", "B-x"], "tok", train, validation, tmp_path, freeze_word_embeddings=True,
                             final_fit=True, prepare=lambda trainer, phase: phases.append((trainer, phase)), seed=3, num_train_epochs=3)
    (first_args, first_settings, first), (final_args, final_settings, final) = built
    assert first_args == ("ckpt", ["O", "B-x"], "tok", train, validation, tmp_path, True) and first_settings == {"seed": 3, "num_train_epochs": 3}
    assert final_args[:3] == ("ckpt", ["O", "B-x"], "tok") and final_args[3]["x"] == [1, 2, 3, 4, 5]
    assert final_args[4:] == (None, tmp_path / "final-fit", True)
    assert final_settings == {"seed": 3, "num_train_epochs": 2, "eval_strategy": "no", "save_strategy": "no", "load_best_model_at_end": False}
    assert phases == [(first, "fit"), (final, "final-fit")]
    assert first.resumed_from == [None] and final.resumed_from == [None]
    assert (run.trainer, run.validated, run.train_result) == (final, first, f"trained in {tmp_path}")
    assert run.log_history == HISTORY and run.best_checkpoint == f"{tmp_path}/checkpoint-4"
    assert (run.chosen_epochs, run.train_seconds) == (2, 9.0)  # epoch 2 has the best F1; 7 s + 2 s on the fake clock
    [line] = capsys.readouterr().out.splitlines()
    assert "final fit" in line and " 2 " in line  # the epochs chosen


def test_fine_tune_without_a_final_fit_keeps_the_validated_run(stand_in_trainers, tmp_path, capsys):
    built, _ = stand_in_trainers
    run = training.fine_tune("ckpt", ["O"], "tok", "train", "validation", tmp_path, final_fit_dir=tmp_path / "unused")
    assert len(built) == 1 and built[0][0][6] is False  # freeze_word_embeddings defaults to False
    assert run.trainer is run.validated is built[0][2]
    assert (run.chosen_epochs, run.train_seconds) == (None, 7.0)
    assert capsys.readouterr().out == ""


def one_row(value):
    from datasets import Dataset

    return Dataset.from_dict({"x": [value]})


def test_fine_tune_final_fit_dir_is_used_when_given(stand_in_trainers, tmp_path):
    built, _ = stand_in_trainers
    training.fine_tune("ckpt", ["O"], "tok", one_row(1), one_row(2), tmp_path, final_fit=True, final_fit_dir=tmp_path / "elsewhere")
    assert built[1][0][5] == tmp_path / "elsewhere"


def test_fine_tune_resumes_from_the_last_checkpoint_of_its_output_dir(stand_in_trainers, tmp_path, monkeypatch, capsys):
    built, _ = stand_in_trainers
    asked = []
    monkeypatch.setattr("transformers.trainer_utils.get_last_checkpoint", lambda folder: asked.append(folder) or f"{folder}/checkpoint-8")
    training.fine_tune("ckpt", ["O"], "tok", "train", "validation", tmp_path / "out", resume_from_checkpoint=True)
    assert asked == [str(tmp_path / "out")]
    assert built[0][2].resumed_from == [f"{tmp_path / 'out'}/checkpoint-8"]
    [line] = capsys.readouterr().out.splitlines()
    assert line.endswith(f"{tmp_path / 'out'}/checkpoint-8")  # the checkpoint resumed from


def test_fine_tune_resuming_without_a_checkpoint_names_the_folder(stand_in_trainers, tmp_path, monkeypatch):
    monkeypatch.setattr("transformers.trainer_utils.get_last_checkpoint", lambda folder: None)
    with pytest.raises(FileNotFoundError) as failure:
        training.fine_tune("ckpt", ["O"], "tok", "train", "validation", tmp_path, resume_from_checkpoint=True)
    assert str(tmp_path) in str(failure.value) and "resume_from_checkpoint=False" in str(failure.value)  # where, way out


def test_fine_tune_prints_only_in_the_main_process(monkeypatch, tmp_path, capsys):
    """Under torchrun every process runs fine_tune: only the main one prints (is_world_process_zero)."""
    clock = [0.0]
    monkeypatch.setattr(training, "new_trainer", lambda *args, **settings: StandInTrainer(clock, args[5], 1.0, HISTORY, main_process=False))
    monkeypatch.setattr("transformers.trainer_utils.get_last_checkpoint", lambda folder: f"{folder}/checkpoint-8")
    training.fine_tune("ckpt", ["O"], "tok", one_row(1), one_row(2), tmp_path, resume_from_checkpoint=True, final_fit=True)
    assert capsys.readouterr().out == ""


def test_new_trainer_seeds_then_loads_the_model_then_builds_the_trainer(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("transformers.set_seed", lambda seed: calls.append(("seed", seed)))
    monkeypatch.setattr("ner_helpers.models.load_token_classifier",
                        lambda checkpoint, labels, freeze: calls.append(("load", checkpoint, labels, freeze)) or "model")
    monkeypatch.setattr(training, "build_trainer", lambda model, args, *rest: calls.append(("build", model, args.output_dir,
                                                                                             args.learning_rate, *rest)) or "trainer")
    assert training.new_trainer("ckpt", ["O"], "tok", "train", "validation", tmp_path, True, seed=7, learning_rate=0.01) == "trainer"
    assert calls == [("seed", 7), ("load", "ckpt", ["O"], True), ("build", "model", str(tmp_path), 0.01, "tok", "train", "validation", ["O"])]
    calls.clear()
    training.new_trainer("ckpt", ["O"], "tok", "train", None, tmp_path)
    assert calls[:2] == [("seed", 42), ("load", "ckpt", ["O"], False)]  # the default seed, and every weight trained
