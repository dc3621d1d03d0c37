"""WNUT 17's original CoNLL files from the data set's own repository: `load_wnut17`'s second route.

The Hub's Parquet conversion of `leondz/wnut_17` is the first route. When it fails for a reason
other than offline mode, `load_wnut17` downloads the three files the Hub loader was built from
(github.com/leondz/emerging_entities_17, at a fixed commit) into the datasets cache, once, and
checks each against its known SHA-256 before reading it. Taught in notebook 01_load_data.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

from .errors import ChecksumMismatchError

REPOSITORY = "leondz/emerging_entities_17"
COMMIT = "e52a2d2a71ac1a051ca2d532eef28653c5c02603"
BASE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/"

# SHA-256 of the files at COMMIT (the copies in the project's shared data folder, from the same commit).
WNUT17_SHA256: dict[str, str] = {
    "wnut17train.conll": "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5",
    "emerging.dev.conll": "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8",
    "emerging.test.annotated": "2aa79b764e56ec9264a1b30fdd9b70195bd00ff400b62edd8f399d5f13c178f0",
}

Fetch = Callable[[str], bytes]


def http_get(url: str, timeout: float = 30) -> bytes:
    """The body of `url` (raises on a network error or an HTTP error status)."""
    import requests

    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.content


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_cache_dir() -> Path:
    """Where the files go: a folder of the datasets cache (HF_DATASETS_CACHE), named by the commit."""
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE) / "wnut17-conll" / COMMIT[:12]


def download_wnut17_files(
    cache_dir: str | os.PathLike | None = None,
    fetch: Fetch | None = None,
    checksums: dict[str, str] | None = None,
) -> Path:
    """Download the three WNUT 17 files once into `cache_dir` and return that folder.

    A file already there is used when its SHA-256 matches; otherwise it is downloaded again. A
    download whose SHA-256 differs raises ChecksumMismatchError and is not saved: no silently
    different data. `fetch(url) -> bytes` is the transport (`http_get` by default; tests fake it);
    `checksums` maps file names to SHA-256 (`WNUT17_SHA256` by default).
    """
    fetch = fetch or http_get
    checksums = checksums or WNUT17_SHA256
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, expected in checksums.items():
        path = folder / name
        if path.is_file() and sha256(path.read_bytes()) == expected:
            continue
        url = BASE_URL + name
        data = fetch(url)
        found = sha256(data)
        if found != expected:
            raise ChecksumMismatchError(
                f"{url}: SHA-256 {found} differs from the known {expected}, so the file was not used "
                "(a cut download, or the file changed upstream). Try again later, or download WNUT 17 "
                "yourself and pass its folder: load_wnut17(data_dir='path/to/wnut17') or "
                "make run DATA_DIR=path/to/wnut17.",
                url=url, expected=expected, found=found,
            )
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    return folder
