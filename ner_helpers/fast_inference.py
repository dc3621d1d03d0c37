"""Faster inference on a CPU: bf16 only where native, dynamic int8, and a texts/s and F1 check.

Taught in notebook 05_inference ("Faster inference on a CPU") and measured by `make bench`.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any, Iterator, Sequence

import torch

from .hardware import cpu_bf16_choice, cpu_has_native_bf16


def use_cpu_bf16(cpu_bf16: bool | str = "auto", verbose: bool = True) -> bool:
    """Whether inference on the CPU should run under bf16 autocast, by the rule training uses (`hardware.cpu_bf16_choice`).

    "auto": only where the CPU computes bf16 natively; True on a CPU without it warns (emulated bf16
    is several times slower than fp32). Prints one line saying which and why.
    """
    on, why, warning = cpu_bf16_choice(cpu_bf16, cpu_has_native_bf16(), "inference")
    if warning:
        warnings.warn(warning, stacklevel=2)
    if verbose:
        print(f"inference precision: {'bf16 autocast' if on else 'fp32'} ({why})")
    return on


def cpu_autocast(enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on the CPU when `enabled`, else nothing (fp32)."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def quantize_int8(model: Any) -> Any:
    """A copy of `model` whose Linear layers hold int8 weights (dynamic quantization, CPU only).

    Activations are quantized on the fly per batch, so no calibration data is needed.
    """
    import copy

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch 2.10+ announces the move of quantization to torchao; the dynamic path still works.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        return quantize_dynamic(copy.deepcopy(model).cpu().eval(), {torch.nn.Linear}, dtype=torch.qint8)


def _batches(dataset: Any, batch_size: int) -> Iterator[Any]:
    for start in range(0, len(dataset), batch_size):
        yield dataset[start : start + batch_size]


def time_and_score(
    model: Any,
    tokenized: Any,
    tokenizer: Any,
    label_names: Sequence[str],
    batch_size: int = 32,
    bf16: bool = False,
) -> dict[str, float]:
    """Texts per second and entity scores of `model` on a tokenized, labelled split (CPU).

    The split is read in length order (little padding), `batch_size` texts per forward pass; the
    clock covers padding, the forward pass and the argmax, i.e. everything after tokenization.
    """
    from transformers import DataCollatorForTokenClassification

    from .metrics import compute_entity_metrics, ids_to_tags

    collate = DataCollatorForTokenClassification(tokenizer=tokenizer)
    columns = [c for c in ("input_ids", "attention_mask", "token_type_ids", "labels") if c in tokenized.column_names]
    lengths = [len(ids) for ids in tokenized["input_ids"]]
    ordered = tokenized.select(sorted(range(len(lengths)), key=lengths.__getitem__)).select_columns(columns)
    predicted: list[list[str]] = []
    gold: list[list[str]] = []
    model.eval()
    start = time.perf_counter()
    with torch.inference_mode(), cpu_autocast(bf16):
        for rows in _batches(ordered, batch_size):
            features = [dict(zip(rows, values)) for values in zip(*rows.values())]
            batch = collate(features)
            labels = batch.pop("labels")
            logits = model(**batch).logits
            batch_predicted, batch_gold = ids_to_tags(logits.argmax(-1).numpy(), labels.numpy(), label_names)
            predicted.extend(batch_predicted)
            gold.extend(batch_gold)
    seconds = time.perf_counter() - start
    scores = compute_entity_metrics(predicted, gold)
    return {"texts_per_second": len(ordered) / seconds, "f1": float(scores["f1"]), "seconds": seconds}
