"""`make bench`: training and inference throughput on this CPU and as an AVX2-only CPU, quality, test time.

    python -m repo_tools.bench --data-dir path/to/wnut17 [--quick] [--out bench.json] [--parts ...]

Prints a table and writes a JSON report. The guide's recipe and the project's recipe are measured
side by side, on the same encoder (the offline MiniLM) and the same data, in two passes run as
subprocesses: "native" (all the kernels this CPU has) and "avx2" (kernels limited to AVX2 through
ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS, so a machine with AVX-512 also
reports what an AVX2-only CPU would do; the report checks that the limits took effect).

Training throughput is timed in rounds, the recipes in turn; --quick repeats the rounds until the last
few agree on each recipe's ratio over the guide (or its time budget is spent), prints each ratio's
spread over the rounds, and says CANNOT RANK where the rounds cannot tell two recipes apart.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ner_helpers.compare import best_validation_f1
from ner_helpers.hardware import machine_info

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("throughput", "inference", "quality", "tests")
PASS_PARTS = ("throughput", "inference")
# What each pass sets in the environment before torch starts. MKL does the fp32 matrix products and
# ignores the first two variables, hence the third.
PASSES: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}
# Training throughput is timed in rounds; one round trains each recipe on about `sentences_per_round`
# sentences' worth of its own batches, the recipes taking turns (guide, project, guide, project, ...).
# QUICK repeats rounds until the last `min_rounds` of them agree (every recipe's ratio over the guide
# within `spread_limit` of its median, max - min) or `budget_seconds` per recipe and pass are spent
# (at least `min_rounds`, at most `max_rounds`); FULL always runs its 3 rounds of 512 sentences.
QUICK = {"sentences_per_round": 128, "min_rounds": 4, "max_rounds": 12, "budget_seconds": 35, "spread_limit": 0.05,
         "inference_epochs": 0.5, "repeats": 1}
FULL = {"sentences_per_round": 512, "min_rounds": 3, "max_rounds": 3, "budget_seconds": None, "spread_limit": 0.05,
        "inference_epochs": None, "repeats": 3}
# A load average at the start of at least this many runnable processes per core: other work is running.
BUSY_LOAD_PER_CORE = 0.5
# A faster way of running the model is kept when it is at least this much faster than fp32 ...
KEEP_SPEEDUP = 1.5
# ... and its test entity F1 is within this of fp32's.
KEEP_F1_DELTA = 0.005


# --- the processor ---------------------------------------------------------------------------------

def instruction_set(flags: set[str]) -> dict[str, Any]:
    """Which of the instruction sets that matter for bf16 and fp32 speed the flags show."""
    has = {
        "AVX2": "avx2" in flags,
        "AVX-512": "avx512f" in flags,
        "AVX512-BF16": "avx512_bf16" in flags,
        "AMX": "amx_bf16" in flags,
    }
    present = [name for name, yes in has.items() if yes]
    missing = [name for name in ("AVX512-BF16", "AMX") if not has[name]]
    summary = ", ".join(present) or "no AVX2"
    if missing and has["AVX-512"]:
        summary += " (no " + ", no ".join(missing) + ")"
    return {**has, "summary": summary, "native_bf16_by_flags": has["AVX512-BF16"] or has["AMX"]}


def torch_view() -> dict[str, Any]:
    """What torch itself uses: ATen's kernel level, oneDNN's bf16 support, threads."""
    import torch

    from ner_helpers.hardware import cpu_has_native_bf16

    return {
        "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        # oneDNN's answer counts emulation on AVX-512; native_bf16 is what cpu_bf16="auto" uses.
        "onednn_bf16_supported": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        "native_bf16": cpu_has_native_bf16(),
        "threads": torch.get_num_threads(),
    }


def mkl_isa(env: dict[str, str]) -> str:
    """The instruction set MKL reports using for fp32 matrix products under `env` (MKL_VERBOSE)."""
    code = "import torch; torch.ones(64, 64) @ torch.ones(64, 64)"
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env, "MKL_VERBOSE": "1"},
                            capture_output=True, text=True)
    found = re.search(r"\((Intel\(R\) [^)]*)\)", result.stdout + result.stderr)
    return found.group(1) if found else "not reported (torch built without MKL?)"


def processor_report(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> dict[str, Any]:
    """The processor's name and instruction sets, as /proc/cpuinfo lists them (Linux)."""
    from ner_helpers.hardware import cpu_flags, cpu_name

    return {"name": cpu_name(str(cpuinfo)), "instruction_set": instruction_set(cpu_flags(str(cpuinfo)) or set())}


def limits_took_effect(pass_report: dict[str, Any]) -> bool:
    """Whether a pass with kernels limited to AVX2 really ran on AVX2 kernels, without oneDNN bf16."""
    view = pass_report["torch"]
    return view["aten_cpu_capability"] == "AVX2" and not view["onednn_bf16_supported"] and \
        "AVX2" in pass_report.get("mkl", "AVX2")


# --- rounds, spread and ranking (pure: tested with hand-worked numbers) ----------------------------

