"""On Colab each notebook runs in its own runtime: `artifacts_dir` moves to one shared folder on Google Drive.

A fake `google.colab` module stands in for Colab; Drive is "mounted" into a temporary folder.
"""
from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path

import nbformat
import pytest

from ner_helpers import artifacts

ROOT = Path(__file__).resolve().parent.parent
# What each notebook checks for in the cell after its parameters (written by the notebooks before it).
NEEDS = {
    "02_preprocess": ["dataset"],
    "03_train": ["tokenized", "preprocess.json"],
    "04_evaluate": ["model", "log_history.json", "tokenized", "dataset"],
    "05_inference": ["model"],
}


@pytest.fixture()
def fake_colab(tmp_path, monkeypatch):
    """Make `google.colab` importable; `drive.mount` creates MyDrive under tmp_path/drive and is recorded."""
    mounts: list[str] = []

    def mount(mountpoint: str) -> None:
        mounts.append(mountpoint)
        (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)

    google = types.ModuleType("google")
    google.__path__ = []
    colab = types.ModuleType("google.colab")
    colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
    drive = types.ModuleType("google.colab.drive")
    drive.mount = mount
    colab.drive = drive
    google.colab = colab
    for name, module in (("google", google), ("google.colab", colab), ("google.colab.drive", drive)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(artifacts, "COLAB_DRIVE_MOUNT", tmp_path / "drive")
    monkeypatch.chdir(tmp_path)
    return mounts


def first_cells(name: str) -> str:
    """The parameters cell and the cell after it: what a notebook runs before it reads anything."""
    cells = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    index = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    return cells[index].source + "\n" + cells[index + 1].source


def shared_folder(tmp_path: Path) -> Path:
    return tmp_path / "drive" / "MyDrive" / "wnut17-ner" / "artifacts"


def write_artifacts(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        if "." in name:
            (folder / name).write_text('{"model_checkpoint": "m", "label_names": ["O"]}')
        else:
            (folder / name).mkdir(exist_ok=True)


def test_outside_colab_artifacts_dir_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not artifacts.on_colab()
    assert artifacts.resolve_artifacts_dir("artifacts") == "artifacts"
    assert not (tmp_path / "drive").exists()


def test_on_colab_artifacts_dir_moves_to_one_shared_drive_folder(fake_colab, tmp_path):
    assert artifacts.on_colab()
    assert artifacts.resolve_artifacts_dir("artifacts") == str(shared_folder(tmp_path))
    assert fake_colab == [str(tmp_path / "drive")]
    artifacts.resolve_artifacts_dir("artifacts")  # Drive already mounted: not mounted again
    assert len(fake_colab) == 1
    assert artifacts.resolve_artifacts_dir(str(tmp_path / "mine")) == str(tmp_path / "mine")  # absolute: kept


def test_notebook_01_writes_to_the_shared_drive_folder_on_colab(fake_colab, tmp_path):
    namespace: dict = {}
    exec(first_cells("01_load_data"), namespace)
    assert namespace["artifacts_dir"] == str(shared_folder(tmp_path))


@pytest.mark.parametrize("name", list(NEEDS))
def test_notebooks_02_to_05_find_the_shared_drive_folder_on_colab(fake_colab, tmp_path, name):
    # A fresh runtime: only Drive holds what the earlier notebooks saved.
    write_artifacts(shared_folder(tmp_path), NEEDS[name])
    namespace: dict = {}
    exec(first_cells(name), namespace)
    assert namespace["artifacts_dir"] == str(shared_folder(tmp_path))
    assert not (tmp_path / "artifacts").exists()


@pytest.mark.parametrize("name", list(NEEDS))
def test_notebooks_02_to_05_outside_colab_read_artifacts_where_they_are(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    write_artifacts(tmp_path / "artifacts", NEEDS[name])
    namespace: dict = {}
    exec(first_cells(name), namespace)
    assert namespace["artifacts_dir"] == "artifacts"


def test_scratch_copy_holds_the_inputs_but_not_the_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_artifacts(tmp_path / "artifacts", ["dataset", "tokenized", "preprocess.json", "model"])
    (tmp_path / "artifacts" / "dataset" / "data.arrow").write_text("rows")
    scratch = Path(artifacts.scratch_artifacts_dir("artifacts"))
    assert scratch == Path("artifacts-scratch")
    assert (scratch / "dataset" / "data.arrow").read_text() == "rows"
    assert (scratch / "preprocess.json").exists() and (scratch / "tokenized").is_dir()
    assert not (scratch / "model").exists()
    with pytest.raises(ValueError, match="choose another name"):
        artifacts.scratch_artifacts_dir("artifacts", scratch="artifacts")


def test_scratch_copy_on_colab_sits_next_to_the_shared_folder(fake_colab, tmp_path):
    shared = artifacts.resolve_artifacts_dir("artifacts")
    write_artifacts(Path(shared), ["dataset"])
    scratch = artifacts.scratch_artifacts_dir(shared)
    assert scratch == str(tmp_path / "drive" / "MyDrive" / "wnut17-ner" / "artifacts-scratch")
    assert (Path(scratch) / "dataset").is_dir()
