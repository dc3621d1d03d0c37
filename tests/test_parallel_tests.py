"""`make test` runs the suite in two pytest-xdist workers: how it splits the work, and with how many threads."""
from __future__ import annotations

from pathlib import Path

import pytest

from support import run_make_with_a_stand_in
from plugins.xdist_scheduler import pytest_xdist_make_scheduler, xdist_unit

ROOT = Path(__file__).resolve().parent.parent


def test_a_test_file_is_one_unit_so_its_module_fixtures_run_once():
    assert xdist_unit("tests/test_sweep.py::test_notebook_06_runs_on_the_sweep_folder") == "tests/test_sweep.py"
    assert xdist_unit("tests/test_sweep.py::test_a_grid_with_an_unknown_parameter_names_it") == "tests/test_sweep.py"
    assert xdist_unit("tests/test_align.py::test_x[a::b]") == "tests/test_align.py"
    assert xdist_unit("tests/test_runner.py") == "tests/test_runner.py"


def test_each_notebook_run_is_a_unit_with_every_test_that_reads_it():
    folder = {xdist_unit(f"tests/test_notebook_runs.py::{test}[folder-subset]")
              for test in ("test_every_notebook_of_the_run_finishes_or_stops_as_expected", "test_no_token_shaped_string_in_the_run_folder")}
    assert len(folder) == 1
    assert folder != {xdist_unit("tests/test_notebook_runs.py::test_every_notebook_of_the_run_finishes_or_stops_as_expected[push-to-hub-offline]")}


def test_the_nbval_notebook_copies_are_one_unit_because_each_reads_the_one_before():
    units = {xdist_unit(f"tests/expected_notebooks/{name}.ipynb::Cell 3") for name in ("01_load_data", "05_inference")}
    assert units == {"tests/expected_notebooks"}
    assert xdist_unit("tests/test_notebooks.py::test_x") != "tests/expected_notebooks"


def test_the_scheduler_hands_whole_units_to_the_workers():
    scheduling = pytest.importorskip("xdist.scheduler", reason="pip install -r requirements.txt (pytest-xdist)")

    class Config:  # what LoadScopeScheduling reads of pytest's config
        option = type("Options", (), {"loadscopereorder": True})()

        def getvalue(self, name):
            return {"tx": ["popen"] * 2, "numprocesses": 2, "maxschedchunk": None}.get(name)

    config = Config()
    scheduler = pytest_xdist_make_scheduler(config, None)
    assert config.option.loadscopereorder is False  # units in collection order: the slow ones first
    assert isinstance(scheduler, scheduling.LoadScopeScheduling)  # one unit at a time per worker, in order
    assert scheduler._split_scope("tests/expected_notebooks/02_preprocess.ipynb::Cell 7") == "tests/expected_notebooks"
    assert scheduler._split_scope("tests/test_data.py::test_y") == "tests/test_data.py"


def run_make_test(tmp_path: Path, *arguments: str) -> tuple[dict[str, str], list[str]]:
    """Run `make test` with a stand-in Python that records the environment and arguments pytest would get."""
    run_make_with_a_stand_in(tmp_path, "test", "python", f'#!/bin/sh\nenv > "{tmp_path}/env"\nprintf "%s\\n" "$@" > "{tmp_path}/args"\n',
                             *arguments, drop=("OMP_NUM_THREADS",))
    started = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines() if "=" in line)
    return started, (tmp_path / "args").read_text().splitlines()


def test_make_test_runs_two_workers_with_one_torch_thread_each(tmp_path):
    # Two workers with torch's default two threads each on 2 cores were slower than one process.
    started, args = run_make_test(tmp_path)
    assert started["OMP_NUM_THREADS"] == "1"
    assert args[:2] == ["-m", "pytest"] and args[args.index("-n") + 1] == "2"


def test_test_workers_zero_runs_one_process(tmp_path):
    started, args = run_make_test(tmp_path, "TEST_WORKERS=0")
    assert args[:2] == ["-m", "pytest"] and "-n" not in args and started["OMP_NUM_THREADS"] == "1"


def test_pytest_xdist_is_pinned_and_kept_out_of_the_colab_install_cell():
    from repo_tools.colab_links import colab_pins

    assert "pytest-xdist==3.8.0" in (ROOT / "requirements.txt").read_text().split()
    assert not [pin for pin in colab_pins() if pin.startswith("pytest-xdist")]


class Item:
    """What the ordering hook reads of a pytest item: its node id and markers."""

    def __init__(self, nodeid: str, *markers: str):
        self.nodeid, self.markers = nodeid, markers

    def get_closest_marker(self, name):
        return name if name in self.markers else None


def test_each_worker_starts_with_the_slow_tests_in_their_order():
    from plugins.xdist_scheduler import pytest_collection_modifyitems

    items = [Item("tests/test_align.py::a"), Item("tests/test_sweep.py::b", "notebook"),
             Item("tests/expected_notebooks/01_load_data.ipynb::Cell 0"), Item("tests/test_data.py::c"),
             Item("tests/test_training.py::d", "training")]
    worker = type("Config", (), {"workerinput": {}})()
    ordered = list(items)
    pytest_collection_modifyitems(worker, ordered)
    assert [item.nodeid.split("::")[1] for item in ordered] == ["b", "Cell 0", "d", "a", "c"]
    unchanged = list(items)
    pytest_collection_modifyitems(object(), unchanged)  # one process, no xdist: the order pytest collected
    assert unchanged == items