def relative_spread(values: list[float]) -> float:
    """(max - min) / median of `values`: 0.04 means the lowest and highest lie 4% of the median apart."""
    return (max(values) - min(values)) / statistics.median(values)


def ratio_interval(rates: list[float], baseline_rates: list[float]) -> dict[str, Any]:
    """A recipe's ratio over the baseline from rounds timed in pairs: the median of the per-round ratios,
    the lowest and highest of them, and their relative spread.

    Each round's ratio divides two rates measured one after the other, so a burst of load that slows
    both cancels out; dividing the two medians would not pair them.
    """
    ratios = [rate / base for rate, base in zip(rates, baseline_rates, strict=True)]
    return {"median": statistics.median(ratios), "low": min(ratios), "high": max(ratios),
            "spread": relative_spread(ratios), "per_round": ratios}


def stop_reason(rates: dict[str, list[float]], baseline: str, min_rounds: int, max_rounds: int,
                spread_limit: float, elapsed: float = 0.0, budget_seconds: float | None = None) -> str | None:
    """Why the rounds stop after the ones in `rates` (one rate per recipe and round), or None to go on.

    Never before `min_rounds`. Then "stable" once, over the last `min_rounds` rounds, every recipe's
    ratio over the baseline has a relative spread of at most `spread_limit`; else "rounds" at
    `max_rounds`, or "budget" once `elapsed` seconds reach `budget_seconds` per recipe.
    """
    done = len(rates[baseline])
    if done < min_rounds:
        return None
    window = slice(done - min_rounds, done)
    if all(ratio_interval(rates[name][window], rates[baseline][window])["spread"] <= spread_limit
           for name in rates if name != baseline):
        return "stable"
    if done >= max_rounds:
        return "rounds"
    if budget_seconds is not None and elapsed >= budget_seconds * len(rates):
        return "budget"
    return None


def interleaved_rounds(names: list[str], time_round: Any, min_rounds: int, max_rounds: int, spread_limit: float,
                       budget_seconds: float | None = None, clock: Any = time.perf_counter) -> tuple[dict[str, list[float]], str]:
    """Call `time_round(name, round)` (it returns a rate) for each recipe in turn, round after round,
    until `stop_reason` says stop; the first name is the baseline. Returns the rates and the reason.
    """
    rates: dict[str, list[float]] = {name: [] for name in names}
    start = clock()
    for r in range(max_rounds):
        for name in names:
            rates[name].append(time_round(name, r))
        reason = stop_reason(rates, names[0], min_rounds, max_rounds, spread_limit, clock() - start, budget_seconds)
        if reason:
            return rates, reason
    return rates, "rounds"


def rank(intervals: dict[str, dict[str, float]], spread_limit: float) -> list[dict[str, Any]]:
    """For each pair of recipes, which is faster, or why these rounds cannot tell.

    `intervals` holds each recipe's ratio over the baseline (`ratio_interval`; the baseline's own is
    1 to 1). Two recipes are ranked when their intervals (lowest to highest round) do not overlap: every
    round puts them in the same order. A ratio whose spread is above `spread_limit` still ranks, with a
    caution that its size is uncertain (the quick rounds of a bf16 recipe vary by about 10% on a quiet machine).
    """
    verdicts = []
    names = list(intervals)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = intervals[a], intervals[b]
            verdict: dict[str, Any] = {"recipes": [a, b]}
            if x["low"] <= y["high"] and y["low"] <= x["high"]:
                verdict.update(ranked=False, reason=f"their ratios over the guide overlap ({_span(x)} and {_span(y)})")
            else:
                faster, slower = (a, b) if x["low"] > y["high"] else (b, a)
                verdict.update(ranked=True, faster=faster, slower=slower)
                unstable = [n for n in (a, b) if intervals[n]["spread"] > spread_limit]
                if unstable:
                    verdict["caution"] = "; ".join(
                        f"{n}'s ratio over the guide varies by {intervals[n]['spread']:.0%} between rounds "
                        f"(more than {spread_limit:.0%}): its size is uncertain" for n in unstable)
            verdicts.append(verdict)
    return verdicts


def _span(interval: dict[str, float]) -> str:
    return f"{interval['low']:.2f}-{interval['high']:.2f}"


def ranking_lines(ranking: list[dict[str, Any]], quick: bool) -> list[str]:
    """The ranking in sentences: 'project is faster than guide', or 'CANNOT RANK ...' with what to do."""
    advice = ("run the full `make bench` on a quiet machine" if quick
              else "run `make bench` again on a quiet machine")
    return [(f"{v['faster']} is faster than {v['slower']}" + (f" in every round, but {v['caution']}" if v.get("caution") else ""))
            if v["ranked"] else f"CANNOT RANK {v['recipes'][0]} and {v['recipes'][1]}: {v['reason']}; {advice}" for v in ranking]


