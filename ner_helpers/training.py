"""Training arguments and Trainer for token classification, as notebook 03_train teaches them."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import torch

from .metrics import build_compute_metrics


def mixed_precision(cpu_bf16: bool = False) -> dict[str, bool]:
    """bf16 on GPUs that support it, fp16 on other GPUs; on the CPU full precision, or bf16 if asked.

    bf16 autocast on the CPU pays off on processors with native bf16 (AVX512-BF16, AMX): on the
    2-core AMD EPYC of the benchmark it trained 1.3 to 1.8 times faster (see README, Benchmark).
    """
    if not torch.cuda.is_available():
        return {"bf16": True, "fp16": False, "use_cpu": True} if cpu_bf16 else {"bf16": False, "fp16": False}
    if torch.cuda.is_bf16_supported():
        return {"bf16": True, "fp16": False}
    return {"bf16": False, "fp16": True}


def training_arguments(
    output_dir: str | os.PathLike,
    *,
    learning_rate: float = 2e-5,
    per_device_train_batch_size: int = 16,
    per_device_eval_batch_size: int = 16,
    num_train_epochs: float = 2,
    weight_decay: float = 0.01,
    warmup_steps: float = 0,
    lr_scheduler_type: str = "linear",
    train_sampling_strategy: str = "random",
    seed: int = 42,
    cpu_bf16: bool = False,
    push_to_hub: bool = False,
    hub_model_id: str | None = None,
    **overrides: Any,
) -> Any:
    """The guide's TrainingArguments by default: evaluate and save each epoch, keep the best by F1.

    `warmup_steps` below 1 is a fraction of the training steps (transformers 5). Mixed precision
    is switched on when a GPU is present (and on the CPU with `cpu_bf16=True`). Nothing is pushed
    to the Hub unless `push_to_hub=True`.
    """
    from transformers import TrainingArguments

    arguments = dict(
        output_dir=str(output_dir),
        learning_rate=learning_rate,
        per_device_train_batch_size=per_device_train_batch_size,
        per_device_eval_batch_size=per_device_eval_batch_size,
        num_train_epochs=num_train_epochs,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        lr_scheduler_type=lr_scheduler_type,
        train_sampling_strategy=train_sampling_strategy,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="f1",
        greater_is_better=True,
        save_total_limit=2,
        seed=seed,
        data_seed=seed,
        push_to_hub=push_to_hub,
        hub_model_id=hub_model_id,
        report_to="none",
        dataloader_pin_memory=torch.cuda.is_available(),
        disable_tqdm=bool(os.environ.get("CI")),
        **mixed_precision(cpu_bf16),
    )
    arguments.update(overrides)
    return TrainingArguments(**arguments)


def build_trainer(
    model: Any,
    args: Any,
    tokenizer: Any,
    train_dataset: Any,
    eval_dataset: Any,
    label_names: Sequence[str],
    callbacks: list[Any] | None = None,
) -> Any:
    """`Trainer` with dynamic padding of inputs and labels and entity-level metrics."""
    from transformers import DataCollatorForTokenClassification, Trainer

    return Trainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        data_collator=DataCollatorForTokenClassification(tokenizer=tokenizer),
        compute_metrics=build_compute_metrics(label_names),
        callbacks=callbacks,
    )


def best_epoch(log_history: Sequence[dict[str, Any]], metric: str = "eval_f1") -> int:
    """The epoch with the best validation score in a Trainer log history (the earliest on ties)."""
    scored = [(entry[metric], -entry["epoch"]) for entry in log_history if metric in entry]
    if not scored:
        raise ValueError(f"The log history holds no {metric}: train with evaluation on a validation split first.")
    return int(round(-max(scored)[1]))


def save_log_history(log_history: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Write a Trainer log history (loss and validation scores per epoch) as JSON for notebook 04."""
    path = Path(path)
    path.write_text(json.dumps(list(log_history), indent=1))
    return path
