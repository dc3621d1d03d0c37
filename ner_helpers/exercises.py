"""Checks a student runs on an exercise answer: each prints "right" or "not yet" with a hint.

The answers are computed from the data or the model in hand, never stored, so a check stays true on
the full data, on a subset and on the tiny CI configuration. Notebooks 01, 02 and 04 use them.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Any, Sequence

from .analysis import ERROR_CATEGORIES


# Set to "1" by `make test` and `make run` (with its solutions), so that every solution cell runs there.
RUN_SOLUTIONS_ENV = "NER_RUN_SOLUTIONS"


def solution_wanted(reveal: bool) -> bool:
    """Whether a solution cell runs its answer: when the learner asks (`reveal = True`, or the box ticked on
    Colab), or when a test run asks for every solution ($NER_RUN_SOLUTIONS=1). Run all alone skips it, so no
    answer is printed before the learner has tried."""
    if reveal or os.environ.get(RUN_SOLUTIONS_ENV) == "1":
        return True
    print("Solution hidden: set reveal = True (on Colab, tick the box), then run this cell again.")
    return False


def _verdict(right: bool, hint: str) -> None:
    # Printed, not returned: a notebook cell would also echo a returned True/False under the verdict.
    print("right" if right else f"not yet: {hint}")


def _unanswered(answer: Any) -> bool:
    if answer is None or answer == "":
        print("not yet: replace None with your answer, then run the cell again")
        return True
    return False


def entity_counts(tags_per_sentence: Sequence[Sequence[int]], label_names: Sequence[str]) -> Counter:
    """How many entities of each type the tag lists hold (one per B- tag)."""
    return Counter(label_names[t][2:] for tags in tags_per_sentence for t in tags if label_names[t].startswith("B-"))


def rarest_entity_types(dataset: Any) -> list[str]:
    """The entity type(s) with the fewest entities in a WNUT 17 split (several on a tie)."""
    label_names = dataset.features["ner_tags"].feature.names
    types = sorted({name[2:] for name in label_names if name != "O"})
    counts = entity_counts(dataset["ner_tags"], label_names)
    fewest = min(counts.get(t, 0) for t in types)
    return [t for t in types if counts.get(t, 0) == fewest]


def check_rarest_type(answer: str | None, dataset: Any) -> None:
    """Notebook 01, exercise 2: the rarest entity type of the split `dataset` (e.g. wnut["train"])."""
    if _unanswered(answer):
        return
    _verdict(answer.strip().lower() in rarest_entity_types(dataset), "count the B- tags of each type in the split")


def check_token_count(answer: int | None, words: Sequence[str], tokenizer: Any) -> None:
    """Notebook 02, exercise 2: how many tokens `tokenizer` makes of `words` (special tokens included)."""
    if _unanswered(answer):
        return
    count = len(tokenizer(list(words), is_split_into_words=True)["input_ids"])
    hint = "did you count the special tokens ([CLS], [SEP]) and the pieces of '@' and '#' words?"
    if isinstance(answer, int) and answer != count:
        hint = f"{'too many' if answer > count else 'too few'}; " + hint
    _verdict(answer == count, hint)


def largest_error_categories(errors: Sequence[dict[str, Any]]) -> list[str]:
    """The category (or categories, on a tie) holding most errors, from `categorize_errors`."""
    counts = Counter(error["category"] for error in errors)
    if not counts:
        return []
    most = max(counts.values())
    return [c for c in ERROR_CATEGORIES if counts.get(c) == most]


def check_largest_error_category(answer: str | None, errors: Sequence[dict[str, Any]]) -> None:
    """Notebook 04, exercise 1: the error category that holds most errors."""
    if _unanswered(answer):
        return
    if answer.strip().lower() not in ERROR_CATEGORIES:
        _verdict(False, f"name one of the categories: {', '.join(ERROR_CATEGORIES)}")
        return
    _verdict(answer.strip().lower() in largest_error_categories(errors), "look at the 'total' column of error_summary(errors)")


# On a CPU, notebook 03's exercises train this many (training, validation) sentences for 3 epochs: with the offline
# encoder at 1e-4, validation F1 0.38 after epoch 2, about a minute of training (a smaller subset learns nothing).
CPU_EXERCISE_SUBSET = (1000, 250)
CPU_EXERCISE_EPOCHS = 3


def exercise_splits(artifacts_dir: str | os.PathLike, tokenizer: Any, subset: tuple[int, int] | None) -> tuple[Any, Any]:
    """Notebook 03's exercises: the training and validation sentences to train on, tokenized as notebook 02 did.

    They are the first `subset` (training, validation) sentences of notebook 01's splits, not of the ones
    notebook 02 kept: a learner's `max_train_samples=400` must not leave the exercises a subset that learns
    nothing. `subset=None` takes the whole splits (on a GPU).
    """
    import json
    from pathlib import Path

    from datasets import DatasetDict, load_from_disk

    from .align import tokenize_dataset

    settings = json.loads((Path(artifacts_dir) / "preprocess.json").read_text())
    dataset = load_from_disk(str(Path(artifacts_dir) / "dataset"))
    parts = DatasetDict({
        split: dataset[split] if subset is None else dataset[split].select(range(min(size, dataset[split].num_rows)))
        for split, size in zip(("train", "validation"), subset or (None, None))
    })
    tokenized = tokenize_dataset(parts, tokenizer, label_all_tokens=settings["label_all_tokens"],
                                 max_length=settings.get("max_length"), label_names=settings["label_names"])
    return tokenized["train"], tokenized["validation"]


def scratch_training_run(
    model_checkpoint: str,
    label_names: Sequence[str],
    tokenizer: Any,
    train_dataset: Any,
    eval_dataset: Any,
    **settings: Any,
) -> dict[str, Any]:
    """Notebook 03's exercises: train a fresh model in a scratch folder, deleted afterwards.

    `settings` go to `training.fine_tune` and on to `training_arguments` (learning_rate, num_train_epochs, train_sampling_strategy, ...);
    nothing is saved, so the notebook's own model and checkpoints in artifacts_dir stay as they are.
    Returns the validation F1 and validation loss of each epoch and the training seconds.
    """
    import shutil
    import tempfile

    from .training import fine_tune

    scratch = tempfile.mkdtemp(prefix="exercise-run-")
    try:
        run = fine_tune(model_checkpoint, label_names, tokenizer, train_dataset, eval_dataset, scratch,
                        save_strategy="no", load_best_model_at_end=False, **settings)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    evaluations = [entry for entry in run.log_history if "eval_f1" in entry]
    return {
        "validation_f1": [entry["eval_f1"] for entry in evaluations],
        # F1 stays at 0 until the model marks its first right entity; the loss shows progress before that.
        "validation_loss": [entry["eval_loss"] for entry in evaluations],
        "train_seconds": run.train_result.metrics["train_runtime"],
    }
