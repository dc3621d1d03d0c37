"""The distributed training entry point: train as notebook 03 does, without the notebook, on one process or
data-parallel on several (notebook 07 teaches it; `make train-ddp` runs it on CPU processes).

    python -m ner_helpers.distributed_training --params P.yaml --artifacts-dir A                    # one process
    torchrun --standalone --nproc_per_node 2 -m ner_helpers.distributed_training --params P.yaml --artifacts-dir A
    accelerate launch --num_processes 2 -m ner_helpers.distributed_training --params P.yaml --artifacts-dir A

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

from .errors import ParameterError
from .parameters import NOTEBOOKS, defaults, read_parameter_file, unknown_names


def notebook_defaults() -> dict[str, Any]:
    """Notebook 03's parameters and their defaults (`artifacts_dir` is given on its own, by --artifacts-dir)."""
    defaults_03 = defaults("03_train")
    del defaults_03["artifacts_dir"]
    return defaults_03


def load_parameters(path: str | os.PathLike | None) -> tuple[dict[str, Any], list[str]]:
    """Notebook 03's parameters: its defaults, overridden by the YAML file at `path`.

    Keys that other notebooks declare (`data_dir`, `max_train_samples`, ...) are ignored, as papermill
    ignores them in notebook 03, and returned as the second value; any other key is an error.
    """
    parameters = notebook_defaults()
    if path is None:
        return parameters, []
    given = read_parameter_file(path)
    unknown = unknown_names(given, NOTEBOOKS, str(path))  # a typo; another notebook's parameter is ignored below
    if unknown:
        raise ParameterError(" ".join(unknown.values()), parameters=list(unknown))
    ignored = sorted(k for k in given if k not in parameters)
    parameters.update({k: v for k, v in given.items() if k in parameters})
    return parameters, ignored


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
    from datasets import load_from_disk

    from .artifacts import require_artifact, resolve_artifacts_dir
    from .compare import best_validation_f1
    from .hardware import machine_info
    from .models import checkpoint_to_train, load_tokenizer
    from .training import best_epoch, fine_tune, recipe_for, save_log_history, training_settings

    start = time.perf_counter()
    p = {**notebook_defaults(), **parameters}
    artifacts_dir = Path(resolve_artifacts_dir(artifacts_dir))
    tokenized_path = require_artifact(artifacts_dir, "tokenized")
    settings = json.loads(require_artifact(artifacts_dir, "preprocess.json").read_text())
    model_checkpoint = checkpoint_to_train(p["model_checkpoint"], settings["model_checkpoint"])
    label_names = settings["label_names"]

    tokenizer = load_tokenizer(model_checkpoint)
    learning_rate, num_train_epochs = recipe_for(model_checkpoint, p["learning_rate"], p["num_train_epochs"])
    training = {**training_settings(p), "learning_rate": learning_rate, "num_train_epochs": num_train_epochs,
                **distributed_overrides()}
    world: dict[str, Any] = {}

    def prepare(trainer: Any, phase: str) -> None:
        """Check the process group and say how the batch is shared (first run); record the samples if asked."""
        args = trainer.args
        if phase == "fit":
            world.update(size=args.world_size, rank=args.process_index, backend=_backend())
            check_one_process_group(world["size"])
            print(f"rank {world['rank']} of {world['size']}: device {args.device}, backend {world['backend']}, "
                  f"pid {os.getpid()}", flush=True)
            world["global_batch"] = world["size"] * p["per_device_train_batch_size"] * args.gradient_accumulation_steps
            _say(f"global batch: {world['size']} process(es) x {p['per_device_train_batch_size']} sentences = "
                 f"{world['global_batch']}; learning rate {learning_rate:g} (not scaled with the number of processes)")
        if record_samples:
            recorder = SampleRecorder(trainer.data_collator, Path(record_samples), world["rank"], phase)
            trainer.data_collator = recorder
            trainer.add_callback(recorder.callback())

    tokenized = load_from_disk(tokenized_path)
    run = fine_tune(
        model_checkpoint, label_names, tokenizer, tokenized["train"], tokenized["validation"], artifacts_dir / "checkpoints",
        freeze_word_embeddings=p["freeze_word_embeddings"], resume_from_checkpoint=p["resume_from_checkpoint"],
        final_fit=p["final_fit"], final_fit_dir=artifacts_dir / "final-fit", prepare=prepare, **training,
    )
    trainer, log_history, best_checkpoint = run.trainer, run.log_history, run.best_checkpoint
    world_size, backend, global_batch = world["size"], world["backend"], world["global_batch"]

    summary = {
        "train": run.train_result.metrics,
        "best_epoch": best_epoch(log_history) if any("eval_f1" in e for e in log_history) else None,
        "best_validation_f1": best_validation_f1(log_history),
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
            "use_cpu=True (this module sets it); elsewhere, check the launcher's environment "
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
    from .errors import MissingArtifactError

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
