"""Load WNUT 17 (from the Hub or a folder of CoNLL files) and any CoNLL-style BIO data.

Taught in notebook 01_load_data.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import datasets

from .errors import ConllFormatError, HubUnreachableError

# The order of the Hub data set's `ner_tags` ClassLabel: label ids depend on it.
WNUT17_LABELS: list[str] = [
    "O",
    "B-corporation",
    "I-corporation",
    "B-creative-work",
    "I-creative-work",
    "B-group",
    "I-group",
    "B-location",
    "I-location",
    "B-person",
    "I-person",
    "B-product",
    "I-product",
]

# The original CoNLL files of WNUT 17, by split.
WNUT17_FILES: dict[str, str] = {
    "train": "wnut17train.conll",
    "validation": "emerging.dev.conll",
    "test": "emerging.test.annotated",
}

# `load_dataset("wnut_17")` needs a loading script, which datasets 4+ refuses;
# the Hub's automatic Parquet conversion of the same data set loads without one.
HUB_DATASET = "leondz/wnut_17"
HUB_PARQUET_REVISION = "refs/convert/parquet"

OFFLINE_HINT = (
    "To work offline, point the loader at a folder with the original CoNLL files "
    f"({', '.join(WNUT17_FILES.values())}): load_wnut17(data_dir='path/to/wnut17'), "
    "the notebooks' `data_dir` parameter, or `make run DATA_DIR=path/to/wnut17`."
)


def wnut17_features(label_names: Sequence[str] = WNUT17_LABELS) -> datasets.Features:
    """The features of the Hub's WNUT 17: `id`, `tokens`, `ner_tags` as ClassLabel names."""
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=list(label_names))),
        }
    )


@dataclass
class ConllReport:
    """What reading one CoNLL file found besides sentences: repairs a user should know about."""

    path: str
    sentences: int = 0
    tokens: int = 0
    repaired_orphan_i: list[int] = field(default_factory=list)  # line numbers


def read_conll(
    path: str | os.PathLike, label_names: Sequence[str] | None = None
) -> tuple[list[tuple[list[str], list[str]]], ConllReport]:
    """Read one `token<TAB>tag` file into (tokens, tags) sentences.

    A blank line (or a line holding only whitespace, as WNUT 17's training file has) ends a
    sentence. Windows line endings and repeated blank lines are accepted. A malformed line raises
    ConllFormatError naming the file and line. An I- tag that does not continue an entity of the
    same type is repaired to B- (seqeval reads it the same way) and reported with its line numbers.
    With `label_names`, a tag outside that set raises ConllFormatError too.
    """
    allowed = set(label_names) if label_names is not None else None
    path = Path(path)
    if not path.is_file():
        raise ConllFormatError(f"{path}: file not found.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = raw[: err.start].count(b"\n") + 1
        raise ConllFormatError(
            f"{path}, line {line_no}: bytes that are not UTF-8 ({raw[err.start:err.start + 4]!r}). "
            "Save the file as UTF-8 and try again."
        ) from None
    if text.startswith("\ufeff"):  # a byte-order mark left by some editors
        text = text[1:]

    report = ConllReport(path=str(path))
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    # splitlines() would also split on U+2028 and other separators that can sit inside a token.
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            raise ConllFormatError(
                f"{path}, line {line_no}: expected 'token<TAB>tag' (2 columns), "
                f"found {len(columns)} column(s) in {line!r}."
            )
        token, tag = columns[0], columns[1].strip()
        if not token:
            raise ConllFormatError(f"{path}, line {line_no}: empty token in {line!r}.")
        if not tag:
            raise ConllFormatError(f"{path}, line {line_no}: empty tag for token {token!r}.")
        if tag.startswith("I-"):
            previous = tags[-1] if tags else "O"
            if previous[2:] != tag[2:]:
                report.repaired_orphan_i.append(line_no)
                tag = "B-" + tag[2:]
        elif tag != "O" and not tag.startswith("B-"):
            raise ConllFormatError(
                f"{path}, line {line_no}: tag {tag!r} is not BIO (expected O, B-<type> or I-<type>)."
            )
        if allowed is not None and tag not in allowed:
            raise ConllFormatError(
                f"{path}, line {line_no}: tag {tag!r} is not in the label set {list(label_names)}. "
                "Fix the tag, or load with label_names=None to discover the labels from the data."
            )
        tokens.append(token)
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    if not sentences:
        raise ConllFormatError(f"{path}: the file holds no sentences (is it empty?).")

    report.sentences = len(sentences)
    report.tokens = sum(len(t) for t, _ in sentences)
    if report.repaired_orphan_i:
        lines = ", ".join(map(str, report.repaired_orphan_i[:5]))
        more = " ..." if len(report.repaired_orphan_i) > 5 else ""
        warnings.warn(
            f"{path}: {len(report.repaired_orphan_i)} I- tag(s) with no B- or I- of the same type "
            f"before them were read as B- (lines {lines}{more}).",
            stacklevel=2,
        )
    return sentences, report


def discover_labels(tags: Iterable[str]) -> list[str]:
    """Label names for a BIO tag set: O first, then each type sorted, B- before I-."""
    types = sorted({t[2:] for t in tags if t != "O"})
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


def load_conll(
    data_files: Mapping[str, str | os.PathLike],
    label_names: Sequence[str] | None = None,
) -> datasets.DatasetDict:
    """Load CoNLL files (`token<TAB>tag`, blank line between sentences) as a DatasetDict.

    `data_files` maps split names to files. Labels are discovered over all splits when
    `label_names` is not given; a tag outside a given label set raises ConllFormatError.
    """
    read = {split: read_conll(path, label_names) for split, path in data_files.items()}
    if label_names is None:
        label_names = discover_labels(
            tag for sentences, _ in read.values() for _, tags in sentences for tag in tags
        )
    features = wnut17_features(label_names)
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_dict(
                {
                    "id": [str(i) for i in range(len(sentences))],
                    "tokens": [tokens for tokens, _ in sentences],
                    "ner_tags": [tags for _, tags in sentences],
                },
                features=features,
            )
            for split, (sentences, _) in read.items()
        }
    )


