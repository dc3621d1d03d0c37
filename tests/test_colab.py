"""On Colab each notebook runs in its own runtime: `artifacts_dir` moves to one shared folder on Google Drive.

A fake `google.colab` module stands in for Colab; Drive is "mounted" into a temporary folder.
"""
from __future__ import annotations

import importlib.machinery
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from ner_helpers import artifacts, colab
from repo_tools import colab_links  # imported before fake_colab patches colab.COLAB_DRIVE_MOUNT
from repo_tools.notebooks import is_install_cell

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
    google_colab = types.ModuleType("google.colab")
    google_colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
    drive = types.ModuleType("google.colab.drive")
    drive.mount = mount
    drive.flush_and_unmount = flush_and_unmount
    google_colab.drive = drive
    google.colab = google_colab
    for name, module in (("google", google), ("google.colab", google_colab), ("google.colab.drive", drive)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(colab, "COLAB_DRIVE_MOUNT", tmp_path / "drive")
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
    assert not colab.on_colab()
    assert colab.resolve_artifacts_dir("artifacts") == "artifacts"
    assert not (tmp_path / "drive").exists()


def test_on_colab_artifacts_dir_moves_to_one_shared_drive_folder(fake_colab, tmp_path):
    assert colab.on_colab()
    assert colab.resolve_artifacts_dir("artifacts") == str(shared_folder(tmp_path))
    assert fake_colab == [str(tmp_path / "drive")]
    colab.resolve_artifacts_dir("artifacts")  # Drive already mounted: not mounted again
    assert len(fake_colab) == 1
    assert colab.resolve_artifacts_dir(str(tmp_path / "mine")) == str(tmp_path / "mine")  # absolute: kept


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
    shared = colab.resolve_artifacts_dir("artifacts")
    write_artifacts(Path(shared), ["dataset"])
    scratch = artifacts.scratch_artifacts_dir(shared)
    assert scratch == str(tmp_path / "drive" / "MyDrive" / "wnut17-ner" / "artifacts-scratch")
    assert (Path(scratch) / "dataset").is_dir()


def test_flush_drive_writes_drive_and_mounts_it_again_on_colab(fake_colab, tmp_path, capsys):
    shared = Path(colab.resolve_artifacts_dir("artifacts"))
    (shared / "preprocess.json").write_text("{}")
    capsys.readouterr()
    assert colab.flush_drive() is None  # nothing for a notebook cell to echo
    assert fake_colab == [str(tmp_path / "drive"), "flush", str(tmp_path / "drive")]
    assert str(tmp_path / "drive" / "MyDrive" / "wnut17-ner") in capsys.readouterr().out
    # Flushed, then mounted again: the rest of the notebook (its exercises) still reads what it saved.
    assert (shared / "preprocess.json").read_text() == "{}"
    assert Path(colab.resolve_artifacts_dir("artifacts")) == shared and fake_colab.count("flush") == 1


def test_flush_drive_without_a_mounted_drive_flushes_nothing(fake_colab, capsys):
    colab.flush_drive()
    assert fake_colab == [] and "not mounted" in capsys.readouterr().out


def test_flush_drive_outside_colab_does_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert colab.flush_drive() is None
    assert capsys.readouterr().out == ""


def test_find_artifacts_moves_to_drive_on_colab_and_names_the_notebook_of_a_missing_one(fake_colab, tmp_path):
    from ner_helpers.errors import MissingArtifactError

    shared = Path(colab.resolve_artifacts_dir("artifacts"))
    (shared / "model").mkdir()
    artifacts_dir, model = artifacts.find_artifacts("artifacts", "model")
    assert (artifacts_dir, model) == (str(shared), shared / "model")
    with pytest.raises(MissingArtifactError) as error:
        artifacts.find_artifacts("artifacts", "model", "log_history.json")
    assert "03_train" in str(error.value)


def test_find_artifacts_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "runs" / "dataset").mkdir(parents=True)
    assert artifacts.find_artifacts("~/runs", "dataset") == (str(tmp_path / "runs"), tmp_path / "runs" / "dataset")


# The install cell: a Colab form that installs the pins, then ner_helpers from GitHub or, with the placeholder
# repository, from a zip in /content or else on Drive. Run here as Colab runs it: each %pip line expanded as IPython
# expands it ({expr} and $name; Colab's shell expands the command once more) and run through bash, with a stand-in
# for `python -m pip` that records its arguments and, like pip, fails when it is given no requirement.

FAKE_PIP = """\
import json, sys
with open(sys.argv[1], "a") as log:
    print(json.dumps(sys.argv[4:]), file=log)  # after the log and `-m pip`: `install ...`
sys.exit(0 if [a for a in sys.argv[5:] if not a.startswith("-")] else 1)
"""
FORK = ("someone/wnut17-fork", "spring-2027")


