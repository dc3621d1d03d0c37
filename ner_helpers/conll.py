"""Read CoNLL files (token first, tag last, a blank line between sentences) with their tags in BIO.

IOB1, BIOES and BILOU tags are converted, and each file gets a report of what was repaired. Taught in
notebook 01_load_data ("Your own data"); `data.load_data` and `data.load_wnut17` read files with it.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import datasets

from .errors import ConllFormatError


def ner_features(label_names: Sequence[str]) -> datasets.Features:
    """The features every data set of the notebooks gets (those of the Hub's WNUT 17): `id`, `tokens`,
    and `ner_tags` as a ClassLabel of `label_names`."""
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


ZIP_MAGIC = b"PK\x03\x04"  # doccano's Export downloads a .zip that holds the .jsonl file


def is_zip(path: str | os.PathLike) -> bool:
    """Whether the file is a zip archive whatever its name (its first four bytes, not the whole file, are read)."""
    try:
        with open(path, "rb") as file:
            return file.read(4) == ZIP_MAGIC
    except OSError:
        return False


def read_data_file(path: str | os.PathLike, label_names: Sequence[str] | None = None):
    """(tokens, tags) sentences and a report from a CoNLL file, or from an annotation tool's export: a Label
    Studio JSON export (.json) or a doccano JSONL export (.jsonl), read by `ner_helpers.annotations`."""
    if Path(path).suffix.lower() in (".json", ".jsonl", ".zip") or is_zip(path):  # a .zip: refused there, naming its files
        from .annotations import read_annotation_file  # imported here: it imports torch through ner_helpers.inference

        return read_annotation_file(path, label_names)
    return read_conll(path, label_names)


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
        raise ConllFormatError(f"{path}: file not found.", file=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = raw[: err.start].count(b"\n") + 1
        raise ConllFormatError(
            f"{path}, line {line_no}: bytes that are not UTF-8 ({raw[err.start:err.start + 4]!r}). "
            "Save the file as UTF-8 and try again.",
            file=path, line=line_no,
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
                    f"(token first, tag last), found 1 column in {line!r}.",
                    file=path, line=line_no, columns=1,
                )
            report.columns = len(columns)
        if len(columns) != report.columns:
            raise ConllFormatError(
                f"{path}, line {line_no}: expected {report.columns} {report.separator}-separated columns "
                f"as on line {first_line} (token first, tag last), found {len(columns)} in {line!r}.",
                file=path, line=line_no, columns=len(columns),
            )
        token, tag = columns[0], columns[-1].strip()
        if not tag:
            raise ConllFormatError(f"{path}, line {line_no}: empty tag for token {token!r}.", file=path, line=line_no, tag="")
        if not token.strip():
            if tag == "O":  # a wart of some real corpora: nothing to learn from, so drop it
                report.dropped_empty_tokens.append(line_no)
                continue
            raise ConllFormatError(
                f"{path}, line {line_no}: empty token with the entity tag {tag!r} in {line!r}. "
                "Write the entity's word in the first column, or remove the line.",
                file=path, line=line_no, tag=tag,
            )
        if tag != "O" and not (len(tag) > 2 and tag[0] in "BIESLU" and tag[1] == "-"):
            raise ConllFormatError(
                f"{path}, line {line_no}: tag {tag!r} is not BIO (expected O, B-<type> or I-<type>; "
                "IOB1, BIOES and BILOU tags are converted too).",
                file=path, line=line_no, tag=tag,
            )
        tokens.append(token)
        tags.append(tag)
        lines.append(line_no)
    if tokens:
        raw_sentences.append((tokens, tags, lines))
    if not raw_sentences:
        raise ConllFormatError(f"{path}: the file holds no sentences (is it empty?).", file=path)

    sentences = _to_bio(raw_sentences, report)
    if label_names is not None:
        allowed = set(label_names)
        for (_, tags_, lines_), (_, bio) in zip(raw_sentences, sentences):
            for tag, line_no in zip(bio, lines_):
                if tag not in allowed:
                    raise ConllFormatError(
                        f"{path}, line {line_no}: tag {tag!r} is not in the label set {list(label_names)}. "
                        "Fix the tag, or load with label_names=None to discover the labels from the data.",
                        file=path, line=line_no, tag=tag, label_names=label_names,
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
    read = {split: read_data_file(path, label_names) for split, path in data_files.items()}
    if reports is not None:
        reports.extend(report for _, report in read.values())
    if label_names is None:
        label_names = discover_labels(
            tag for sentences, _ in read.values() for _, tags in sentences for tag in tags
        )
    features = ner_features(label_names)
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