def load_warning(load_average: float, cores: int | None) -> str | None:
    """A warning when the 1-minute load average shows other work on the machine, else None."""
    cores = cores or 1
    if load_average < BUSY_LOAD_PER_CORE * cores:
        return None
    return (f"load average {load_average:.2f} on {cores} cores at the start: other work is running, so the "
            "throughput figures, the quick ones above all, may be off; measure on a quiet machine")


STOPPED = {
    "stable": "the last {n} rounds agree: every ratio over the guide within {limit:.0%}",
    "rounds": "{rounds} rounds, the most planned",
    "budget": "the time budget ({budget:g} s per recipe) ran out before the last {n} rounds agreed within {limit:.0%}",
}


# --- training ----------------------------------------------------------------------------------------

def load_recipe(name: str) -> dict[str, Any]:
    """Notebook parameters of a recipe: params/<name>.yaml, or a YAML file's path."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else ROOT / "params" / f"{name}.yaml"
    return yaml.safe_load(path.read_text())


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
    """A Trainer of a fresh model for a recipe (notebook parameters), without progress bars."""
    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.training import new_trainer

    return new_trainer(recipe["model_checkpoint"], WNUT17_LABELS, tokenizer, train, validation, output_dir,
                       recipe.get("freeze_word_embeddings", False), **{**recipe_settings(recipe), **overrides})


def recipe_settings(recipe: dict[str, Any]) -> dict[str, Any]:
    """The `training_arguments` of a recipe: notebook 03's (`training.training_settings`), except that validation
    batches stay at 16 sentences, as the measurements in docs/benchmark.md were taken, and no progress bars."""
    from ner_helpers.training import training_settings

    settings = {**training_settings(recipe), "disable_tqdm": True}
    settings.pop("per_device_eval_batch_size", None)
    return settings


def epoch_batches(recipe: dict[str, Any], train: Any, tokenizer: Any) -> list[list[int]]:
    """The recipe's own batches of one epoch (example indices), in the order its sampler gives them."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(recipe, train, None, tokenizer, tmp, eval_strategy="no", save_strategy="no",
                               load_best_model_at_end=False, logging_strategy="no")
        order = [int(i) for i in trainer._get_train_sampler()]
    size = recipe.get("per_device_train_batch_size", 16)
    return [order[i : i + size] for i in range(0, len(order), size)]


def padding(batches: list[list[int]], lengths: list[int]) -> tuple[int, int]:
    """(real tokens, computed tokens) of batches padded to their longest example."""
    real = sum(lengths[i] for batch in batches for i in batch)
    computed = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)
    return real, computed


class _Clock:
    """A Trainer callback that times optimizer steps after the first `skip` (warm-up) and the optimizer itself."""

    def __init__(self, skip: int):
        from transformers import TrainerCallback

        clock = self
        self.start = 0.0
        self.optimizer_seconds = 0.0

        class Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == skip:
                    clock.start = time.perf_counter()

            def on_pre_optimizer_step(self, args, state, control, **kwargs):
                clock._before = time.perf_counter()

            def on_optimizer_step(self, args, state, control, **kwargs):
                if state.global_step >= skip:
                    clock.optimizer_seconds += time.perf_counter() - clock._before

        self.callback = Callback()


def _time_batches(recipe: dict[str, Any], train: Any, tokenizer: Any, batches: list[list[int]], warmup: list[list[int]]) -> tuple[float, float]:
    """Train on `warmup` then `batches`, in that order, with the recipe's settings; (seconds, optimizer seconds) of `batches`."""
    subset = train.select([i for batch in warmup + batches for i in batch])
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(
            recipe, subset, None, tokenizer, tmp, train_sampling_strategy="sequential",
            max_steps=len(warmup) + len(batches), eval_strategy="no", save_strategy="no",
            load_best_model_at_end=False, logging_strategy="no",
        )
        clock = _Clock(len(warmup))
        trainer.add_callback(clock.callback)
        trainer.train()
        return time.perf_counter() - clock.start, clock.optimizer_seconds


def stratified_rounds(batches: list[list[int]], lengths: list[int], steps: int, rounds: int,
                      rng: np.random.Generator) -> list[list[list[int]]]:
    """`rounds` disjoint draws of `steps` batches, each draw one batch from each of `steps` strata.

    The strata cut the batches, sorted by real tokens / (computed tokens + 128), into equal parts: a
    batch's speed depends on its padding (random batches) and its length (a step has a fixed cost, so
    length-grouped short batches are slow), and the 128 tokens stand for that fixed cost. Every round
    then holds the epoch's mix, and rounds differ by the machine, not by which batches they drew.
    """
    real = [sum(lengths[i] for i in b) for b in batches]
    computed = [len(b) * max(lengths[i] for i in b) for b in batches]
    order = np.argsort([r / (c + 128) for r, c in zip(real, computed)], kind="stable")
    strata = [rng.permutation(part) for part in np.array_split(order, steps)]
    return [[batches[int(part[r])] for part in strata] for r in range(rounds)]