def wnut17_files(data_dir: str | os.PathLike) -> dict[str, Path]:
    """The three WNUT 17 files in `data_dir`, checked to exist, by split."""
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Data folder {folder} does not exist. Pass the folder that holds "
            f"{', '.join(WNUT17_FILES.values())}, or data_dir=None to download WNUT 17 from the Hub."
        )
    files = {split: folder / name for split, name in WNUT17_FILES.items()}
    missing = [p.name for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"Data folder {folder} lacks {', '.join(missing)}. WNUT 17 needs "
            f"{', '.join(f'{n} ({s})' for s, n in WNUT17_FILES.items())}."
        )
    return files


def cast_to_wnut17_features(dataset: datasets.DatasetDict) -> datasets.DatasetDict:
    """Give a WNUT 17 copy whose ner_tags are plain integers (as a Parquet copy may) the ClassLabel features."""
    dataset = dataset.select_columns(["id", "tokens", "ner_tags"])
    return dataset.cast(wnut17_features())


def _offline_mode() -> bool:
    """Whether the user asked for no network (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE set)."""
    return any(
        os.environ.get(name, "").upper() in ("1", "ON", "YES", "TRUE")
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def load_wnut17(data_dir: str | os.PathLike | None = None) -> datasets.DatasetDict:
    """WNUT 17 with splits train/validation/test and columns id, tokens, ner_tags.

    `data_dir` names a folder with the original CoNLL files. `data_dir=None` tries, in order:
    1. the Hub's Parquet conversion of `leondz/wnut_17`;
    2. unless in offline mode, the original files from github.com/leondz/emerging_entities_17,
       downloaded once into the datasets cache and checked against known SHA-256 sums
       (`ner_helpers.download`), then read as a folder.
    All routes give the same features and examples.
    """
    if data_dir is not None:
        return load_conll(wnut17_files(data_dir), label_names=WNUT17_LABELS)
    try:
        dataset = datasets.load_dataset(HUB_DATASET, revision=HUB_PARQUET_REVISION)
    except Exception as err:  # the Hub client raises many types for "no network"
        hub_error = f"{type(err).__name__}: {err}"
        if _offline_mode():
            raise HubUnreachableError(
                f"Could not load {HUB_DATASET} from the Hugging Face Hub ({hub_error}). " + OFFLINE_HINT
            ) from err
        return _load_wnut17_from_github(hub_error)
    return cast_to_wnut17_features(dataset)


def _load_wnut17_from_github(hub_error: str) -> datasets.DatasetDict:
    """The second route: the original files from the data set's GitHub repository (see load_wnut17)."""
    from . import download
    from .errors import ChecksumMismatchError

    print(
        f"Loading {HUB_DATASET} from the Hub failed ({hub_error[:200]}); "
        f"trying the original files from github.com/{download.REPOSITORY} (commit {download.COMMIT[:7]})."
    )
    try:
        folder = download.download_wnut17_files()
    except ChecksumMismatchError:
        raise
    except Exception as err:  # network errors of any kind: both routes failed
        raise HubUnreachableError(
            f"Could not load {HUB_DATASET} from the Hugging Face Hub ({hub_error}) nor its original "
            f"files from github.com/{download.REPOSITORY} ({type(err).__name__}: {err}). " + OFFLINE_HINT
        ) from err
    return load_conll(wnut17_files(folder), label_names=WNUT17_LABELS)
