"""Shared fixtures (the project's own sample data, a tiny model built at test time: no downloads), the hooks
that turn a skip into a failure where the check was meant to run, and the build of the nbval copies' tiny model. Constants and helpers the test files import:
tests/support.py; the xdist scheduler and the mutmut patch: tests/plugins/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import CI_TINY_MODEL, SAMPLE_DIR, real_data_dir

# Tests never reach the Hub: any accidental download fails fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# The xdist scheduler of `make test` and mutmut's `_nodeid` patch: each file says why it exists.
pytest_plugins = ["plugins.xdist_scheduler", "plugins.mutmut_nodeid"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A real-data test that skips while WNUT17_DIR holds the data fails the run: the check was meant to run.
    So does a browser test that skips while CI=true."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("real_data") and real_data_dir() is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"real-data test skipped although WNUT17_DIR={real_data_dir()} holds the data: {reason}"
    if report.skipped and item.get_closest_marker("browser") and os.environ.get("CI") == "true":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"browser test skipped while CI=true (.ci/run installs chromium and chromium-driver): {reason}"


_RAN_ON_REAL_DATA: list[str] = []


def pytest_runtest_logreport(report):
    """Remember the real-data tests that passed (in the main process too under pytest-xdist: the report's
    keywords carry the marker)."""
    if report.when == "call" and report.passed and "real_data" in report.keywords:
        _RAN_ON_REAL_DATA.append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    """Name the real-data tests that ran, so a CI log shows the subset chain and sweep on WNUT 17 ran."""
    if _RAN_ON_REAL_DATA:
        terminalreporter.write_line(f"real-data tests passed ({len(_RAN_ON_REAL_DATA)}, WNUT17_DIR={real_data_dir()}):")
        for nodeid in sorted(_RAN_ON_REAL_DATA):
            terminalreporter.write_line(f"  {nodeid}")


_BUILT_CI_TINY_MODEL: list[Path] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Build the tiny model that tests/expected_notebooks (run by nbval) load from .cache/tiny-model, once, before the
    first notebook copy: in the worker that runs them (one unit, tests/plugins/xdist_scheduler.py), while the other
    worker goes on with its own tests."""
    if item.nodeid.startswith("tests/expected_notebooks/") and not _BUILT_CI_TINY_MODEL:
        from tiny_model import build_tiny_model

        _BUILT_CI_TINY_MODEL.append(build_tiny_model(CI_TINY_MODEL, SAMPLE_DIR))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), SAMPLE_DIR)


@pytest.fixture(scope="session")
def tiny_distilbert_dir(tmp_path_factory) -> Path:
    """A tiny DistilBERT saved as the guide's distilbert/distilbert-base-uncased is (masked-LM head, no labels,
    no token_type_ids): the guide's own architecture, where tiny_model_dir is a BERT."""
    from tiny_model import build_tiny_distilbert

    return build_tiny_distilbert(tmp_path_factory.mktemp("tiny-distilbert"), SAMPLE_DIR)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture()
def tiny_model(tiny_model_dir):
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification.from_pretrained(tiny_model_dir)


@pytest.fixture()
def write_conll(tmp_path):
    """Write text (given as str or bytes) to a file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "data.conll") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture()
def warning_caller():
    """`warning_caller(module, test_file)`: the file a helper's warning (stacklevel=2) must name: the calling
    test's, or under `make mutation` mutmut's trampoline, which stands between the test and the mutated module."""

    def caller(module, test_file: str) -> str:
        return "mutmut/mutation/trampoline.py" if "mutants" in Path(module.__file__).parts else test_file

    return caller


@pytest.fixture(scope="session")
def wnut(sample_dir):
    """The sample WNUT 17 data set (tests/data/sample_wnut17), as load_wnut17 reads it."""
    from ner_helpers.data import load_wnut17

    return load_wnut17(sample_dir)


@pytest.fixture(scope="session")
def tokenized(wnut, tiny_tokenizer):
    """The sample tokenized by the tiny model's tokenizer, labels on each word's first sub-token."""
    from ner_helpers.align import tokenize_and_align_labels

    return wnut.map(tokenize_and_align_labels, batched=True, fn_kwargs={"tokenizer": tiny_tokenizer},
                    remove_columns=wnut["train"].column_names)


# --- load_wnut17's routes over the network: the fake transport of its GitHub route is support.serve; this fixture,
# used by three files, lets a test leave offline mode.

@pytest.fixture()
def online(monkeypatch, tmp_path):
    """Not in offline mode, the Hub route failing for another reason, the datasets cache in tmp_path."""
    import datasets

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))

    def hub_fails(*args, **kwargs):
        raise FileNotFoundError("leondz/wnut_17@refs/convert/parquet: no such revision")

    monkeypatch.setattr(datasets, "load_dataset", hub_fails)
    return tmp_path / "cache"
