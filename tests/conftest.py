"""Shared fixtures: the project's own sample data and a tiny model built at test time (no downloads)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never reach the Hub: any accidental download fails fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

TESTS_DIR = Path(__file__).parent
SAMPLE_DIR = TESTS_DIR / "data" / "sample_wnut17"
CI_TINY_MODEL = TESTS_DIR.parent / ".cache" / "tiny-model"


def real_data_dir() -> Path | None:
    """The folder WNUT17_DIR names, when it holds the WNUT 17 files; else None."""
    folder = os.environ.get("WNUT17_DIR")
    if folder and (Path(folder) / "wnut17train.conll").is_file():
        return Path(folder)
    return None


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


def xdist_unit(nodeid: str) -> str:
    """What one pytest-xdist worker runs as a whole under `make test`: a test file, so a module's fixtures
    are built once; the nbval notebook copies are one unit, as each reads what the one before it wrote."""
    path = nodeid.split("::")[0]
    return "tests/expected_notebooks" if path.startswith("tests/expected_notebooks/") else path


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown (and unused) where it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """`make test`'s scheduler: xdist's `--dist loadfile` with the nbval chain kept together. (Its
    `loadgroup` marks cannot do it under pytest 9: xdist tags them onto `item._nodeid`, which pytest 9
    no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFileAndNotebookChain(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return ByFileAndNotebookChain(config, log)


def pytest_collection_modifyitems(items):
    """mutmut 3.8 (`make mutation`) reads `item._nodeid`, which pytest 9 no longer sets: give it one."""
    if os.environ.get("MUTANT_UNDER_TEST") is not None:
        for item in items:
            if not hasattr(item, "_nodeid"):
                item._nodeid = item.nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Build the tiny model that tests/expected_notebooks (run by nbval) load from .cache/tiny-model."""
    if not session.config.pluginmanager.hasplugin("nbval"):
        return  # no notebook copy runs (`make mutation`, `-p no:nbval`): save each session the 0.8 s build
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: the main process built it before starting the workers
    from tiny_model import build_tiny_model

    build_tiny_model(CI_TINY_MODEL, SAMPLE_DIR)


# A hand-made sample of WNUT 17 tags and predictions wrong in each way a prediction can be. Precision equals recall
# (3 of 6 entities right both ways): tests/test_metrics.py compares scores on it, tests/test_analysis.py the errors.
HAND_MADE_GOLD = [
    ["B-person", "I-person", "O", "B-location", "O"],
    ["O", "B-product", "I-product", "O", "B-group"],
    ["B-corporation", "O", "O", "B-creative-work", "I-creative-work"],
]
HAND_MADE_PREDICTED = [
    ["B-person", "I-person", "O", "B-person", "O"],  # right, wrong type
    ["O", "B-product", "O", "O", "O"],  # wrong boundary, missed
    ["B-corporation", "O", "B-group", "B-creative-work", "I-creative-work"],  # right, spurious, right
]


def cell_output(notebook: Path, cell_id: str) -> str:
    """All text an executed notebook's cell printed or displayed (text, plain text and HTML), joined; for the tests
    that run notebooks and read what a cell showed (`from conftest import cell_output`)."""
    import json

    cell = next(c for c in json.loads(Path(notebook).read_text())["cells"] if c.get("id") == cell_id)
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
        parts.append("".join(output.get("data", {}).get("text/html", "")))
    return "\n".join(parts)


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


# --- load_wnut17's second route (the original files from GitHub), with a fake transport instead of the network.

class FakeTransport:
    """Serves files from a folder by the name at the end of the URL, and records what was asked."""

    def __init__(self, folder: Path, tamper: str | None = None):
        self.folder, self.tamper, self.urls = folder, tamper, []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        name = url.rsplit("/", 1)[-1]
        data = (self.folder / name).read_bytes()
        return data.replace(b"\tO", b"\tB-person", 1) if name == self.tamper else data


@pytest.fixture()
def fake_transport():
    """The FakeTransport class: `fake_transport(folder)` serves that folder's files."""
    return FakeTransport


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


@pytest.fixture()
def serve():
    """`serve(monkeypatch, folder, tamper=None)`: download's transport serves folder's files (the file named
    `tamper` altered), with their SHA-256 sums as the known ones; returns the FakeTransport."""

    def serve_files(monkeypatch, folder: Path, tamper: str | None = None) -> FakeTransport:
        import hashlib

        from ner_helpers import download
        from ner_helpers.data import WNUT17_FILES

        transport = FakeTransport(folder, tamper)
        monkeypatch.setattr(download, "http_get", transport)
        sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in WNUT17_FILES.values()}
        monkeypatch.setattr(download, "WNUT17_SHA256", sums)
        return transport

    return serve_files
