"""The original WNUT 17 files from GitHub (ner_helpers/download.py), load_wnut17's second route: downloaded once,
checked by SHA-256, downloaded again when the cached copy is damaged (fake transport: support.serve)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ner_helpers import download
from ner_helpers.data import load_wnut17
from ner_helpers.errors import ChecksumMismatchError
from support import FakeTransport, serve


def test_files_are_downloaded_once(online, monkeypatch, sample_dir):
    transport = serve(monkeypatch, sample_dir)
    load_wnut17()
    load_wnut17()
    assert len(transport.urls) == 3


def test_checksum_mismatch_is_a_clear_error_and_nothing_is_saved(online, monkeypatch, sample_dir):
    serve(monkeypatch, sample_dir, tamper="emerging.dev.conll")
    with pytest.raises(ChecksumMismatchError) as error:
        load_wnut17()
    assert error.value.url.endswith("/emerging.dev.conll") and error.value.url in str(error.value)
    assert error.value.expected == download.WNUT17_SHA256["emerging.dev.conll"] != error.value.found
    assert "data_dir=" in str(error.value)  # the way out: a folder of your own copy
    assert not list(online.rglob("emerging.dev.conll*"))


def test_a_corrupted_cached_file_is_downloaded_again(online, monkeypatch, sample_dir):
    transport = serve(monkeypatch, sample_dir)
    load_wnut17()
    cached = next(online.rglob("wnut17train.conll"))
    cached.write_text("damaged\tO\n")
    assert load_wnut17()["train"].to_list() == load_wnut17(sample_dir)["train"].to_list()
    assert len(transport.urls) == 4


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
