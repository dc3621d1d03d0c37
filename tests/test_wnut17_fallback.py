"""load_wnut17(None): the Hub first, then the original files from GitHub, checked by SHA-256 (fake transport)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import datasets
import pytest

from ner_helpers import download
from ner_helpers.data import WNUT17_FILES, load_wnut17
from ner_helpers.errors import ChecksumMismatchError, HubUnreachableError


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
def online(monkeypatch, tmp_path):
    """Not in offline mode, the Hub route failing for another reason, the datasets cache in tmp_path."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))

    def hub_fails(*args, **kwargs):
        raise FileNotFoundError("leondz/wnut_17@refs/convert/parquet: no such revision")

    monkeypatch.setattr(datasets, "load_dataset", hub_fails)
    return tmp_path / "cache"


def serve(monkeypatch, folder: Path, tamper: str | None = None) -> FakeTransport:
    transport = FakeTransport(folder, tamper)
    monkeypatch.setattr(download, "http_get", transport)
    sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in WNUT17_FILES.values()}
    monkeypatch.setattr(download, "WNUT17_SHA256", sums)
    return transport


def test_hub_failure_falls_back_to_the_github_files(online, monkeypatch, sample_dir, capsys):
    transport = serve(monkeypatch, sample_dir)
    dataset = load_wnut17()
    expected = load_wnut17(sample_dir)
    for split in expected:
        assert dataset[split].features == expected[split].features
        assert dataset[split].to_list() == expected[split].to_list()
    assert sorted(url.rsplit("/", 1)[-1] for url in transport.urls) == sorted(WNUT17_FILES.values())
    assert all(url.startswith(f"https://raw.githubusercontent.com/leondz/emerging_entities_17/{download.COMMIT}/") for url in transport.urls)
    note = capsys.readouterr().out
    assert "from the Hub failed (FileNotFoundError" in note and "github.com/leondz/emerging_entities_17" in note
    assert sorted(p.name for p in (online / "wnut17-conll").rglob("*") if p.is_file()) == sorted(WNUT17_FILES.values())


def test_files_are_downloaded_once(online, monkeypatch, sample_dir):
    transport = serve(monkeypatch, sample_dir)
    load_wnut17()
    load_wnut17()
    assert len(transport.urls) == 3


def test_checksum_mismatch_is_a_clear_error_and_nothing_is_saved(online, monkeypatch, sample_dir):
    serve(monkeypatch, sample_dir, tamper="emerging.dev.conll")
    with pytest.raises(ChecksumMismatchError, match=r"emerging\.dev\.conll: SHA-256 [0-9a-f]{64} differs from the known"):
        load_wnut17()
    assert not list(online.rglob("emerging.dev.conll*"))


def test_a_corrupted_cached_file_is_downloaded_again(online, monkeypatch, sample_dir):
    transport = serve(monkeypatch, sample_dir)
    load_wnut17()
    cached = next(online.rglob("wnut17train.conll"))
    cached.write_text("damaged\tO\n")
    assert load_wnut17()["train"].to_list() == load_wnut17(sample_dir)["train"].to_list()
    assert len(transport.urls) == 4


def test_offline_mode_does_not_try_github(monkeypatch):
    # conftest sets HF_HUB_OFFLINE=1: the user asked for no network, so only the Hub error is reported.
    monkeypatch.setattr(download, "http_get", lambda url: pytest.fail("GitHub was tried in offline mode"))
    with pytest.raises(HubUnreachableError, match="DATA_DIR"):
        load_wnut17()


def test_both_routes_failing_names_both_and_the_offline_route(online, monkeypatch):
    def no_network(url):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(download, "http_get", no_network)
    with pytest.raises(HubUnreachableError, match=r"nor its original files from github.com/leondz/emerging_entities_17 \(ConnectionError.*data_dir="):
        load_wnut17()


def test_known_checksums_are_those_of_the_real_files():
    folder = os.environ.get("WNUT17_DIR")
    if not folder:
        pytest.skip("set WNUT17_DIR to the folder of the real WNUT 17 files")
    for name, expected in download.WNUT17_SHA256.items():
        assert hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest() == expected


@pytest.mark.skipif(not os.environ.get("WNUT17_DIR"), reason="set WNUT17_DIR to the folder of the real WNUT 17 files")
def test_fallback_gives_the_real_data_set(online, monkeypatch):
    folder = Path(os.environ["WNUT17_DIR"])
    monkeypatch.setattr(download, "http_get", FakeTransport(folder))  # the real sums, unpatched
    dataset = load_wnut17()
    assert {split: len(dataset[split]) for split in dataset} == {"train": 3394, "validation": 1009, "test": 1287}
    assert dataset["test"].to_list() == load_wnut17(folder)["test"].to_list()


def test_the_fallback_keeps_wnut17s_labels_and_says_what_failed_in_one_line(online, monkeypatch, tmp_path, capsys):
    from ner_helpers.data import HUB_DATASET, WNUT17_LABELS

    # Files with only person entities: the label set must still be WNUT 17's 13, in its order, not discovered.
    folder = tmp_path / "served"
    folder.mkdir()
    for name in WNUT17_FILES.values():
        (folder / name).write_text("Maria\tB-person\nsaid\tO\n\nhi\tO\n")
    long_reason = "no such revision " + "x" * 300

    def hub_fails(*args, **kwargs):
        raise FileNotFoundError(long_reason)

    monkeypatch.setattr(datasets, "load_dataset", hub_fails)
    serve(monkeypatch, folder)
    dataset = load_wnut17()
    assert dataset["train"].features["ner_tags"].feature.names == WNUT17_LABELS
    assert dataset["train"]["ner_tags"][0] == [WNUT17_LABELS.index("B-person"), 0]
    hub_error = f"FileNotFoundError: {long_reason}"
    assert capsys.readouterr().out.splitlines()[0] == (
        f"Loading {HUB_DATASET} from the Hub failed ({hub_error[:200]}); "
        f"trying the original files from github.com/{download.REPOSITORY} (commit {download.COMMIT[:7]})."
    )
