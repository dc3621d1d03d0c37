"""Train as notebook 03 does, without the notebook, on one process or data-parallel on several.

    python -m repo_tools.train --params P.yaml --artifacts-dir A                    # one process
    torchrun --standalone --nproc_per_node 2 -m repo_tools.train --params P.yaml --artifacts-dir A
    accelerate launch --num_processes 2 -m repo_tools.train --params P.yaml --artifacts-dir A

It reads what notebook 02 wrote under the artifacts folder (tokenized data, `preprocess.json`), takes
notebook 03's parameters from a YAML file (the one papermill and `make run PARAMS=...` take), and
writes what notebook 03 writes (`model/`, `log_history.json`), so notebooks 04 and 05 read its output
unchanged; it adds `train_metrics.json` (the training summary, the number of processes, the time).
Under a launcher, `Trainer` trains data-parallel (DDP: gloo on CPUs, NCCL on GPUs) and only the
process of rank 0 writes. `train()` is the function `accelerate.notebook_launcher` calls.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
TRAIN_NOTEBOOK = NOTEBOOK_DIR / "03_train.ipynb"

# Notebook 03's parameters and their defaults (a test checks that they equal its `parameters` cell).
# `artifacts_dir` is given on its own, by --artifacts-dir.
DEFAULTS: dict[str, Any] = {
    "model_checkpoint": None,
    "num_train_epochs": None,
    "learning_rate": None,
    "per_device_train_batch_size": 16,
    "weight_decay": 0.01,
    "warmup_steps": 0.0,
    "train_sampling_strategy": "random",
    "seed": 42,
    "cpu_bf16": False,
    "freeze_word_embeddings": False,
    "resume_from_checkpoint": False,
    "final_fit": False,
    "push_to_hub": False,
    "hub_model_id": None,
}


class ParameterError(ValueError):
    """A parameter file the training entry point cannot use; the message says what to change."""


def notebook_parameter_names(notebook_dir: Path = NOTEBOOK_DIR) -> set[str]:
    """The names every notebook declares in its `parameters` cell (read from the notebook files)."""
    import papermill

    names: set[str] = set()
    for path in sorted(notebook_dir.glob("0*.ipynb")):
        names |= set(papermill.inspect_notebook(str(path)))
    return names


def load_parameters(path: str | os.PathLike | None) -> tuple[dict[str, Any], list[str]]:
    """Notebook 03's parameters: its defaults, overridden by the YAML file at `path`.

    Keys that other notebooks declare (`data_dir`, `max_train_samples`, ...) are ignored, as papermill
    ignores them in notebook 03, and returned as the second value; any other key is an error.
    """
    parameters = dict(DEFAULTS)
    if path is None:
        return parameters, []
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"Parameter file {path} not found: give the YAML file of notebook parameters, "
                             "e.g. --params params/offline-minilm.yaml.")
    given = yaml.safe_load(path.read_text()) or {}
    if not isinstance(given, dict):
        raise ParameterError(f"{path} must hold a mapping of notebook parameters (name: value), not {type(given).__name__}.")
    others = notebook_parameter_names() if NOTEBOOK_DIR.is_dir() else set()
    unknown = sorted(k for k in given if k not in DEFAULTS and k not in others and k != "artifacts_dir")
    if unknown:
        raise ParameterError(
            f"{path}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a parameter of any notebook. "
            f"Notebook 03 takes: {', '.join(DEFAULTS)}. Check the spelling."
        )
    parameters.update({k: v for k, v in given.items() if k in DEFAULTS})
    return parameters, sorted(k for k in given if k not in DEFAULTS)


def fingerprint(input_ids: Any) -> str:
    """A short, stable name for one tokenized sentence (the hash of its token ids)."""
    ids = [int(i) for i in input_ids]
    return hashlib.sha1(json.dumps(ids).encode()).hexdigest()[:16]


class SampleRecorder:
    """Wraps the data collator and writes, per process, which sentences each batch holds.

    Diagnostic only (`--record-samples DIR`): it shows that every process trains on its own shard.
    Writes DIR/samples-rank{R}.jsonl, one line per batch: rank, run, phase (train or eval), epoch,
    and the fingerprints of the sentences (padding tokens are not in the features, so they are not hashed).
    """

    def __init__(self, collator: Any, out_dir: Path, rank: int, run: str) -> None:
        self.collator, self.rank, self.run = collator, rank, run
        self.phase, self.epoch = "eval", 0
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / f"samples-rank{rank}.jsonl"

    def __call__(self, features: list[dict[str, Any]]) -> Any:
        line = {"rank": self.rank, "run": self.run, "phase": self.phase, "epoch": self.epoch,
                "samples": [fingerprint(f["input_ids"]) for f in features]}
        with self.path.open("a") as out:
            out.write(json.dumps(line) + "\n")
        return self.collator(features)

    def callback(self) -> Any:
        """A callback that marks the training part of each epoch (evaluation runs after on_epoch_end)."""
        from transformers import TrainerCallback

        recorder = self

        class MarkPhase(TrainerCallback):
            def on_epoch_begin(self, args, state, control, **kwargs):
                recorder.phase, recorder.epoch = "train", round(state.epoch or 0) + 1

            def on_epoch_end(self, args, state, control, **kwargs):
                recorder.phase = "eval"

        return MarkPhase()


def _say(*parts: Any) -> None:
    """Print once, from the process of rank 0 (every process runs the same code)."""
    if int(os.environ.get("RANK", "0")) == 0:
        print(*parts, flush=True)


def train(parameters: dict[str, Any], artifacts_dir: str | os.PathLike, record_samples: str | None = None) -> dict[str, Any]:
    """Notebook 03's training from its parameters and notebook 02's artifacts; returns the summary.

    Runs the same on one process and on each process of a data-parallel launch (torchrun,
    accelerate launch, accelerate.notebook_launcher): `Trainer` sees the launcher's environment,
    wraps the model in DDP and gives each process its own share of every batch. Only rank 0 writes
    `model/`, `log_history.json` and `train_metrics.json` under `artifacts_dir`.
    """
    from datasets import concatenate_datasets, load_from_disk
    from transformers import set_seed
    from transformers.trainer_utils import get_last_checkpoint

    from ner_helpers.artifacts import require_artifact, resolve_artifacts_dir
    from ner_helpers.models import load_token_classifier, load_tokenizer
    from ner_helpers.training import best_epoch, build_trainer, recipe_for, save_log_history, training_arguments

    from .runner import machine_info

    start = time.perf_counter()
    p = {**DEFAULTS, **parameters}
    artifacts_dir = Path(resolve_artifacts_dir(artifacts_dir))
    tokenized_path = require_artifact(artifacts_dir, "tokenized")
    settings = json.loads(require_artifact(artifacts_dir, "preprocess.json").read_text())
    model_checkpoint = p["model_checkpoint"] or settings["model_checkpoint"]
    label_names = settings["label_names"]

    set_seed(p["seed"])
    tokenizer = load_tokenizer(model_checkpoint)
    model = load_token_classifier(model_checkpoint, label_names, p["freeze_word_embeddings"])
    learning_rate, num_train_epochs = recipe_for(model_checkpoint, p["learning_rate"], p["num_train_epochs"])
    common = dict(
        learning_rate=learning_rate, per_device_train_batch_size=p["per_device_train_batch_size"],
        per_device_eval_batch_size=p["per_device_train_batch_size"],  # as notebook 03's TrainingArguments
        weight_decay=p["weight_decay"], warmup_steps=p["warmup_steps"],
        train_sampling_strategy=p["train_sampling_strategy"], seed=p["seed"], cpu_bf16=p["cpu_bf16"],
    )
    common.update(distributed_overrides())
    args = training_arguments(
        artifacts_dir / "checkpoints", num_train_epochs=num_train_epochs,
        push_to_hub=p["push_to_hub"], hub_model_id=p["hub_model_id"], **common,
    )
    world_size, rank = args.world_size, args.process_index  # reading them sets up the process group
    check_one_process_group(world_size)
    backend = _backend()
    print(f"rank {rank} of {world_size}: device {args.device}, backend {backend}, pid {os.getpid()}", flush=True)
    global_batch = world_size * p["per_device_train_batch_size"] * args.gradient_accumulation_steps
    _say(f"global batch: {world_size} process(es) x {p['per_device_train_batch_size']} sentences = {global_batch}; "
         f"learning rate {learning_rate:g} (not scaled with the number of processes)")

    tokenized = load_from_disk(tokenized_path)
    recorder = None
    trainer = build_trainer(model, args, tokenizer, tokenized["train"], tokenized["validation"], label_names)
    if record_samples:
        recorder = SampleRecorder(trainer.data_collator, Path(record_samples), rank, "fit")
        trainer.data_collator = recorder
        trainer.add_callback(recorder.callback())

    resume = None
    if p["resume_from_checkpoint"]:
        resume = get_last_checkpoint(args.output_dir)
        if resume is None:
            raise FileNotFoundError(f"resume_from_checkpoint=True, but {args.output_dir} holds no checkpoint: "
                                    "run with resume_from_checkpoint=False.")
        _say("resuming from", resume)
    train_result = trainer.train(resume_from_checkpoint=resume)
    log_history = trainer.state.log_history
    best_checkpoint = trainer.state.best_model_checkpoint

    if p["final_fit"]:
        epochs = best_epoch(log_history)
        _say(f"final fit: {epochs} epoch(s) on train + validation")
        set_seed(p["seed"])
        final_args = training_arguments(
            artifacts_dir / "final-fit", num_train_epochs=epochs, eval_strategy="no", save_strategy="no",
            load_best_model_at_end=False, **common,
        )
        trainer = build_trainer(
            load_token_classifier(model_checkpoint, label_names, p["freeze_word_embeddings"]), final_args, tokenizer,
            concatenate_datasets([tokenized["train"], tokenized["validation"]]), None, label_names,
        )
        if recorder:
            recorder = SampleRecorder(trainer.data_collator, Path(record_samples), rank, "final-fit")
            trainer.data_collator = recorder
            trainer.add_callback(recorder.callback())
        trainer.train()  # log_history still holds the first run, the one notebook 04 plots

    summary = {
        "train": train_result.metrics,
        "best_epoch": best_epoch(log_history) if any("eval_f1" in e for e in log_history) else None,
        "best_validation_f1": max((e["eval_f1"] for e in log_history if "eval_f1" in e), default=None),
        "best_checkpoint": best_checkpoint,
        "final_fit": bool(p["final_fit"]),
        "world_size": world_size,
        "backend": backend,
        "learning_rate": learning_rate,
        "num_train_epochs": num_train_epochs,
        "per_device_train_batch_size": p["per_device_train_batch_size"],
        "global_train_batch_size": global_batch,
        "parameters": p,
        "seconds": None,
        "machine": machine_info(),
    }
    model_dir = artifacts_dir / "model"
    trainer.save_model(model_dir)  # rank 0 writes (Trainer checks args.should_save); saves the tokenizer too
    if trainer.is_world_process_zero():
        save_log_history(log_history, artifacts_dir / "log_history.json")
        summary["seconds"] = round(time.perf_counter() - start, 1)
        (artifacts_dir / "train_metrics.json").write_text(json.dumps(summary, indent=1, default=str))
        print("best checkpoint:", best_checkpoint or "the final fit")
        print("saved to", model_dir, "| log:", artifacts_dir / "log_history.json",
              "| metrics:", artifacts_dir / "train_metrics.json", flush=True)
    if p["push_to_hub"]:  # every process calls it; Trainer uploads from rank 0 only
        _say(trainer.push_to_hub())
    trainer.accelerator.wait_for_everyone()  # no process leaves while rank 0 still writes
    return summary


def distributed_overrides() -> dict[str, Any]:
    """TrainingArguments for data-parallel training (several processes); none for one process.

    Without `use_cpu=True`, accelerate (1.15) joins CPU processes into one group only when told they
    are CPU processes: under torchrun on a machine without a GPU each process would otherwise train
    alone, on all the data, and all of them would write the same model folder.
    """
    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return {}
    # Every parameter of a token classifier gets a gradient: DDP need not search for unused ones.
    overrides: dict[str, Any] = {"ddp_find_unused_parameters": False}
    if not torch.cuda.is_available():
        overrides.update(use_cpu=True, ddp_backend="gloo")
    return overrides


def check_one_process_group(world_size: int) -> None:
    """Stop when the launcher started more processes than Trainer joined into one group.

    Otherwise each process would train alone on all the data and all would write the same model folder.
    """
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size != launched:
        raise RuntimeError(
            f"The launcher started {launched} processes, but Trainer sees a world of {world_size}: the processes "
            "did not join one process group, so each would train alone. On CPUs, TrainingArguments need "
            "use_cpu=True (repo_tools.train sets it); elsewhere, check the launcher's environment "
            "(RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)."
        )


def _backend() -> str | None:
    """The torch.distributed backend in use (gloo, nccl), or None for a single process."""
    import torch.distributed as dist

    return dist.get_backend() if dist.is_available() and dist.is_initialized() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", help="YAML file of notebook parameters (default: notebook 03's defaults)")
    parser.add_argument("--artifacts-dir", required=True, help="the folder notebooks 01 and 02 wrote to")
    parser.add_argument("--record-samples", metavar="DIR",
                        help="diagnostic: write which sentences each process trains on to DIR/samples-rank*.jsonl")
    args = parser.parse_args(argv)
    from ner_helpers.errors import MissingArtifactError

    try:
        parameters, ignored = load_parameters(args.params)
        if ignored:
            _say(f"ignored (parameters of other notebooks): {', '.join(ignored)}")
        train(parameters, args.artifacts_dir, record_samples=args.record_samples)
    except (ParameterError, MissingArtifactError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