def training_throughput(
    recipes: dict[str, dict[str, Any]], tokenized: Any, tokenizer: Any, sentences_per_round: int = 128,
    min_rounds: int = 4, max_rounds: int = 4, spread_limit: float = 0.05, budget_seconds: float | None = None,
    warmup_steps: int = 3, seed: int = 0, time_batches: Any = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Real (non-padding) tokens per second of each recipe on its own batches, timed in interleaved rounds.

    Each recipe's epoch is cut into its own batches (a length-grouped sampler's first batches are its
    longest, so timing the first steps would mislead). A round trains each recipe in turn, the first
    (the guide) first, on about `sentences_per_round` sentences' worth of its batches (`stratified_rounds`),
    after `warmup_steps` untimed steps; a burst of load then hits the recipes of a round alike. Rounds go
    on as `stop_reason` says. The figures come from the last `min_rounds` rounds: each recipe's median
    rate and its spread, and its ratio over the guide as the median and range of the per-round ratios.
    Returns (per recipe, about the rounds).
    """
    time_batches = time_batches or _time_batches
    train = tokenized["train"]
    lengths = [len(ids) for ids in train["input_ids"]]
    rng = np.random.default_rng(seed)
    plans = {}
    for name, recipe in recipes.items():
        batches = epoch_batches(recipe, train, tokenizer)
        size = len(batches[0])
        full = [b for b in batches if len(b) == size]  # the last, smaller batch would break the alignment
        steps = max(1, min(math.ceil(sentences_per_round / size), len(full) // 2))
        max_rounds = min(max_rounds, len(full) // steps)
        plans[name] = {"epoch": padding(batches, lengths), "full": full, "steps": steps,
                       "warmup": [full[i] for i in rng.choice(len(full), min(warmup_steps, len(full)), replace=False)]}
    for name, plan in plans.items():
        plan["rounds"] = stratified_rounds(plan["full"], lengths, plan["steps"], max_rounds, rng)
        plan["timed"] = []
    min_rounds = min(min_rounds, max_rounds)

    def time_round(name: str, r: int) -> float:
        chunk = plans[name]["rounds"][r]
        spent, in_optimizer = time_batches(recipes[name], train, tokenizer, chunk, plans[name]["warmup"])
        real, computed = padding(chunk, lengths)
        plans[name]["timed"].append({"batches": chunk, "seconds": spent, "optimizer_seconds": in_optimizer,
                                     "real": real, "computed": computed})
        return real / spent

    names = list(recipes)
    rates, reason = interleaved_rounds(names, time_round, min_rounds, max_rounds, spread_limit, budget_seconds)
    done = len(rates[names[0]])
    used = slice(done - min_rounds, done)
    report = {}
    for name, plan in plans.items():
        window = plan["timed"][used]
        timed = [batch for chunk in window for batch in chunk["batches"]]
        real, computed = padding(timed, lengths)
        seconds = sum(chunk["seconds"] for chunk in window)
        epoch_real, epoch_computed = plan["epoch"]
        over = ratio_interval(rates[name][used], rates[names[0]][used])
        report[name] = {
            "real_tokens_per_second": statistics.median(rates[name][used]),
            "spread": relative_spread(rates[name][used]),
            "over_guide": {key: over[key] for key in ("median", "low", "high", "spread")},
            "rounds_real_tokens_per_second": rates[name],
            "rounds_over_guide": [rate / base for rate, base in zip(rates[name], rates[names[0]])],
            "computed_tokens_per_second": computed / seconds,
            "padding_fraction": 1 - epoch_real / epoch_computed,
            "padding_fraction_of_sample": 1 - real / computed,
            "ms_per_step": 1000 * seconds / len(timed),
            "optimizer_ms_per_step": 1000 * sum(chunk["optimizer_seconds"] for chunk in window) / len(timed),
            "real_tokens_per_step": real / len(timed),
            "steps": len(timed),
            "seconds": seconds,
            "precision": "bf16" if _uses_bf16(recipe=recipes[name]) else "fp32",
        }
    ranking = rank({name: r["over_guide"] for name, r in report.items()}, spread_limit)
    rounds = {
        "rounds": done, "used": min_rounds, "steps_per_round": {name: plan["steps"] for name, plan in plans.items()},
        "spread_limit": spread_limit, "budget_seconds": budget_seconds, "stopped": reason,
        "stopped_because": STOPPED[reason].format(n=min_rounds, limit=spread_limit, rounds=done, budget=budget_seconds or 0),
        "ranking": ranking, "can_rank_all": all(v["ranked"] for v in ranking),
    }
    return report, rounds


def _uses_bf16(recipe: dict[str, Any]) -> bool:
    from ner_helpers.training import mixed_precision

    return mixed_precision(recipe.get("cpu_bf16", False), verbose=False)["bf16"]


def evaluate_logits(trainer: Any, dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    output = trainer.predict(dataset)
    return output.predictions, output.label_ids


def quality(recipe: dict[str, Any], data_dir: str, save_model_to: str | None = None) -> dict[str, Any]:
    """Train a recipe, choose the epoch on validation, and score the test split once.

    With `final_fit: true`, the chosen number of epochs is then trained again, from the pretrained
    encoder, on train + validation, and that model is scored. Training seconds count both runs.
    """
    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.training import best_epoch, fine_tune

    _, tokenized, tokenizer = tokenize(data_dir, recipe["model_checkpoint"], recipe.get("label_all_tokens", False))
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run = fine_tune(
            recipe["model_checkpoint"], WNUT17_LABELS, tokenizer, tokenized["train"], tokenized["validation"], tmp,
            freeze_word_embeddings=recipe.get("freeze_word_embeddings", False), final_fit=bool(recipe.get("final_fit")),
            **recipe_settings(recipe),
        )
        if recipe.get("final_fit"):
            report["test_f1_before_final_fit"] = _test_scores(run.validated, tokenized["test"])["f1"]
        test = _test_scores(run.trainer, tokenized["test"])
        if save_model_to:
            run.trainer.save_model(save_model_to)
    report.update({
        "test_f1": test["f1"],
        "test_precision": test["precision"],
        "test_recall": test["recall"],
        "validation_f1_by_epoch": [{"epoch": r["epoch"], "eval_f1": r["eval_f1"]} for r in run.log_history if "eval_f1" in r],
        "chosen_epochs": best_epoch(run.log_history),
        "train_seconds": run.train_seconds,
    })
    return report


def _test_scores(trainer: Any, test: Any) -> dict[str, Any]:
    """Entity scores on the test split."""
    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.metrics import compute_entity_metrics, ids_to_tags

    logits, label_ids = evaluate_logits(trainer, test)
    predicted, gold = ids_to_tags(logits.argmax(-1), label_ids, WNUT17_LABELS)
    return compute_entity_metrics(predicted, gold)


def train_inference_model(recipe: dict[str, Any], data_dir: str, out_dir: str, epochs: float | None) -> dict[str, Any]:
    """Fine-tune the model the inference part runs (the project's recipe, on train) and save it."""
    _, tokenized, tokenizer = tokenize(data_dir, recipe["model_checkpoint"])
    overrides = {"num_train_epochs": epochs} if epochs else {}
    trainer = make_trainer(recipe, tokenized["train"], None, tokenizer, out_dir + "-checkpoints", eval_strategy="no",
                           save_strategy="no", load_best_model_at_end=False, logging_strategy="no", **overrides)
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    trainer.save_model(out_dir)
    return {"epochs": epochs or recipe.get("num_train_epochs"), "train_seconds": seconds}


# --- inference ---------------------------------------------------------------------------------------

def optimum_model(model_dir: str) -> Any:
    """The model exported to ONNX and run by ONNX Runtime through optimum, or a reason why it can't be."""
    try:
        from optimum.onnxruntime import ORTModelForTokenClassification
    except ImportError as error:
        return ("not importable here (" + str(error).splitlines()[0] + "); optimum-onnx 0.1.0 supports "
                "transformers < 4.58 only, this project runs transformers 5")
    return ORTModelForTokenClassification.from_pretrained(model_dir, export=True)


def faster_inference(model_dir: str, data_dir: str, batch_size: int = 32, repeats: int = 2) -> dict[str, Any]:
    """Texts/s and test entity F1 of fp32 PyTorch against bf16 (where native), dynamic int8 and ONNX Runtime.

    Each way runs the whole test split `repeats` times, alternating between ways; the fastest run counts
    (load from other work only ever slows a run down). A way is kept when it is at least
    KEEP_SPEEDUP times faster than fp32 with F1 within KEEP_F1_DELTA.
    """
    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.fast_inference import quantize_int8, time_and_score, use_cpu_bf16
    from ner_helpers.models import load_token_classifier

    _, tokenized, tokenizer = tokenize(data_dir, model_dir)
    test = tokenized["test"]
    model = load_token_classifier(model_dir, WNUT17_LABELS).eval()
    ways: dict[str, Any] = {"fp32": (model, False)}
    skipped: dict[str, str] = {}
    if use_cpu_bf16("auto", verbose=False):
        ways["bf16 autocast"] = (model, True)
    else:
        skipped["bf16 autocast"] = "skipped: no native bf16 here (cpu_bf16='auto' keeps fp32)"
    ways["dynamic int8"] = (quantize_int8(model), False)
    onnx = optimum_model(model_dir)
    if isinstance(onnx, str):
        skipped["ONNX Runtime (optimum)"] = "skipped: optimum.onnxruntime " + onnx
    else:
        ways["ONNX Runtime (optimum)"] = (onnx, False)
    best: dict[str, dict[str, float]] = {}
    for name, (runner, bf16) in ways.items():
        time_and_score(runner, test.select(range(min(64, len(test)))), tokenizer, WNUT17_LABELS, batch_size, bf16)  # warm-up
    for _ in range(repeats):
        for name, (runner, bf16) in ways.items():
            result = time_and_score(runner, test, tokenizer, WNUT17_LABELS, batch_size, bf16)
            if name not in best or result["texts_per_second"] > best[name]["texts_per_second"]:
                best[name] = result
    report: dict[str, Any] = {"texts": len(test), "batch_size": batch_size, "repeats": repeats, "ways": {}}
    fp32 = best["fp32"]
    for name, result in best.items():
        speedup = result["texts_per_second"] / fp32["texts_per_second"]
        f1_delta = result["f1"] - fp32["f1"]
        kept = name == "fp32" or (speedup >= KEEP_SPEEDUP and abs(f1_delta) <= KEEP_F1_DELTA)
        report["ways"][name] = {**result, "speedup_over_fp32": speedup, "f1_minus_fp32": f1_delta,
                                "verdict": "baseline" if name == "fp32" else ("kept" if kept else "did not pay")}
    for name, reason in skipped.items():
        report["ways"][name] = {"verdict": reason}
    return report


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
    # The Makefile's own target, so its workers and thread settings are the ones timed.
    result = subprocess.run(["make", "--no-print-directory", "test"], cwd=ROOT, capture_output=True, text=True)
    return {"seconds": time.perf_counter() - start, "exit_code": result.returncode,
            "summary": result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""}


# --- one pass, in its own process ------------------------------------------------------------------

def run_pass(args: argparse.Namespace, recipes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The per-pass parts, under whatever kernel limits this process was started with."""
    settings = QUICK if args.quick else FULL
    report: dict[str, Any] = {"torch": torch_view(), "environment": {k: os.environ.get(k) for k in PASSES["avx2"]}}
    if "throughput" in args.parts:
        _, tokenized, tokenizer = tokenize(args.data_dir, recipes["guide"]["model_checkpoint"])
        report["throughput"], report["throughput_rounds"] = training_throughput(
            recipes, tokenized, tokenizer, settings["sentences_per_round"], settings["min_rounds"], settings["max_rounds"],
            settings["spread_limit"], args.quick_budget if args.quick else settings["budget_seconds"])
    if "inference" in args.parts and args.model_dir:
        report["inference"] = faster_inference(args.model_dir, args.data_dir, repeats=settings["repeats"])
    return report


def start_pass(name: str, argv: list[str], out: Path) -> dict[str, Any]:
    """Run one pass in a subprocess with its environment and read back its report."""
    env = {**os.environ, **PASSES[name]}
    command = [sys.executable, "-m", "repo_tools.bench", *argv, "--pass-only", name, "--out", str(out)]
    print(f"\n=== pass '{name}' {' '.join(f'{k}={v}' for k, v in PASSES[name].items())}", flush=True)
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    report = json.loads(out.read_text())
    report["mkl"] = mkl_isa(PASSES[name])
    if name == "avx2":
        report["limits_took_effect"] = limits_took_effect(report)
    print(json.dumps(report, indent=1), flush=True)
    return report


# --- the table -------------------------------------------------------------------------------------

def over_guide(throughput: dict[str, dict[str, Any]], name: str) -> dict[str, float]:
    """A recipe's ratio over the guide: from the rounds' pairs where the report has them (median, low,
    high, spread), else (reports written before the rounds were paired) the ratio of the two rates."""
    if "over_guide" in throughput[name]:
        return throughput[name]["over_guide"]
    ratio = throughput[name]["real_tokens_per_second"] / throughput["guide"]["real_tokens_per_second"]
    return {"median": ratio, "low": ratio, "high": ratio}


def _print_throughput(throughput: dict[str, dict[str, Any]], rounds: dict[str, Any] | None, quick: bool) -> None:
    names = list(throughput)

    def row(label: str, cell: Any) -> None:
        print(f"{'  ' + label:44}" + "".join(f" {cell(n):>14}" for n in names))

    print(f"{'training (sample of each recipe batches)':44}" + "".join(f" {n[:14]:>14}" for n in names))
    row("real tokens / s" + (" (median of rounds)" if rounds else ""), lambda n: f"{throughput[n]['real_tokens_per_second']:.1f}")
    if rounds:
        row("  spread of rounds (max-min)", lambda n: f"{throughput[n]['spread']:.1%}")
    for key, label in (("padding_fraction", "padding fraction (epoch)"), ("ms_per_step", "ms per step"),
                       ("optimizer_ms_per_step", "  of which optimizer"), ("real_tokens_per_step", "real tokens per step")):
        row(label, lambda n: f"{throughput[n][key]:.{3 if key == 'padding_fraction' else 1}f}")
    row("real tokens / s over the guide" + (" (median)" if rounds else ""), lambda n: f"{over_guide(throughput, n)['median']:.2f}")
    if rounds:
        row("  lowest-highest round", lambda n: _span(over_guide(throughput, n)))
        row("  spread (max-min)", lambda n: f"{over_guide(throughput, n)['spread']:.1%}")
    row("precision", lambda n: throughput[n]["precision"])
    if rounds:
        print(f"  rounds: {rounds['rounds']}, the recipes in turn, {rounds['used']} last used; stopped: {rounds['stopped_because']}")
        for line in ranking_lines(rounds["ranking"], quick):
            print("  " + line)


def print_table(report: dict[str, Any]) -> None:
    m, cpu = report["machine"], report["processor"]
    print(f"\nprocessor: {cpu['name']}; /proc/cpuinfo: {cpu['instruction_set']['summary']}")
    print(f"machine: {m['cpu_count']} cores, torch {m['torch']}, GPU: {m['gpu']}; load average at start "
          f"{report['load_average_at_start']}; date: {report['date']}")
    for name, p in report.get("passes", {}).items():
        view = p["torch"]
        print(f"\n--- pass '{name}': ATen {view['aten_cpu_capability']}, oneDNN bf16 "
              f"{'yes' if view['onednn_bf16_supported'] else 'no'}, MKL {p.get('mkl', '?')}"
              + ("" if name == "native" else f"; limits took effect: {p.get('limits_took_effect')}"))
        if "throughput" in p:
            _print_throughput(p["throughput"], p.get("throughput_rounds"), report.get("quick", False))
        if "inference" in p:
            print(f"{'inference on the test split (batch 32)':36} {'texts/s':>9} {'F1':>7} {'speedup':>8} {'F1 diff':>8}  verdict")
            for way, r in p["inference"]["ways"].items():
                if "texts_per_second" in r:
                    print(f"{'  ' + way:36} {r['texts_per_second']:9.1f} {r['f1']:7.3f} {r['speedup_over_fp32']:8.2f} "
                          f"{r['f1_minus_fp32']:+8.3f}  {r['verdict']}")
                else:
                    print(f"{'  ' + way:36} {r['verdict']}")
    if "quality" in report:
        quality = report["quality"]
        print(f"\n{'quality (native pass)':44}" + "".join(f" {n[:14]:>14}" for n in quality))
        print(f"{'  best validation F1':44}" + "".join(f" {best_validation_f1(q['validation_f1_by_epoch']):14.3f}" for q in quality.values()))
        for key in ("test_f1", "train_seconds", "chosen_epochs"):
            print(f"{'  ' + key:44}" + "".join(f" {q[key]:14.3f}" for q in quality.values()))
    if "batched_inference" in report:
        i = report["batched_inference"]
        print(f"\npredict_entities batched over one text at a time: {i['predict_entities']['speedup']:.2f}x")
    if "tests" in report:
        t = report["tests"]
        print(f"make test: {t['seconds']:.1f} s ({t['summary']})")
    if report.get("warnings"):
        print()
    for warning in report.get("warnings", []):
        print(f"WARNING: {warning}")


def markdown_tables(report: dict[str, Any]) -> str:
    """README tables from a report: training and inference, one column pair per pass (processor kind)."""
    passes = report.get("passes", {})
    names = [n for n in passes if "throughput" in passes[n]]
    quality = report.get("quality", {})
    lines = []
    if names:
        recipes = list(passes[names[0]]["throughput"])
        head = " | ".join(f"{n}: real tokens/s | {n}: × guide" for n in names)
        scores = " | best validation F1 | test F1" if quality else ""
        lines += [f"| recipe | {head}{scores} |", "| --- |" + " ---: | ---: |" * (len(names) + bool(quality))]
        for recipe in recipes:
            cells = []
            for n in names:
                t = passes[n]["throughput"]
                ratio = over_guide(t, recipe)
                span = f" ({_span(ratio)})" if recipe != "guide" and ratio["low"] != ratio["high"] else ""
                cells.append(f"{t[recipe]['real_tokens_per_second']:.0f} ({t[recipe]['precision']}) | {ratio['median']:.2f}{span}")
            if quality:
                q = quality.get(recipe)
                cells.append(f"{best_validation_f1(q['validation_f1_by_epoch']):.3f} | {q['test_f1']:.3f}" if q else "not measured | not measured")
            lines.append(f"| {recipe} | " + " | ".join(cells) + " |")
        unsafe = [f"{n}: {line}" for n in names if "throughput_rounds" in passes[n]
                  for line in ranking_lines(passes[n]["throughput_rounds"]["ranking"], report.get("quick", False))
                  if line.startswith("CANNOT")]
        lines += [""] + [f"- {line}" for line in unsafe] if unsafe else []
    names = [n for n in passes if "inference" in passes[n]]
    if names:
        ways = list(dict.fromkeys(w for n in names for w in passes[n]["inference"]["ways"]))
        lines += ["", "| inference way | " + " | ".join(f"{n}: texts/s, F1, × fp32" for n in names) + " |",
                  "| --- |" + " --- |" * len(names)]
        for way in ways:
            cells = []
            for n in names:
                r = passes[n]["inference"]["ways"].get(way, {"verdict": "not run"})
                cells.append(f"{r['texts_per_second']:.0f}, {r['f1']:.3f}, {r['speedup_over_fp32']:.2f}× ({r['verdict']})"
                             if "texts_per_second" in r else r["verdict"])
            lines.append(f"| {way} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with the WNUT 17 CoNLL files")
    parser.add_argument("--out", default="bench-results/bench.json")
    parser.add_argument("--quick", action="store_true", help=(
        "throughput and inference only. Training throughput is timed in rounds of about {s} sentences per recipe, "
        "the recipes in turn (guide, project, guide, project, ...), at least {n} rounds, until the last {n} agree "
        "(every ratio over the guide within {limit:.0%}, max-min) or the budget is spent (--quick-budget); the "
        "table prints each spread and says CANNOT RANK where the rounds cannot tell two recipes apart. About 3-4 "
        "minutes on 2 quiet cores, at most about 5").format(
            s=QUICK["sentences_per_round"], n=QUICK["min_rounds"], limit=QUICK["spread_limit"]).replace("%", "%%"))
    parser.add_argument("--quick-budget", type=float, default=QUICK["budget_seconds"], metavar="SECONDS", help=(
        "with --quick: seconds per recipe and pass after which the throughput rounds stop even when they do not "
        "agree (default %(default)s: with two recipes and two passes, about {total:.1f} minutes of rounds at most, plus "
        "the round under way; never fewer than {n} rounds, so a loaded machine takes longer)").format(
            n=QUICK["min_rounds"], total=QUICK["budget_seconds"] * 4 / 60))
    parser.add_argument("--parts", nargs="+", default=None, choices=PARTS)
    parser.add_argument("--passes", nargs="+", default=list(PASSES), choices=list(PASSES))
    parser.add_argument("--model-dir", help="a fine-tuned model for the inference part (default: train one)")
    parser.add_argument("--guide", default="guide-offline", help="params/<name>.yaml of the guide's recipe")
    parser.add_argument("--project", default="fast-recipe", help="params/<name>.yaml of the project's recipe")
    parser.add_argument("--also", nargs="*", default=[], help="more recipes (names or YAML paths) for the throughput and quality parts")
    parser.add_argument("--model-recipe", default=None, help="recipe that fine-tunes the inference model (default: the project's)")
    parser.add_argument("--markdown", help="print README tables from this report and stop")
    parser.add_argument("--pass-only", choices=list(PASSES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_tables(json.loads(Path(args.markdown).read_text())))
        return 0
    if not args.data_dir:
        parser.error("--data-dir is required: the folder with the WNUT 17 CoNLL files")
    if args.parts is None:
        args.parts = list(PASS_PARTS) if args.quick else list(PARTS)
    recipes = {"guide": load_recipe(args.guide), "project": load_recipe(args.project)}
    recipes.update({Path(name).stem: load_recipe(name) for name in args.also})

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.pass_only:
        out.write_text(json.dumps(run_pass(args, recipes), indent=2))
        return 0

    settings = {**QUICK, "budget_seconds": args.quick_budget} if args.quick else FULL
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "quick": args.quick, "settings": settings,
        "machine": machine_info(), "processor": processor_report(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "recipes": recipes, "passes": {},
        "warnings": [],
    }
    busy = load_warning(report["load_average_at_start"][0], report["machine"]["cpu_count"])
    if busy:
        report["warnings"].append(busy)
        print(f"WARNING: {busy}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        pass_argv = ["--data-dir", args.data_dir, "--parts", *[p for p in args.parts if p in PASS_PARTS],
                     "--guide", args.guide, "--project", args.project, "--also", *args.also]
        pass_argv += ["--quick", "--quick-budget", str(args.quick_budget)] if args.quick else []
        if "inference" in args.parts:
            model_dir = args.model_dir
            if not model_dir:
                model_dir = str(Path(tmp) / "model")
                print("\n=== fine-tuning the model the inference part runs (train split)", flush=True)
                model_recipe = load_recipe(args.model_recipe) if args.model_recipe else recipes["project"]
                report["inference_model"] = train_inference_model(
                    model_recipe, args.data_dir, model_dir, settings["inference_epochs"])
                report["inference_model"]["recipe"] = model_recipe
            else:
                report["inference_model"] = {"model_dir": model_dir}
            pass_argv += ["--model-dir", model_dir]
        if set(args.parts) & set(PASS_PARTS):
            for name in args.passes:
                report["passes"][name] = start_pass(name, pass_argv, Path(tmp) / f"{name}.json")
                if name == "avx2" and not report["passes"][name]["limits_took_effect"]:
                    print("WARNING: the AVX2 limits did not take effect here; the 'avx2' pass is not an AVX2-only CPU.")
                rounds = report["passes"][name].get("throughput_rounds")
                report["warnings"] += [f"pass '{name}': {line}" for line in ranking_lines(rounds["ranking"], args.quick)
                                       if line.startswith("CANNOT")] if rounds else []
        if "inference" in args.parts and not args.quick:
            report["batched_inference"] = inference_throughput(args.data_dir, recipes["project"]["model_checkpoint"])
    if "quality" in args.parts:
        report["quality"] = {name: quality(recipe, args.data_dir) for name, recipe in recipes.items()}
    if "tests" in args.parts:
        report["tests"] = test_suite_seconds()
    report["seconds"] = time.perf_counter() - START
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nreport: {out} ({report['seconds'] / 60:.1f} minutes)")
    return 0


START = time.perf_counter()

if __name__ == "__main__":
    sys.exit(main())
