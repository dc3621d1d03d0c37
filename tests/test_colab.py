"""On Colab each notebook runs in its own runtime: `artifacts_dir` moves to one shared folder on Google Drive.

A fake `google.colab` module stands in for Colab; Drive is "mounted" into a temporary folder.
"""
from __future__ import annotations

import importlib.machinery
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest

from ner_helpers import artifacts
from repo_tools import colab_links  # imported before fake_colab patches artifacts.COLAB_DRIVE_MOUNT

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
    """Make `google.colab` importable; `drive.mount` creates MyDrive under tmp_path/drive and is recorded.

    `drive.flush_and_unmount` is recorded as "flush" and moves MyDrive to tmp_path/cloud (Drive itself),
    from where the next `drive.mount` brings it back, as a new runtime finds what an earlier one saved.
    """
    mounts: list[str] = []
    cloud = tmp_path / "cloud"

    def mount(mountpoint: str) -> None:
        mounts.append(mountpoint)
        if cloud.exists():
            Path(mountpoint).mkdir(parents=True, exist_ok=True)
            shutil.move(cloud, Path(mountpoint) / "MyDrive")
        (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)

    def flush_and_unmount() -> None:
        mounts.append("flush")
        shutil.move(tmp_path / "drive" / "MyDrive", cloud)

    google = types.ModuleType("google")
    google.__path__ = []
    colab = types.ModuleType("google.colab")
    colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
    drive = types.ModuleType("google.colab.drive")
    drive.mount = mount
    drive.flush_and_unmount = flush_and_unmount
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


def test_flush_drive_writes_drive_and_unmounts_it_on_colab(fake_colab, tmp_path, capsys):
    shared = Path(artifacts.resolve_artifacts_dir("artifacts"))
    (shared / "preprocess.json").write_text("{}")
    capsys.readouterr()
    assert artifacts.flush_drive() is True
    assert fake_colab == [str(tmp_path / "drive"), "flush"]
    said = capsys.readouterr().out
    assert "is written to Drive, and Drive is unmounted" in said and str(tmp_path / "drive" / "MyDrive" / "wnut17-ner") in said
    assert not shared.exists()  # unmounted: the files are on Drive, not in this runtime
    # The next notebook (or this one's first cells again) mounts Drive and finds what was flushed.
    assert Path(artifacts.resolve_artifacts_dir("artifacts")) == shared
    assert (shared / "preprocess.json").read_text() == "{}"
    assert fake_colab == [str(tmp_path / "drive"), "flush", str(tmp_path / "drive")]


def test_flush_drive_without_a_mounted_drive_says_so_and_flushes_nothing(fake_colab, capsys):
    assert artifacts.flush_drive() is False
    assert fake_colab == []
    assert capsys.readouterr().out == "Google Drive is not mounted in this runtime: nothing to flush.\n"


def test_flush_drive_outside_colab_does_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert artifacts.flush_drive() is False
    assert capsys.readouterr().out == ""


# The install cell, with the placeholder repository: ner_helpers from a zip in /content, else on Drive.

def run_install_cell(tmp_path: Path, monkeypatch) -> tuple[dict, list[str]]:
    """Run the generated install cell as Colab would, with /content moved under tmp_path; returns its
    namespace and the `%pip` lines it ran (not run: recorded)."""
    from IPython.core.inputtransformer2 import TransformerManager

    magics: list[str] = []

    class Shell:
        def run_line_magic(self, name: str, line: str) -> None:
            magics.append(f"%{name} {line}")

    source = colab_links.install_cell(colab_links.PLACEHOLDER, "main", colab_links.colab_pins())
    code = TransformerManager().transform_cell(source.replace('"/content', f'"{tmp_path}/content'))
    namespace: dict = {"get_ipython": Shell}
    exec(code, namespace)
    return namespace, magics


def test_install_cell_takes_a_zip_uploaded_to_content_without_mounting_drive(fake_colab, tmp_path, monkeypatch, capsys):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "wnut17-ner-main.zip").write_bytes(b"zip")
    namespace, magics = run_install_cell(tmp_path, monkeypatch)
    assert fake_colab == []  # Drive is left alone
    assert namespace["zips"] == [f"{tmp_path}/content/wnut17-ner-main.zip"]
    assert magics[-1] == '%pip install -q --no-deps "{zips[0]}"'
    assert capsys.readouterr().out == f"installing ner_helpers from {tmp_path}/content/wnut17-ner-main.zip\n"


def test_install_cell_finds_the_zip_on_drive_in_a_new_runtime(fake_colab, tmp_path, monkeypatch, capsys):
    # An earlier runtime left the zip in MyDrive/wnut17-ner/; this runtime's /content holds none.
    (tmp_path / "cloud" / "wnut17-ner").mkdir(parents=True)
    (tmp_path / "cloud" / "wnut17-ner" / "wnut17-ner-main.zip").write_bytes(b"zip")
    namespace, magics = run_install_cell(tmp_path, monkeypatch)
    assert fake_colab == [f"{tmp_path}/content/drive"]  # mounted once; resolve_artifacts_dir will not mount again
    assert namespace["zips"] == [f"{tmp_path}/content/drive/MyDrive/wnut17-ner/wnut17-ner-main.zip"]
    assert magics[-1] == '%pip install -q --no-deps "{zips[0]}"'
    assert "installing ner_helpers from " + namespace["zips"][0] in capsys.readouterr().out


def test_install_cell_without_any_zip_says_both_places_to_put_one(fake_colab, tmp_path, monkeypatch, capsys):
    namespace, magics = run_install_cell(tmp_path, monkeypatch)
    assert namespace["zips"] == [] and len(magics) == 1  # only the pinned releases
    said = capsys.readouterr().out
    assert "Files pane, Upload" in said and f"{artifacts.DRIVE_FOLDER}/ on your Google Drive" in said
