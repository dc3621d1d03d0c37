"""Precision chosen for the machine: bf16 only where it is native, on the GPU and on the CPU (faked devices)."""
from __future__ import annotations

import pytest
import torch

from ner_helpers import training


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
    with pytest.raises(ValueError, match="'auto'"):
        training.mixed_precision("yes")


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


@pytest.mark.parametrize("native, line", [
    (True, "precision: bf16 on fake GPU (native bf16)"), (False, "precision: fp16 on fake GPU (no native bf16 on this GPU)"),
])
def test_gpu_line_names_the_first_gpu_and_why(monkeypatch, capsys, native, line):
    asked = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: asked.append(index) or "fake GPU")
    monkeypatch.setattr(training, "gpu_has_native_bf16", lambda: native)
    training.mixed_precision()
    assert capsys.readouterr().out == line + "\n" and asked == [0]


@pytest.mark.parametrize("setting, native, line", [
    ("auto", True, "precision: bf16 autocast on the CPU (cpu_bf16='auto': this CPU has native bf16)"),
    ("auto", False, "precision: fp32 on the CPU (cpu_bf16='auto': this CPU has no native bf16 (AVX512-BF16/AMX))"),
    (True, True, "precision: bf16 autocast on the CPU (cpu_bf16=True)"),
    (False, True, "precision: fp32 on the CPU (cpu_bf16=False)"),
])
def test_cpu_line_says_which_precision_and_why(cpu_only, monkeypatch, capsys, setting, native, line):
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: native)
    training.mixed_precision(cpu_bf16=setting)
    assert capsys.readouterr().out == line + "\n"


def test_forced_cpu_bf16_warning_is_whole_and_points_at_the_caller(cpu_only, monkeypatch):
    from test_recipe import warning_caller

    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning) as record:
        training.mixed_precision(cpu_bf16=True, verbose=False)
    assert str(record[0].message) == (
        "cpu_bf16=True on a CPU without native bf16 (no AVX512-BF16 or AMX): bf16 is emulated and "
        "training will be several times slower than fp32. Use cpu_bf16='auto' or False."
    )
    assert record[0].filename.endswith(warning_caller(training, __file__))


def test_training_arguments_pass_the_schedule_and_report_nowhere(cpu_only, tmp_path):
    args = training.training_arguments(tmp_path, lr_scheduler_type="cosine")
    assert args.lr_scheduler_type == "cosine" and args.report_to in ([], "none", ["none"])
