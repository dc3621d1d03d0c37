"""predict_entities on awkward text: nothing crashes and every span points at its own surface text."""
from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from ner_helpers.conll import read_conll
from ner_helpers.inference import predict_entities
from test_inference import MarkerModel


def sample_words_text(min_chars: int = 10_000, seed: int = 0) -> str:
    """Random words from the sample's vocabulary, joined by spaces, at least `min_chars` long."""
    sentences, _ = read_conll(Path(__file__).parent / "data" / "sample_wnut17" / "wnut17train.conll")
    vocabulary = sorted({token for tokens, _ in sentences for token in tokens})
    rng = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) <= min_chars:
        words.append(rng.choice(vocabulary))
    return " ".join(words)


LONG_TEXT = sample_words_text()

TEXTS = {
    "empty": "",
    "whitespace-only": "   \n\t ",
    "long-10k-chars": LONG_TEXT,
    "emoji-only": "😀🎉🇫🇷👩\u200d👩\u200d👧 👍🏽 ❤️",
    "emoji-mixed": "I ❤️ Paris😀 and 👍🏽New York 🎉 with Taylor🇺🇸",
    "cjk": "東京で会いましょう Tokyo",
    "zero-width": "Ta\u200bylor Sw\u200dift met \ufeffAnn\u200c",
    "combining-marks": "Beyonce\u0301 in Zu\u0308rich, Pele\u0301 and Ame\u0301lie",
    "urls": "see https://example.com/a?b=c&d=e#frag and www.wnut.org/17, http://t.co/xYz!",
    "mentions-hashtags": "@taylorswift13 loves #NewYork and #東京 with @_x_ #",
}
BLANK = {"empty", "whitespace-only"}


def assert_spans_match_text(entities: list[dict], text: str) -> None:
    """Each entity is `text[start:end]`, in order, not overlapping, and no span cuts a character in two."""
    previous_end = 0
    for entity in entities:
        start, end = entity["start"], entity["end"]
        assert 0 <= start < end <= len(text), entity
        assert text[start:end] == entity["text"], entity
        assert start >= previous_end, entity
        assert not unicodedata.category(text[start]).startswith("M"), entity
        assert end == len(text) or not unicodedata.category(text[end]).startswith("M"), entity
        previous_end = end


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_entity_spans_point_at_their_own_text(text, tiny_model, tiny_tokenizer):
    entities = predict_entities(text, tiny_model, tiny_tokenizer)
    assert_spans_match_text(entities, text)


@pytest.mark.parametrize("name", sorted(BLANK))
def test_blank_text_gives_no_entities(name, tiny_model, tiny_tokenizer):
    assert predict_entities(TEXTS[name], tiny_model, tiny_tokenizer) == []


def test_long_text_is_read_to_its_end(tiny_model, tiny_tokenizer):
    assert len(LONG_TEXT) >= 10_000
    entities = predict_entities(LONG_TEXT, tiny_model, tiny_tokenizer)
    assert max(e["start"] for e in entities) > 0.9 * len(LONG_TEXT)  # the untrained model tags words all along


def test_mixed_list_gives_one_result_per_text_in_order(tiny_model, tiny_tokenizer):
    texts = list(TEXTS.values())
    results = predict_entities(texts, tiny_model, tiny_tokenizer, batch_size=4)
    assert len(results) == len(texts)
    for name, text, entities in zip(TEXTS, texts, results):
        assert_spans_match_text(entities, text)
        alone = predict_entities(text, tiny_model, tiny_tokenizer)
        assert [(e["type"], e["start"], e["end"]) for e in entities] == [(e["type"], e["start"], e["end"]) for e in alone], name
        if name in BLANK:
            assert entities == []


def marker_model_for(word: str, tokenizer) -> MarkerModel:
    return MarkerModel(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(word)[0]))


def test_paris_is_found_among_emoji_cjk_and_zero_width_characters(tiny_tokenizer):
    # (piece, is it the entity?) A zero-width character inside the word is invisible to the reader,
    # so it belongs to the span; one next to the word does not.
    pieces = [
        ("😀 ", False), ("Paris", True), (" 🎉🇫🇷 我爱", False), ("Paris", True), ("。\u200b", False),
        ("Paris", True), ("\u200b 👩\u200d👩\u200d👧 ", False), ("Pa\u200bris", True), (" 東京 and ", False),
        ("Paris", True), ("\u200d!", False),
    ]
    text, expected = "", []
    for piece, is_entity in pieces:
        if is_entity:
            expected.append(("person", len(text), piece))
        text += piece
    entities = predict_entities(text, marker_model_for("Paris", tiny_tokenizer), tiny_tokenizer)
    assert [(e["type"], e["start"], e["text"]) for e in entities] == expected


def test_decomposed_accent_stays_with_its_word(tiny_tokenizer):
    text = "Gol de Pele\u0301! Pele\u0301\u0301 again"  # "Pelé" typed as e + U+0301, as macOS keyboards may
    entities = predict_entities(text, marker_model_for("Pele", tiny_tokenizer), tiny_tokenizer)
    assert [e["text"] for e in entities] == ["Pele\u0301", "Pele\u0301\u0301"]
