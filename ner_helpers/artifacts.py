"""Where the notebooks hand their results to each other (`artifacts_dir`), and a clear error when one is missing.

On Colab every notebook opened from its badge gets its own runtime and disk, so a folder on that
disk would not reach the next notebook: there `artifacts_dir` moves to one shared folder on Google
Drive (`resolve_artifacts_dir`), and `flush_drive` makes sure it reached Drive before the runtime ends.
Everywhere else `artifacts_dir` stays as given and `flush_drive` does nothing.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from .errors import MissingArtifactError

# Where Colab mounts Google Drive, and the one folder on it that all five notebooks share.
COLAB_DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER = "MyDrive/wnut17-ner"

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


def on_colab() -> bool:
    """Whether this kernel runs on Google Colab (the `google.colab` package is importable)."""
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):  # no `google` package at all, or a half-initialised one
        return False


def resolve_artifacts_dir(artifacts_dir: str | os.PathLike) -> str:
    """`artifacts_dir` as given, except on Colab: there a relative one moves to Google Drive.

    On Colab each notebook runs in its own runtime, so `artifacts/` on one runtime's disk is gone
    for the next notebook. A relative `artifacts_dir` ("artifacts", or an exercise's scratch
    folder) becomes `/content/drive/MyDrive/wnut17-ner/<artifacts_dir>`, mounting Drive first
    (Colab asks once for permission); an absolute path is kept. Prints where the folder is.
    """
    artifacts_dir = Path(artifacts_dir).expanduser()  # "~/wnut17-artifacts" is in the home folder
    if not on_colab() or artifacts_dir.is_absolute():
        return str(artifacts_dir)
    from google.colab import drive  # only importable on Colab

    if not (COLAB_DRIVE_MOUNT / "MyDrive").exists():
        drive.mount(str(COLAB_DRIVE_MOUNT))
    shared = COLAB_DRIVE_MOUNT / DRIVE_FOLDER / artifacts_dir
    shared.mkdir(parents=True, exist_ok=True)
    print(f"On Colab: artifacts_dir is {shared} on your Google Drive, shared by the five notebooks.")
    return str(shared)


def flush_drive() -> None:
    """On Colab, wait until everything saved under Google Drive is written there; elsewhere do nothing.

    Drive copies what a notebook saves in the background, so files written a moment ago may not have
    reached Drive when the runtime stops, and the next notebook (in its own runtime) finds an older copy
    or none. `google.colab.drive.flush_and_unmount()` waits until every file is on Drive; Drive is then
    mounted again, so the rest of the notebook (its exercises) goes on reading artifacts_dir. Notebooks
    01-05 call this right after saving what the next notebook needs.
    """
    if not on_colab():
        return
    if not (COLAB_DRIVE_MOUNT / "MyDrive").exists():
        print("Google Drive is not mounted in this runtime: nothing to flush.")
        return
    from google.colab import drive  # only importable on Colab

    drive.flush_and_unmount()
    drive.mount(str(COLAB_DRIVE_MOUNT))
    print(f"Google Drive: everything saved under {COLAB_DRIVE_MOUNT / DRIVE_FOLDER} is written to Drive; the next "
          "notebook finds it there.")


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
