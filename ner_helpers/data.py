"""Load WNUT 17 (from the Hub or a folder of CoNLL files), your own CoNLL files (read by `conll`), or a Hub data set.

Taught in notebook 01_load_data.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import datasets

from .conll import ConllReport, discover_labels, load_conll, ner_features
from .errors import HubUnreachableError, ParameterError

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


SPLITS: tuple[str, ...] = ("train", "validation", "test")
VALIDATION_FRACTION = 0.1  # of train, set aside as validation when there is no validation file


def check_data_files(data_files: object) -> dict[str, Path]:
    """`data_files` as {split: Path}, checked: a mapping, known split names, train present, files exist."""
    example = '{"train": "train.conll", "validation": "dev.conll", "test": "test.conll"}'
    if not isinstance(data_files, Mapping):
        raise ParameterError(
            f"data_files must map split names to CoNLL files, e.g. {example}; got {data_files!r}. "
            "(With make run: DATA_FILES=path/to/files.yaml, a YAML file of that mapping.)",
            parameters=["data_files"],
        )
    unknown = [split for split in data_files if split not in SPLITS]
    if unknown:
        raise ParameterError(f"data_files has split name(s) {unknown}: use {', '.join(SPLITS)} (train is required).",
                             parameters=["data_files"])
    if "train" not in data_files:
        raise ParameterError(f"data_files needs a 'train' file (validation and test are optional), e.g. {example}.",
                             parameters=["data_files"])
    files = {split: Path(data_files[split]).expanduser() for split in SPLITS if split in data_files}
    for split, path in files.items():
        if not path.is_file():
            raise FileNotFoundError(
                f"data_files[{split!r}]: {path} is not a file (relative paths start from {Path.cwd()})."
            )
    return files


def _bio_label_names(names: Sequence[str], where: str) -> None:
    """Raise ValueError unless every label name is O, B-<type> or I-<type>."""
    bad = [n for n in names if n != "O" and not (n[:2] in ("B-", "I-") and len(n) > 2)]
    if bad:
        raise ValueError(f"{where}: label names {bad} are not BIO (O, B-<type>, I-<type>); the notebooks need BIO tags.")


def load_hub_dataset(dataset_name: str, dataset_config: str | None = None) -> datasets.DatasetDict:
    """A token-classification data set from the Hub (or a local copy) as columns id, tokens, ner_tags.

    The data set needs a `tokens` column and a `ner_tags` column of ClassLabel sequences (the
    convention of conll2003, wnut_17, wikiann); string tags are accepted too and get discovered
    labels. `dataset_name` may also be a local folder written by `save_to_disk` or one that holds
    Parquet files. A Hub data set built by a loading script is read from the Hub's Parquet conversion.
    """
    local = Path(dataset_name).expanduser()
    where = dataset_name + (f" ({dataset_config})" if dataset_config else "")
    if (local / "dataset_dict.json").is_file() or (local / "dataset_info.json").is_file():
        dataset = datasets.load_from_disk(str(local))
    else:
        try:
            try:
                dataset = datasets.load_dataset(dataset_name, dataset_config)
            except Exception as err:  # datasets 4+ refuses loading scripts: use the Parquet conversion
                if "script" not in str(err).lower():
                    raise
                dataset = datasets.load_dataset(dataset_name, dataset_config, revision=HUB_PARQUET_REVISION)
        except Exception as err:  # the Hub client raises many types for "no network" and "no such data set"
            raise HubUnreachableError(
                f"Could not load the data set {where} ({type(err).__name__}: {err}). Check its name (and "
                "dataset_config) on huggingface.co/datasets; to work offline, pass a local copy as "
                "dataset_name (a folder written by save_to_disk, or one with Parquet files), or CoNLL "
                "files as data_files."
            ) from err
    if isinstance(dataset, datasets.Dataset):
        dataset = datasets.DatasetDict({"train": dataset})
    unknown = [split for split in dataset if split not in SPLITS]
    if unknown or "train" not in dataset:
        raise ValueError(f"{where}: splits {list(dataset)}; the notebooks need train (and optionally validation, test).")
    columns = dataset["train"].column_names
    missing = [c for c in ("tokens", "ner_tags") if c not in columns]
    if missing:
        raise ValueError(
            f"{where}: no column(s) {missing} (it has {columns}). The notebooks need `tokens` (lists of words) "
            "and `ner_tags` (lists of tags): rename the columns with DatasetDict.rename_column and save a copy."
        )
    tag_feature = dataset["train"].features["ner_tags"].feature
    if isinstance(tag_feature, datasets.ClassLabel):
        label_names = list(tag_feature.names)
    elif tag_feature == datasets.Value("string"):  # tags as text: discover the labels, as for CoNLL files
        label_names = discover_labels(t for split in dataset.values() for tags in split["ner_tags"] for t in tags)
    else:
        raise ValueError(
            f"{where}: ner_tags holds {tag_feature} without label names (no ClassLabel), so the tags "
            "cannot be read. Cast it to a Sequence of ClassLabel(names=[...]) and save a copy."
        )
    _bio_label_names(label_names, where)
    if "id" not in columns:
        dataset = dataset.map(lambda _, i: {"id": str(i)}, with_indices=True)
    dataset = dataset.select_columns(["id", "tokens", "ner_tags"])
    return dataset.cast(ner_features(label_names))


def load_data(
    data_dir: str | os.PathLike | None = None,
    data_files: Mapping[str, str | os.PathLike] | None = None,
    dataset_name: str | None = None,
    dataset_config: str | None = None,
    seed: int = 42,
    verbose: bool = True,
) -> datasets.DatasetDict:
    """The data set of notebook 01's parameters: WNUT 17 (`data_dir`, or the Hub when nothing is
    set), your CoNLL files (`data_files`), or a Hub data set (`dataset_name`, `dataset_config`).

    Splits come out as train, validation and, when there is one, test. Without a validation split
    a seeded 10% of train becomes validation; without a test split notebook 04 scores validation.
    With `verbose`, what was read, converted, dropped or split off is printed.
    """
    routes = [name for name, value in (("data_dir", data_dir), ("data_files", data_files), ("dataset_name", dataset_name)) if value]
    if len(routes) > 1:
        raise ParameterError(
            f"Both {' and '.join(routes)} are set: set only one (data_dir for WNUT 17's folder, data_files "
            "for your CoNLL files, dataset_name for a Hub data set), and leave the others None.",
            parameters=routes,
        )
    if dataset_config and not dataset_name:
        raise ParameterError(f"dataset_config={dataset_config!r} is set without dataset_name: set dataset_name too, "
                             "or dataset_config=None.", parameters=["dataset_config", "dataset_name"])
    say = print if verbose else (lambda *_: None)
    if data_files:
        reports: list[ConllReport] = []
        dataset = load_conll(check_data_files(data_files), reports=reports)
        for report in reports:
            say(report.summary())
    elif dataset_name:
        dataset = load_hub_dataset(dataset_name, dataset_config)
    else:
        return load_wnut17(data_dir)
    return complete_splits(dataset, seed=seed, say=say)


def complete_splits(dataset: datasets.DatasetDict, seed: int = 42, say=print) -> datasets.DatasetDict:
    """Order the splits train, validation, test; without validation, set aside a seeded 10% of train."""
    if "validation" not in dataset:
        train = dataset["train"]
        if train.num_rows < 2:
            raise ValueError(f"The train split holds {train.num_rows} sentence(s): too few to set aside a validation split.")
        parts = train.train_test_split(test_size=VALIDATION_FRACTION, seed=seed)
        dataset = datasets.DatasetDict({**dataset, "train": parts["train"], "validation": parts["test"]})
        say(
            f"No validation split: {parts['test'].num_rows} of the {train.num_rows} training sentences "
            f"({VALIDATION_FRACTION:.0%}, seed {seed}) are set aside as validation; train keeps {parts['train'].num_rows}."
        )
    if "test" not in dataset:
        say("No test split: notebook 04 will score the validation split (and say so in its tables and plots).")
    return datasets.DatasetDict({split: dataset[split] for split in SPLITS if split in dataset})


def evaluation_split(dataset: Mapping[str, object]) -> str:
    """The split notebook 04 scores: test when there is one, else validation."""
    return "test" if "test" in dataset else "validation"


def is_wnut17(label_names: Sequence[str]) -> bool:
    """True when the label set is WNUT 17's: only then do published WNUT 17 results apply."""
    return list(label_names) == WNUT17_LABELS


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
    return dataset.cast(ner_features(WNUT17_LABELS))


def offline_mode(datasets: bool = False) -> bool:
    """Whether the user asked for no network: HF_HUB_OFFLINE set (the Hub: models, pushes, the runner's preflight),
    or, with `datasets=True` (loading a data set), HF_DATASETS_OFFLINE too.

    The one test of these variables in the project (parameters.py, metrics.py and repo_tools/hub.py use it), with the values
    huggingface_hub and datasets accept as "on": 1, ON, YES, TRUE in any case. Read at each call, not at import.
    """
    names = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE") if datasets else ("HF_HUB_OFFLINE",)
    return any(os.environ.get(name, "").upper() in ("1", "ON", "YES", "TRUE") for name in names)


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
        if offline_mode(datasets=True):
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
