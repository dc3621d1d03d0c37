"""The real WNUT 17 training file rewritten in other layouts and tag schemes reads back to the same BIO
sentences. Runs when WNUT17_DIR names a folder of the WNUT 17 files, else skips."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ner_helpers.conll import read_conll
from ner_helpers.data import WNUT17_LABELS, load_data

WNUT17_DIR = os.environ.get("WNUT17_DIR")
pytestmark = pytest.mark.skipif(
    not WNUT17_DIR, reason="set WNUT17_DIR to a folder with the original WNUT 17 CoNLL files to run real-data checks"
)


def to_iob1(tags: list[str]) -> list[str]:
    """BIO to IOB1: an entity starts with I-, unless it directly follows one of the same type."""
    out, previous = [], "O"
    for tag in tags:
        if tag.startswith("B-") and previous[2:] != tag[2:]:
            tag = "I-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def to_bioes(tags: list[str]) -> list[str]:
    """BIO to BIOES: single-token entities S-, the last token of a longer one E-."""
    out = []
    for i, tag in enumerate(tags):
        continues = i + 1 < len(tags) and tags[i + 1] == "I-" + tag[2:]
        if tag.startswith("B-"):
            tag = tag if continues else "S-" + tag[2:]
        elif tag.startswith("I-"):
            tag = tag if continues else "E-" + tag[2:]
        out.append(tag)
    return out


@pytest.fixture(scope="module")
def original():
    return read_conll(Path(WNUT17_DIR) / "wnut17train.conll")[0]


def test_real_data_in_conll2003_layout_with_iob1_tags_reads_back_the_same(original, tmp_path):
    lines = []
    for i, (tokens, tags) in enumerate(original):
        if i % 100 == 0:
            lines += ["-DOCSTART- -X- -X- O", ""]
        lines += [f"{token} X X {tag}" for token, tag in zip(tokens, to_iob1(tags))] + [""]
    (tmp_path / "train.txt").write_text("\n".join(lines), encoding="utf-8")
    sentences, report = read_conll(tmp_path / "train.txt")
    assert sentences == original
    assert report.scheme == "IOB1" and report.docstarts == 34 and report.columns == 4


def test_real_data_in_bioes_with_empty_token_lines_reads_back_the_same(original, tmp_path):
    lines = []
    for tokens, tags in original:
        lines += [f"{token}\t{tag}" for token, tag in zip(tokens, to_bioes(tags))] + ["\tO", ""]
    (tmp_path / "train.tsv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.warns(UserWarning, match=f"{len(original)} line\\(s\\) with an empty token and the tag O were dropped"):
        dataset = load_data(data_files={"train": tmp_path / "train.tsv"}, verbose=False)
    names = dataset["train"].features["ner_tags"].feature.names
    assert sorted(names) == sorted(WNUT17_LABELS)
    both = list(dataset["train"]) + list(dataset["validation"])
    assert sorted((tuple(e["tokens"]), tuple(names[t] for t in e["ner_tags"])) for e in both) == sorted(
        (tuple(tokens), tuple(tags)) for tokens, tags in original
    )
