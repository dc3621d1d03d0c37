"""Where the notebooks hand their results to each other (`artifacts_dir`), and a clear error when one is missing.

On Colab the folder lives on Google Drive: ner_helpers.colab moves it there (`resolve_artifacts_dir`) and
makes sure it reached Drive (`flush_drive`, re-exported here: the notebooks import it with `find_artifacts`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .colab import flush_drive, resolve_artifacts_dir  # noqa: F401  (flush_drive: re-exported for the notebooks)
from .errors import MissingArtifactError

# artifact name (relative to artifacts_dir) -> notebook that writes it
PRODUCED_BY: dict[str, str] = {
    "dataset": "01_load_data.ipynb",
    "tokenized": "02_preprocess.ipynb",
    "preprocess.json": "02_preprocess.ipynb",
    "model": "03_train.ipynb",
    "log_history.json": "03_train.ipynb",
    "test_metrics.json": "04_evaluate.ipynb",
}


def require_artifact(artifacts_dir: str | os.PathLike, name: str) -> Path:
    """The path of an earlier notebook's output, or an error naming the notebook to run first."""
    path = Path(artifacts_dir) / name
    if not path.exists():
        notebook = PRODUCED_BY.get(name, "the earlier notebooks")
        raise MissingArtifactError(
            f"{path} not found: it is written by notebooks/{notebook}. Run that notebook first "
            f"(with the same artifacts_dir={str(artifacts_dir)!r}), then run this one again.",
            notebook=PRODUCED_BY.get(name), path=path,
        )
    return path


def find_artifacts(artifacts_dir: str | os.PathLike, *names: str) -> tuple[Any, ...]:
    """`artifacts_dir` (on Colab, moved to Google Drive by `resolve_artifacts_dir`) and the path of each earlier
    notebook's output named, in order; a missing one stops with the notebook to run first. The notebooks'
    first cell after the parameters: `artifacts_dir, model_dir = find_artifacts(artifacts_dir, "model")`."""
    artifacts_dir = resolve_artifacts_dir(artifacts_dir)
    return (artifacts_dir, *(require_artifact(artifacts_dir, name) for name in names))


def scratch_artifacts_dir(artifacts_dir: str | os.PathLike, scratch: str = "artifacts-scratch") -> str:
    """A scratch copy of the data that notebooks 01 and 02 saved, for exercises that retrain or re-tokenize.

    Copies `dataset`, `tokenized` and `preprocess.json` (those present) from `artifacts_dir` into
    `scratch` (on Colab, next to it on Google Drive) and returns its path: run an exercise with
    `artifacts_dir` set to it, and the model that notebooks 04 and 05 read stays as it was.
    """
    import shutil

    source = Path(artifacts_dir)
    target = Path(resolve_artifacts_dir(scratch))
    if target.resolve() == source.resolve():
        raise ValueError(f"The scratch folder {target} is artifacts_dir itself: choose another name.")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("dataset", "tokenized", "preprocess.json"):
        if (source / name).is_dir():
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source / name, target / name)
        elif (source / name).exists():
            shutil.copy2(source / name, target / name)
    print(f"copied what notebooks 01 and 02 saved to {target}: set artifacts_dir = {str(target)!r} for the exercise")
    return str(target)


def kept_sentences(artifacts_dir: str | os.PathLike, split: str):
    """The words and tags of the sentences of `split` that notebook 02 kept and tokenized (a `datasets.Dataset`).

    `max_train_samples` and `max_eval_samples` (notebook 02) keep the first sentences of a split, so
    these are the first rows of notebook 01's data set, as many as notebook 02's tokenized split holds.
    Notebooks 04 and 05 score and show exactly these, whatever the subset.
    """
    from datasets import load_from_disk

    words = load_from_disk(str(require_artifact(artifacts_dir, "dataset")))[split]
    kept = load_from_disk(str(require_artifact(artifacts_dir, "tokenized")))[split].num_rows
    if kept > words.num_rows:
        raise ValueError(
            f"{artifacts_dir}: notebook 02 tokenized {kept} {split} sentences but notebook 01 saved {words.num_rows}: "
            "they come from different runs. Run notebooks 01 and 02 again with this artifacts_dir."
        )
    return words.select(range(kept))
