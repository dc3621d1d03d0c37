"""`make bench`: training and inference throughput, quality within a CPU budget, and test-suite time.

    python -m repo_tools.bench --data-dir path/to/wnut17 [--out bench.json] [--parts ...]

Prints a table and writes a JSON report. The guide's recipe and the project's recipe are measured
side by side in one run, on the same encoder (the offline MiniLM) and the same data.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .runner import machine_info

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("throughput", "inference", "quality", "tests")


def load_recipe(name: str) -> dict[str, Any]:
    """Notebook parameters of a recipe: params/<name>.yaml."""
    return yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text())


def tokenize(data_dir: str, checkpoint: str, label_all_tokens: bool = False) -> tuple[Any, Any, Any]:
    from ner_helpers.align import tokenize_dataset
    from ner_helpers.data import load_wnut17
    from ner_helpers.models import load_tokenizer

    raw = load_wnut17(data_dir)
    tokenizer = load_tokenizer(checkpoint)
    # label_all_tokens labels the training split only: validation and test are scored on words.
    tokenized = tokenize_dataset(raw, tokenizer, label_all_tokens=label_all_tokens)
    return raw, tokenized, tokenizer


def make_trainer(recipe: dict[str, Any], train: Any, validation: Any, tokenizer: Any, output_dir: str, **overrides: Any) -> Any:
    from transformers import set_seed

    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.models import load_token_classifier
    from ner_helpers.training import build_trainer, training_arguments

    seed = recipe.get("seed", 42)
    set_seed(seed)
    model = load_token_classifier(recipe["model_checkpoint"], WNUT17_LABELS)
    arguments = {
        key: recipe[key]
        for key in ("learning_rate", "per_device_train_batch_size", "num_train_epochs", "weight_decay",
                    "warmup_steps", "train_sampling_strategy", "cpu_bf16")
        if key in recipe
    }
    arguments.update(overrides)
    args = training_arguments(output_dir, seed=seed, disable_tqdm=True, **arguments)
    return build_trainer(model, args, tokenizer, train, validation, WNUT17_LABELS)


def padding_fraction(trainer: Any) -> tuple[int, int]:
    """(real tokens, computed tokens) over one epoch of the trainer's own training batches."""
    real = total = 0
    for batch in trainer.get_train_dataloader():
        mask = batch["attention_mask"]
        real += int(mask.sum())
        total += mask.numel()
    return real, total


class _StepClock:
    """Times training steps after the first few, which pay for warm-up (allocation, thread start)."""

    def __init__(self, skip: int):
        from transformers import TrainerCallback

        clock = self

        class Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == skip:
                    clock.start = time.perf_counter()

        self.callback = Callback()
        self.start = 0.0


def training_throughput(
    recipe: dict[str, Any], tokenized: Any, tokenizer: Any, steps: int, warmup_steps: int = 5
) -> dict[str, float]:
    """Real (non-padding) tokens per second over `steps` timed optimizer steps, and the padding fraction.

    Real tokens per step are the epoch average of the recipe's own batches (the sampler's order
    is random), so the figure is what a full epoch would do.
    """
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(
            recipe, tokenized["train"], None, tokenizer, tmp,
            max_steps=warmup_steps + steps, eval_strategy="no", save_strategy="no",
            load_best_model_at_end=False, logging_strategy="no",
        )
        real, total = padding_fraction(trainer)
        batches = len(trainer.get_train_dataloader())
        clock = _StepClock(warmup_steps)
        trainer.add_callback(clock.callback)
        trainer.train()
        seconds = time.perf_counter() - clock.start
    return {
        "real_tokens_per_second": real / batches * steps / seconds,
        "padding_fraction": 1 - real / total,
        "seconds": seconds,
        "steps": steps,
    }