class ColabShell:
    """`get_ipython()` for the install cell: `%pip <line>` becomes `<python> -m pip <line>`, run by bash."""

    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "pip.log"
        script = tmp_path / "pip.py"
        script.write_text(FAKE_PIP)
        self.python = tmp_path / "python"  # `python -m pip ...` runs pip.py, which logs what follows `-m pip`
        self.python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "{self.log}" "$@"\n')
        self.python.chmod(0o755)

    def run_line_magic(self, name: str, line: str) -> None:
        from IPython.utils.text import DollarFormatter

        assert name == "pip"
        namespace = sys._getframe(1).f_locals  # the cell's variables, as IPython's var_expand reads them
        command = f"{self.python} -m pip {DollarFormatter().vformat(line, [], namespace)}"
        command = DollarFormatter().vformat(command, [], namespace)
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
        print(done.stdout + done.stderr, end="")

    def pip_calls(self) -> list[list[str]]:
        """The arguments of each pip run, after `-m pip`."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def run_install_cell(tmp_path: Path, repo: str = colab_links.PLACEHOLDER, branch: str = "main") -> ColabShell:
    """Run the install cell the setting (repo, branch) generates, with /content moved under tmp_path."""
    from IPython.core.inputtransformer2 import TransformerManager

    shell = ColabShell(tmp_path)
    source = colab_links.install_cell(repo, branch, colab_links.colab_pins())
    exec(TransformerManager().transform_cell(source.replace("/content", f"{tmp_path}/content")), {"get_ipython": lambda: shell})
    return shell


@pytest.mark.parametrize("repo", [colab_links.PLACEHOLDER, FORK[0]])
def test_install_cell_is_a_colab_form_of_at_most_six_lines(repo):
    # Every line is plumbing in each lesson (repo_tools/lesson_size.py counts the non-blank ones, the title too).
    source = colab_links.install_cell(repo, "main", colab_links.colab_pins())
    assert source.startswith("#@title ")  # Colab shows this line; the cell's metadata (as_form) hides the code
    assert len([line for line in source.splitlines() if line.strip()]) <= 6
    assert is_install_cell(nbformat.v4.new_code_cell(source, metadata=colab_links.as_form({})))
    assert colab_links.as_form({"id": "x", "tags": ["t"]}) == {"id": "x", "tags": ["t"], "cellView": "form"}


@pytest.mark.parametrize("repo", [colab_links.PLACEHOLDER, FORK[0]])
def test_install_cell_outside_colab_does_nothing_and_prints_nothing(tmp_path, monkeypatch, capsys, repo):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "wnut17-ner-main.zip").write_bytes(b"zip")
    shell = run_install_cell(tmp_path, repo)
    assert shell.pip_calls() == []
    assert capsys.readouterr() == ("", "")


def test_install_cell_with_a_repository_installs_the_pins_then_ner_helpers_from_github(fake_colab, tmp_path, capsys):
    calls = run_install_cell(tmp_path, *FORK).pip_calls()
    assert calls == [["install", "-q", *colab_links.colab_pins()],
                     ["install", "-q", "--no-deps", "ner_helpers @ git+https://github.com/someone/wnut17-fork.git@spring-2027"]]
    assert not any(pin.startswith("torch==") for pin in calls[0])  # Colab's own torch is kept
    assert fake_colab == []  # Drive is left to the cell after the parameters
    assert capsys.readouterr().out == ""


def test_install_cell_takes_a_zip_uploaded_to_content_before_one_on_drive(fake_colab, tmp_path, capsys):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "wnut17-ner-main.zip").write_bytes(b"zip")
    (tmp_path / "cloud" / "wnut17-ner").mkdir(parents=True)
    (tmp_path / "cloud" / "wnut17-ner" / "older.zip").write_bytes(b"zip")
    calls = run_install_cell(tmp_path).pip_calls()
    assert calls[0] == ["install", "-q", *colab_links.colab_pins()]
    assert calls[1] == ["install", "--no-deps", f"{tmp_path}/content/wnut17-ner-main.zip"]
    assert capsys.readouterr().out == ""


def test_install_cell_finds_the_zip_on_drive_in_a_new_runtime(fake_colab, tmp_path, capsys):
    # An earlier runtime left the zip in MyDrive/wnut17-ner/; this runtime's /content holds none.
    (tmp_path / "cloud" / "wnut17-ner").mkdir(parents=True)
    (tmp_path / "cloud" / "wnut17-ner" / "wnut17-ner-main.zip").write_bytes(b"zip")
    calls = run_install_cell(tmp_path).pip_calls()
    assert fake_colab == [f"{tmp_path}/content/drive"]  # mounted once; resolve_artifacts_dir will not mount again
    assert calls[1] == ["install", "--no-deps", f"{tmp_path}/content/drive/MyDrive/wnut17-ner/wnut17-ner-main.zip"]
    assert capsys.readouterr().out == ""


def test_install_cell_without_any_zip_says_both_places_to_put_one(fake_colab, tmp_path, capsys):
    calls = run_install_cell(tmp_path).pip_calls()
    assert calls[1] == ["install", "--no-deps"]  # pip is given no requirement, and fails
    said = capsys.readouterr().out
    assert f"{tmp_path}/content " in said and f"{colab.DRIVE_FOLDER}/ on Google Drive" in said and "docs/colab.md" in said
