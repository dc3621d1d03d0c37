"""Colab and Google Drive: where `artifacts_dir` lives on Colab, and making sure it reached Drive.

On Colab every notebook opened from its badge gets its own runtime and disk, so a folder on that disk would
not reach the next notebook: there `artifacts_dir` moves to one shared folder on Google Drive
(`resolve_artifacts_dir`), and `flush_drive` waits until what a notebook saved is on Drive. Everywhere else
`artifacts_dir` stays as given (with `~` expanded) and `flush_drive` does nothing.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

# Where Colab mounts Google Drive, and the one folder on it that all five notebooks share.
COLAB_DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER = "MyDrive/wnut17-ner"


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