def evaluate_logits(trainer: Any, dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    output = trainer.predict(dataset)
    return output.predictions, output.label_ids


def quality(recipe: dict[str, Any], data_dir: str) -> dict[str, Any]:
    """Train a recipe, choose the epoch on validation, and score the test split once.

    With `final_fit: true`, the chosen number of epochs is then trained again, from the pretrained
    encoder, on train + validation, and that model is scored. Training seconds count both runs.
    """
    from datasets import concatenate_datasets

    from ner_helpers.training import best_epoch

    _, tokenized, tokenizer = tokenize(data_dir, recipe["model_checkpoint"], recipe.get("label_all_tokens", False))
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(recipe, tokenized["train"], tokenized["validation"], tokenizer, tmp)
        start = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - start
        history = [(r["epoch"], r["eval_f1"]) for r in trainer.state.log_history if "eval_f1" in r]
        chosen_epochs = best_epoch(trainer.state.log_history)
        if recipe.get("final_fit"):
            report["test_f1_before_final_fit"] = _test_scores(trainer, tokenized["test"])["f1"]
            train_and_validation = concatenate_datasets([tokenized["train"], tokenized["validation"]])
            trainer = make_trainer(
                recipe, train_and_validation, None, tokenizer, tmp + "/final",
                num_train_epochs=chosen_epochs, eval_strategy="no", save_strategy="no", load_best_model_at_end=False,
            )
            start = time.perf_counter()
            trainer.train()
            train_seconds += time.perf_counter() - start
        test = _test_scores(trainer, tokenized["test"])
    report.update({
        "test_f1": test["f1"],
        "test_precision": test["precision"],
        "test_recall": test["recall"],
        "validation_f1_by_epoch": [{"epoch": e, "eval_f1": f} for e, f in history],
        "chosen_epochs": chosen_epochs,
        "train_seconds": train_seconds,
    })
    return report


def _test_scores(trainer: Any, test: Any) -> dict[str, Any]:
    """Entity scores on the test split."""
    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.metrics import compute_entity_metrics, ids_to_tags

    logits, label_ids = evaluate_logits(trainer, test)
    predicted, gold = ids_to_tags(logits.argmax(-1), label_ids, WNUT17_LABELS)
    return compute_entity_metrics(predicted, gold)


def inference_throughput(data_dir: str, checkpoint: str, batch_size: int = 32) -> dict[str, Any]:
    """Texts per second on the test split, batched against one text at a time, for predict_entities and the pipeline."""
    from transformers import pipeline

    from ner_helpers.data import WNUT17_LABELS, load_wnut17
    from ner_helpers.inference import predict_entities
    from ner_helpers.models import load_token_classifier, load_tokenizer

    texts = [" ".join(tokens) for tokens in load_wnut17(data_dir)["test"]["tokens"]]
    tokenizer = load_tokenizer(checkpoint)
    model = load_token_classifier(checkpoint, WNUT17_LABELS).eval()
    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first", device="cpu")
    ways = {
        "predict_entities": (
            lambda: predict_entities(texts, model, tokenizer, batch_size=batch_size),
            lambda: [predict_entities(text, model, tokenizer) for text in texts],
        ),
        "pipeline": (lambda: ner(texts, batch_size=batch_size), lambda: [ner(text) for text in texts]),
    }
    report: dict[str, Any] = {"texts": len(texts), "batch_size": batch_size}
    for name, (batched, one_by_one) in ways.items():
        batched()  # warm-up
        start = time.perf_counter()
        batched()
        batched_seconds = time.perf_counter() - start
        start = time.perf_counter()
        one_by_one()
        single_seconds = time.perf_counter() - start
        report[name] = {
            "batched_texts_per_second": len(texts) / batched_seconds,
            "one_at_a_time_texts_per_second": len(texts) / single_seconds,
            "speedup": single_seconds / batched_seconds,
        }
    report["batched_predict_entities_over_pipeline_one_at_a_time"] = (
        report["predict_entities"]["batched_texts_per_second"] / report["pipeline"]["one_at_a_time_texts_per_second"]
    )
    return report


def test_suite_seconds() -> dict[str, Any]:
    """Wall time of the test suite, run as `make test` runs it (the environment already set up)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=ROOT, capture_output=True, text=True)
    return {"seconds": time.perf_counter() - start, "exit_code": result.returncode,
            "summary": result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""}


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"\nmachine: {m['cpu_count']} cores, {m['torch_threads']} torch threads, GPU: {m['gpu']}, torch {m['torch']}")
    print(f"date: {report['date']}\n")
    print(f"{'measure':58} {'guide':>12} {'project':>12} {'ratio':>8}")
    rows = []
    if "throughput" in report:
        g, p = report["throughput"]["guide"], report["throughput"]["project"]
        rows.append(("training: real tokens / s", g["real_tokens_per_second"], p["real_tokens_per_second"]))
        rows.append(("training: padding fraction of computed tokens", g["padding_fraction"], p["padding_fraction"]))
    if "quality" in report:
        g, p = report["quality"]["guide"], report["quality"]["project"]
        rows.append(("quality: test entity F1", g["test_f1"], p["test_f1"]))
        rows.append(("quality: training seconds", g["train_seconds"], p["train_seconds"]))
    for name, guide, project in rows:
        print(f"{name:58} {guide:12.3f} {project:12.3f} {project / guide if guide else float('nan'):8.2f}")
    if "inference" in report:
        print(f"\n{'inference on the test split, texts / s':58} {'one by one':>12} {'batched':>12} {'ratio':>8}")
        for name in ("predict_entities", "pipeline"):
            i = report["inference"][name]
            print(f"{'  ' + name:58} {i['one_at_a_time_texts_per_second']:12.1f} "
                  f"{i['batched_texts_per_second']:12.1f} {i['speedup']:8.2f}")
        print(f"{'  batched predict_entities over the pipeline one by one':58} {'':12} {'':12} "
              f"{report['inference']['batched_predict_entities_over_pipeline_one_at_a_time']:8.2f}")
    if "tests" in report:
        t = report["tests"]
        print(f"{'make test: wall seconds (' + t['summary'] + ')':58} {t['seconds']:12.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with the WNUT 17 CoNLL files")
    parser.add_argument("--out", default="bench-results/bench.json")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--throughput-steps", type=int, default=40)
    parser.add_argument("--guide", default="guide-offline", help="params/<name>.yaml of the guide's recipe")
    parser.add_argument("--project", default="fast-recipe", help="params/<name>.yaml of the project's recipe")
    args = parser.parse_args(argv)

    recipes = {"guide": load_recipe(args.guide), "project": load_recipe(args.project)}
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_info(), "recipes": recipes}
    if "throughput" in args.parts:
        _, tokenized, tokenizer = tokenize(args.data_dir, recipes["guide"]["model_checkpoint"])
        report["throughput"] = {
            name: training_throughput(recipe, tokenized, tokenizer, args.throughput_steps)
            for name, recipe in recipes.items()
        }
        print(json.dumps(report["throughput"], indent=1), flush=True)
    if "inference" in args.parts:
        report["inference"] = inference_throughput(args.data_dir, recipes["project"]["model_checkpoint"])
        print(json.dumps(report["inference"], indent=1), flush=True)
    if "quality" in args.parts:
        report["quality"] = {name: quality(recipe, args.data_dir) for name, recipe in recipes.items()}
        print(json.dumps(report["quality"], indent=1), flush=True)
    if "tests" in args.parts:
        report["tests"] = test_suite_seconds()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nreport: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
