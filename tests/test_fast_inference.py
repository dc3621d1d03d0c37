"""Faster CPU inference: bf16 by the same "auto" rule as training (faked detection), int8 that still predicts."""
from __future__ import annotations

import pytest
import torch

from ner_helpers import fast_inference


@pytest.mark.parametrize("native", [True, False])
def test_bf16_auto_follows_the_detection(monkeypatch, capsys, native):
    monkeypatch.setattr(fast_inference, "cpu_has_native_bf16", lambda: native)
    assert fast_inference.use_cpu_bf16("auto") is native
    printed = capsys.readouterr().out
    assert ("bf16 autocast" if native else "fp32") in printed and "cpu_bf16='auto'" in printed


def test_bf16_forced_on_an_emulating_cpu_warns(monkeypatch):
    monkeypatch.setattr(fast_inference, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="emulated"):
        assert fast_inference.use_cpu_bf16(True, verbose=False) is True


def test_bf16_setting_must_be_known():
    with pytest.raises(ValueError) as error:
        fast_inference.use_cpu_bf16("yes")
    assert all(fact in str(error.value) for fact in ("cpu_bf16", "True", "False", "'auto'", "'yes'"))


def test_int8_copy_predicts_close_to_fp32_and_leaves_the_model_alone(tiny_model, tiny_tokenizer):
    inputs = tiny_tokenizer(["Paris is in France", "hello"], return_tensors="pt", padding=True)
    with torch.inference_mode():
        before = tiny_model(**inputs).logits
        quantized = fast_inference.quantize_int8(tiny_model)
        after = quantized(**inputs).logits
    assert isinstance(tiny_model.classifier, torch.nn.Linear)  # the original is untouched
    assert not isinstance(quantized.classifier, torch.nn.Linear)
    assert after.shape == before.shape
    assert torch.allclose(after, before, atol=0.2 * before.abs().max().item())
