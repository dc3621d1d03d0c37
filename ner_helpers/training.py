"""Training arguments and Trainer for token classification, as notebook 03_train teaches them."""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from .hardware import cpu_bf16_choice, cpu_has_native_bf16, gpu_has_native_bf16
from .metrics import build_compute_metrics


def mixed_precision(cpu_bf16: bool | str = False, verbose: bool = True) -> dict[str, bool]:
    """The precision arguments of TrainingArguments for this machine.

    GPU: bf16 where it is native (compute capability >= 8.0), fp16 on other CUDA GPUs.
    CPU: bf16 autocast when `cpu_bf16` is True, or "auto" and the CPU has native bf16; else fp32.
    Prints one line saying which and why (`verbose=False` to keep quiet).
    """
    on, why, warning = cpu_bf16_choice(cpu_bf16, cpu_has_native_bf16(), "training")  # refuses a bad value on a GPU too
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        choice, why = ("bf16", "native bf16") if gpu_has_native_bf16() else ("fp16", "no native bf16 on this GPU")
        _say(verbose, f"precision: {choice} on {name} ({why})")
        return {"bf16": choice == "bf16", "fp16": choice == "fp16"}
    if warning:
        warnings.warn(warning, stacklevel=2)
    _say(verbose, f"precision: {'bf16 autocast' if on else 'fp32'} on the CPU ({why})")
    return {"bf16": True, "fp16": False, "use_cpu": True} if on else {"bf16": False, "fp16": False}


def _say(verbose: bool, line: str) -> None:
    if verbose:
        print(line)


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
    cpu_bf16: bool | str = False,
    push_to_hub: bool = False,
    hub_model_id: str | None = None,
    report_to: str = "none",
    **overrides: Any,
) -> Any:
    """The guide's TrainingArguments by default: evaluate and save each epoch, keep the best by F1.

    `warmup_steps` below 1 is a fraction of the training steps (transformers 5). Mixed precision
    is chosen by `mixed_precision` (GPU: bf16 or fp16; CPU: bf16 only where native, with `cpu_bf16='auto'`). Nothing is pushed
    to the Hub unless `push_to_hub=True`. `report_to="tensorboard"` logs to TensorBoard, in the folder that the
    TENSORBOARD_LOGGING_DIR environment variable names (else `output_dir`/runs), as notebook 03 sets it.
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
        save_total_limit=1,  # while training: the latest checkpoint (to resume) and the best; at the end only the best
        seed=seed,
        data_seed=seed,
        push_to_hub=push_to_hub,
        hub_model_id=hub_model_id,
        report_to=report_to,
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
    compute_metrics: Any | None = None,
) -> Any:
    """`Trainer` with dynamic padding of inputs and labels and entity-level metrics.

    `compute_metrics` defaults to `metrics.build_compute_metrics(label_names)` (notebook 03 defines its own).
    """
    from transformers import DataCollatorForTokenClassification, Trainer

    return Trainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        data_collator=DataCollatorForTokenClassification(tokenizer=tokenizer),
        compute_metrics=compute_metrics or build_compute_metrics(label_names),
        callbacks=callbacks,
    )


# Notebook 03's parameters that its TrainingArguments cell reads (the others choose the model, the data and what
# happens around the training).
TRAINING_PARAMETERS = (
    "learning_rate", "per_device_train_batch_size", "num_train_epochs", "weight_decay", "warmup_steps",
    "train_sampling_strategy", "seed", "cpu_bf16", "push_to_hub", "hub_model_id", "report_to",
)


def training_settings(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `training_arguments` that notebook 03's parameters give, as its
    TrainingArguments cell passes them: those of TRAINING_PARAMETERS present in `parameters`, and
    validation batches as large as training batches.
    """
    settings = {name: parameters[name] for name in TRAINING_PARAMETERS if name in parameters}
    if "per_device_train_batch_size" in settings:
        settings["per_device_eval_batch_size"] = settings["per_device_train_batch_size"]
    return settings


def new_trainer(model_checkpoint: str, label_names: Sequence[str], tokenizer: Any, train_dataset: Any, eval_dataset: Any,
                output_dir: str | os.PathLike, freeze_word_embeddings: bool = False, **settings: Any) -> Any:
    """A `Trainer` of a freshly loaded model: the seed set first (it draws the new head's weights), then
    `models.load_token_classifier`, `training_arguments(output_dir, **settings)` and `build_trainer`."""
    from transformers import set_seed

    from .models import load_token_classifier

    set_seed(settings.get("seed", 42))
    model = load_token_classifier(model_checkpoint, label_names, freeze_word_embeddings)
    return build_trainer(model, training_arguments(output_dir, **settings), tokenizer, train_dataset, eval_dataset, label_names)


@dataclass
class TrainingRun:
    """What `fine_tune` did: `trainer` holds the model to keep (the final fit's, with a final fit),
    `validated` the run on the training split that was scored on validation."""

    trainer: Any
    validated: Any
    train_result: Any  # `validated.train()`'s output
    log_history: list[dict[str, Any]]  # of the validated run: the one notebook 04 plots
    best_checkpoint: str | None
    chosen_epochs: int | None  # the best epoch on validation, which a final fit trains; None without one
    train_seconds: float  # both runs, with a final fit


