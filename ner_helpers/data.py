"""Load WNUT 17 (from the Hub or a folder of CoNLL files), your own CoNLL files, or a Hub data set.

Taught in notebook 01_load_data.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

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
    """What reading one CoNLL file found besides sentences: repairs and conversions a user should know about."""

    path: str
    sentences: int = 0
    tokens: int = 0
    columns: int = 0  # columns per line (token first, tag last)
    separator: str = "tab"  # "tab" or "space"
    scheme: str = "BIO"  # the tag scheme the file was written in: BIO, IOB1, BIOES or BILOU
    docstarts: int = 0  # -DOCSTART- lines skipped
    converted: int = 0  # tags rewritten to BIO (IOB1 I- that start an entity; BIOES S-/E-, BILOU U-/L-)
    repaired_orphan_i: list[int] = field(default_factory=list)  # line numbers (BIO files only)
    dropped_empty_tokens: list[int] = field(default_factory=list)  # line numbers

    def summary(self) -> str:
        """One line for a person: sentences, tokens, layout, and each repair or conversion with its count."""
        layout = f"{self.columns} {self.separator}-separated columns"
        parts = [f"{self.path}: {self.sentences} sentences, {self.tokens} tokens ({layout}, tags {self.scheme})"]
        if self.docstarts:
            parts.append(f"{self.docstarts} -DOCSTART- line(s) skipped")
        if self.scheme == "IOB1":
            parts.append(f"IOB1 read as BIO: {self.converted} I- tag(s) that start an entity became B-")
        elif self.scheme != "BIO":
            parts.append(f"{self.scheme} read as BIO: {self.converted} tag(s) converted (S-/U- to B-, E-/L- to I-)")
        if self.repaired_orphan_i:
            parts.append(f"{len(self.repaired_orphan_i)} I- tag(s) with nothing to continue read as B-")
        if self.dropped_empty_tokens:
            parts.append(f"{len(self.dropped_empty_tokens)} empty-token line(s) dropped")
        return "; ".join(parts)


DOCSTART = "-DOCSTART-"
# Prefixes of the schemes the reader accepts, and what each becomes in BIO.
_BIOES_TO_BIO = {"S": "B", "U": "B", "E": "I", "L": "I"}


def _line_numbers(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:5]))
    return shown + (" ..." if len(numbers) > 5 else "")


def _to_bio(
    sentences: list[tuple[list[str], list[str], list[int]]], report: ConllReport
) -> list[tuple[list[str], list[str]]]:
    """Rewrite the tags of a whole file to BIO, recording the scheme found and how many tags changed.

    BIOES/BILOU: S-/U- become B-, E-/L- become I-. IOB1 (CoNLL-2003's original scheme, where
    an entity starts with I- and B- appears only between two touching entities of one type) is
    recognised when some entity starts with I- and no B- follows an O or another type: then each
    I- that starts an entity becomes B-. In any other file an I- that starts an entity is an error
    in the data; it is read as B- too (seqeval does the same), and reported with its line numbers.
    """
    prefixes = {tag[0] for _, tags, _ in sentences for tag in tags if tag != "O"}
    if prefixes & set(_BIOES_TO_BIO):
        report.scheme = "BIOES" if prefixes & {"S", "E"} else "BILOU"
        for _, tags, _ in sentences:
            for i, tag in enumerate(tags):
                if tag[0] in _BIOES_TO_BIO:
                    tags[i] = _BIOES_TO_BIO[tag[0]] + tag[1:]
                    report.converted += 1

    starts_with_i: list[int] = []  # line numbers of I- tags that start an entity
    b_after_other = False  # a B- after O or another type: BIO, not IOB1
    for _, tags, lines in sentences:
        previous = "O"
        for tag, line_no in zip(tags, lines):
            if tag.startswith("I-") and previous[2:] != tag[2:]:
                starts_with_i.append(line_no)
            elif tag.startswith("B-") and previous[2:] != tag[2:]:
                b_after_other = True
            previous = tag
    if starts_with_i and not b_after_other and report.scheme == "BIO":
        report.scheme = "IOB1"
        report.converted = len(starts_with_i)
    elif starts_with_i:
        report.repaired_orphan_i = starts_with_i
    result = []
    for tokens, tags, _ in sentences:
        previous = "O"
        bio = []
        for tag in tags:
            if tag.startswith("I-") and previous[2:] != tag[2:]:
                tag = "B-" + tag[2:]
            bio.append(tag)
            previous = tag
        result.append((tokens, bio))
    return result


def read_conll(
    path: str | os.PathLike, label_names: Sequence[str] | None = None
) -> tuple[list[tuple[list[str], list[str]]], ConllReport]:
    """Read one CoNLL file into (tokens, tags) sentences with BIO tags, and a report of what was done.

    Columns are separated by tabs (then a token may hold spaces) or by spaces; the token is the
    first column and the tag the last, whatever stands between (CoNLL-2003's `token POS chunk tag`).
    A blank line (or a line holding only whitespace, as WNUT 17's training file has) ends a
    sentence; `-DOCSTART-` lines are skipped. Tags in IOB1, BIOES or BILOU are converted to BIO
    (see `_to_bio`). A line whose token is empty and whose tag is O is dropped with a warning;
    with an entity tag it is an error. Any other malformed line raises ConllFormatError naming the
    file and line. With `label_names`, a tag outside that set raises ConllFormatError too.
    """
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
    raw_sentences: list[tuple[list[str], list[str], list[int]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    first_line: int | None = None
    # splitlines() would also split on U+2028 and other separators that can sit inside a token.
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            if tokens:
                raw_sentences.append((tokens, tags, lines))
                tokens, tags, lines = [], [], []
            continue
        if line.split()[0] == DOCSTART:  # a document boundary, not a sentence
            report.docstarts += 1
            continue
        # The first line fixes the layout: tabs (a token may then hold spaces) or spaces, and the
        # number of columns; a line that breaks it is more likely a typo than a new layout.
        if first_line is None:
            first_line = line_no
            report.separator = "tab" if "\t" in line else "space"
        columns = line.split("\t") if report.separator == "tab" else line.split()
        if report.columns == 0:
            if len(columns) < 2:
                raise ConllFormatError(
                    f"{path}, line {line_no}: expected a token and a tag separated by a tab or spaces "
                    f"(token first, tag last), found 1 column in {line!r}."
                )
            report.columns = len(columns)
        if len(columns) != report.columns:
            raise ConllFormatError(
                f"{path}, line {line_no}: expected {report.columns} {report.separator}-separated columns "
                f"as on line {first_line} (token first, tag last), found {len(columns)} in {line!r}."
            )
        token, tag = columns[0], columns[-1].strip()
        if not tag:
            raise ConllFormatError(f"{path}, line {line_no}: empty tag for token {token!r}.")
        if not token.strip():
            if tag == "O":  # a wart of some real corpora: nothing to learn from, so drop it
                report.dropped_empty_tokens.append(line_no)
                continue
            raise ConllFormatError(
                f"{path}, line {line_no}: empty token with the entity tag {tag!r} in {line!r}. "
                "Write the entity's word in the first column, or remove the line."
            )
        if tag != "O" and not (len(tag) > 2 and tag[0] in "BIESLU" and tag[1] == "-"):
            raise ConllFormatError(
                f"{path}, line {line_no}: tag {tag!r} is not BIO (expected O, B-<type> or I-<type>; "
                "IOB1, BIOES and BILOU tags are converted too)."
            )
        tokens.append(token)
        tags.append(tag)
        lines.append(line_no)
    if tokens:
        raw_sentences.append((tokens, tags, lines))
    if not raw_sentences:
        raise ConllFormatError(f"{path}: the file holds no sentences (is it empty?).")

    sentences = _to_bio(raw_sentences, report)
    if label_names is not None:
        allowed = set(label_names)
        for (_, tags_, lines_), (_, bio) in zip(raw_sentences, sentences):
            for tag, line_no in zip(bio, lines_):
                if tag not in allowed:
                    raise ConllFormatError(
                        f"{path}, line {line_no}: tag {tag!r} is not in the label set {list(label_names)}. "
                        "Fix the tag, or load with label_names=None to discover the labels from the data."
                    )

    report.sentences = len(sentences)
    report.tokens = sum(len(t) for t, _ in sentences)
    if report.repaired_orphan_i:
        warnings.warn(
            f"{path}: {len(report.repaired_orphan_i)} I- tag(s) with no B- or I- of the same type "
            f"before them were read as B- (lines {_line_numbers(report.repaired_orphan_i)}).",
            stacklevel=2,
        )
    if report.dropped_empty_tokens:
        warnings.warn(
            f"{path}: {len(report.dropped_empty_tokens)} line(s) with an empty token and the tag O were "
            f"dropped (lines {_line_numbers(report.dropped_empty_tokens)}).",
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
    reports: list[ConllReport] | None = None,
) -> datasets.DatasetDict:
    """Load CoNLL files (token first, tag last, blank line between sentences) as a DatasetDict.

    `data_files` maps split names to files. Labels are discovered over all splits when
    `label_names` is not given; a tag outside a given label set raises ConllFormatError. Each
    file's `ConllReport` is appended to `reports` when a list is given.
    """
    read = {split: read_conll(path, label_names) for split, path in data_files.items()}
    if reports is not None:
        reports.extend(report for _, report in read.values())
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


SPLITS: tuple[str, ...] = ("train", "validation", "test")
VALIDATION_FRACTION = 0.1  # of train, set aside as validation when there is no validation file


def check_data_files(data_files: object) -> dict[str, Path]:
    """`data_files` as {split: Path}, checked: a mapping, known split names, train present, files exist."""
    example = '{"train": "train.conll", "validation": "dev.conll", "test": "test.conll"}'
    if not isinstance(data_files, Mapping):
        raise ValueError(
            f"data_files must map split names to CoNLL files, e.g. {example}; got {data_files!r}. "
            "(With make run: DATA_FILES=path/to/files.yaml, a YAML file of that mapping.)"
        )
    unknown = [split for split in data_files if split not in SPLITS]
    if unknown:
        raise ValueError(f"data_files has split name(s) {unknown}: use {', '.join(SPLITS)} (train is required).")
    if "train" not in data_files:
        raise ValueError(f"data_files needs a 'train' file (validation and test are optional), e.g. {example}.")
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
    return dataset.cast(wnut17_features(label_names))


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
        raise ValueError(
            f"Both {' and '.join(routes)} are set: set only one (data_dir for WNUT 17's folder, data_files "
            "for your CoNLL files, dataset_name for a Hub data set), and leave the others None."
        )
    if dataset_config and not dataset_name:
        raise ValueError(f"dataset_config={dataset_config!r} is set without dataset_name: set dataset_name too, or dataset_config=None.")
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


def long_sentences(dataset: datasets.DatasetDict, tokenizer, max_length: int | None = None) -> dict[str, tuple[int, int]]:
    """For each split, (sentences longer than the limit in tokens, the longest one's length in tokens).

    The limit is `max_length`, else the tokenizer's `model_max_length`; special tokens count.
    Taught in notebook 02: words past the limit are truncated and get no label or prediction.
    """
    limit = max_length or tokenizer.model_max_length
    found = {}
    for split, ds in dataset.items():
        _, encoded = _encode_words(ds, tokenizer)
        lengths = [len(ids) for ids in encoded["input_ids"]] if encoded is not None else []
        over = [n for n in lengths if n > limit]
        found[split] = (len(over), max(lengths, default=0))
    return found


def words_without_tokens(dataset: datasets.DatasetDict, tokenizer) -> dict[str, list[tuple[int, int, str]]]:
    """For each split, the words the tokenizer turns into no token at all: (sentence, word index, word).

    WNUT 17 has a few: a lone U+FE0F (the emoji variation selector) is a word of its own there, and the
    tokenizer's normalizer removes it. Such a word gets no label in training and no prediction, so
    anything that lines the Trainer's word-level tags up with the data set's words must skip it.
    """
    found = {}
    for split, ds in dataset.items():
        words, encoded = _encode_words(ds, tokenizer)
        found[split] = []
        for i, tokens in enumerate(words):
            seen = set(encoded.word_ids(i))
            found[split] += [(i, w, word) for w, word in enumerate(tokens) if w not in seen]
    return found


def _encode_words(ds: datasets.Dataset, tokenizer) -> tuple[list[list[str]], Any]:
    """A split's sentences as lists of words, and their encoding (None for an empty split)."""
    words = [list(tokens) for tokens in ds["tokens"]]  # a Column in datasets 4+, the tokenizer wants lists
    return words, tokenizer(words, is_split_into_words=True, verbose=False) if words else None


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
