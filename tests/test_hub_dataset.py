"""Inference helpers for any text and model: the CJK ranges of the word splitter, the input limit of a model and
its tokenizer, and tags without a B-/I- prefix grouped as whole types."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("first, last", [
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
])
def test_cjk_ranges_hold_their_ends_and_nothing_beside_them(first, last):
    from ner_helpers.inference import _is_cjk

    assert _is_cjk(chr(first)) and _is_cjk(chr(last)) and _is_cjk(chr((first + last) // 2))
    assert not _is_cjk(chr(first - 1)) and not _is_cjk(chr(last + 1))


@pytest.mark.parametrize("model_limit, tokenizer_limit, expected", [
    (12, 64, 12), (128, 64, 64), (None, 64, 64), (1, 64, 1),
    (0, 64, 64), (1_000_000, 10**30, 512), (999_999, 10**30, 999_999), (512.0, 64, 64), (None, 10**30, 512),
])
def test_the_input_limit_is_the_smaller_real_one(model_limit, tokenizer_limit, expected):
    from types import SimpleNamespace

    from ner_helpers.inference import model_max_length

    config = SimpleNamespace() if model_limit is None else SimpleNamespace(max_position_embeddings=model_limit)
    model = SimpleNamespace(config=config)
    assert model_max_length(model, SimpleNamespace(model_max_length=tokenizer_limit)) == expected


def test_tags_without_a_prefix_are_whole_types():
    from ner_helpers.inference import group_words_into_entities

    words = [{"tag": "PER", "start": 0, "end": 5, "score": 1.0}, {"tag": "PER", "start": 6, "end": 11, "score": 1.0}]
    entities = group_words_into_entities(words, "Maria Jones")
    assert [(e["type"], e["text"]) for e in entities] == [("PER", "Maria"), ("PER", "Jones")]