def fine_tune(
    model_checkpoint: str,
    label_names: Sequence[str],
    tokenizer: Any,
    train_dataset: Any,
    eval_dataset: Any,
    output_dir: str | os.PathLike,
    *,
    freeze_word_embeddings: bool = False,
    resume_from_checkpoint: bool = False,
    final_fit: bool = False,
    final_fit_dir: str | os.PathLike | None = None,
    prepare: Callable[[Any, str], None] | None = None,
    **settings: Any,
) -> TrainingRun:
    """Notebook 03's training in one call, for the tools that train without the notebook (`ner_helpers.distributed_training`,
    `make bench`) and the exercises' scratch runs; the notebook writes the same steps out in its own cells.

    Trains a fresh model on `train_dataset`, scored on `eval_dataset` as `settings` (keyword arguments of
    `training_arguments`, e.g. `training_settings(parameters)`) say; `resume_from_checkpoint` continues from
    the last checkpoint in `output_dir`. With `final_fit`, the best epoch on validation is then trained
    again from the pretrained encoder on train + validation (in `final_fit_dir`, default
    `output_dir`/final-fit). `prepare(trainer, "fit" or "final-fit")` is called on each Trainer before it trains.
    """
    import time

    from datasets import concatenate_datasets
    from transformers.trainer_utils import get_last_checkpoint

    trainer = new_trainer(model_checkpoint, label_names, tokenizer, train_dataset, eval_dataset, output_dir,
                          freeze_word_embeddings, **settings)
    if prepare:
        prepare(trainer, "fit")
    resume = None
    if resume_from_checkpoint:
        resume = get_last_checkpoint(trainer.args.output_dir)
        if resume is None:
            raise FileNotFoundError(f"resume_from_checkpoint=True, but {trainer.args.output_dir} holds no checkpoint: "
                                    "run with resume_from_checkpoint=False.")
        _say(trainer.is_world_process_zero(), f"resuming from {resume}")
    start = time.perf_counter()
    train_result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - start
    validated, chosen = trainer, None
    if final_fit:
        chosen = best_epoch(validated.state.log_history)
        _say(trainer.is_world_process_zero(), f"final fit: {chosen} epoch(s) on train + validation")
        trainer = new_trainer(
            model_checkpoint, label_names, tokenizer, concatenate_datasets([train_dataset, eval_dataset]), None,
            final_fit_dir or Path(output_dir) / "final-fit", freeze_word_embeddings,
            **{**settings, "num_train_epochs": chosen, "eval_strategy": "no", "save_strategy": "no",
               "load_best_model_at_end": False},
        )
        if prepare:
            prepare(trainer, "final-fit")
        start = time.perf_counter()
        trainer.train()
        seconds += time.perf_counter() - start
    return TrainingRun(trainer, validated, train_result, validated.state.log_history,
                       validated.state.best_model_checkpoint, chosen, seconds)


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


# The guide's recipe, and the checkpoints known to need another one (measured on WNUT 17, see README).
# params/offline-minilm.yaml gives the same values to `make run OFFLINE=1` (the installed package has no params/
# folder to read): tests/test_training.py fails when the two disagree.
GUIDE_RECIPE = {"learning_rate": 2e-5, "num_train_epochs": 2}
CHECKPOINT_RECIPES = {
    "offline-minilm": {
        "learning_rate": 1e-4,
        "num_train_epochs": 3,
        "why": "this 6-layer, 22M-parameter encoder learns too slowly at the guide's 2e-5: on WNUT 17, 2e-5 for "
        "2 epochs gave a validation entity F1 of 0.237, 1e-4 for 3 epochs 0.566 (params/offline-minilm.yaml)",
    },
}


def recipe_for(model_checkpoint: str, learning_rate: float | None, num_train_epochs: float | None) -> tuple[float, float]:
    """The learning rate and epochs to train with: the values given, or for None the checkpoint's recipe.

    None means the guide's 2e-5 and 2 epochs, except for a checkpoint in CHECKPOINT_RECIPES (the
    offline encoder), which gets its own measured recipe. Prints what was chosen and why, and warns
    when a known checkpoint is given the guide's values, which it does not learn well with.
    """
    recipe = CHECKPOINT_RECIPES.get(str(model_checkpoint))
    chosen = {}
    for name, given in (("learning_rate", learning_rate), ("num_train_epochs", num_train_epochs)):
        if given is not None:
            chosen[name] = given
            continue
        chosen[name] = recipe[name] if recipe else GUIDE_RECIPE[name]
        source = f"the recipe for {model_checkpoint}" if recipe else "the guide's"
        print(f"{name}=None: {chosen[name]:g}, {source}")
    if recipe:
        if learning_rate is None or num_train_epochs is None:
            print(f"why: {recipe['why']}")
        elif learning_rate <= GUIDE_RECIPE["learning_rate"] and num_train_epochs <= GUIDE_RECIPE["num_train_epochs"]:
            warnings.warn(
                f"learning_rate={learning_rate:g} and num_train_epochs={num_train_epochs:g} with {model_checkpoint}: "
                f"{recipe['why']}. Set both to None to use {recipe['learning_rate']:g} and {recipe['num_train_epochs']:g}.",
                stacklevel=2,
            )
    return chosen["learning_rate"], chosen["num_train_epochs"]
