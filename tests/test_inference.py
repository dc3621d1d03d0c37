"""From raw text to entities: spans, sub-word merging, windows, and agreement with the pipeline."""
from __future__ import annotations

import pytest
import torch

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.inference import group_words_into_entities, predict_entities


def _words(*tagged):
    return [{"tag": tag, "score": 1.0, "start": s, "end": e} for tag, s, e in tagged]


def test_b_and_i_pieces_of_one_type_form_one_entity():
    text = "New York City"
    entities = group_words_into_entities(_words(("B-location", 0, 3), ("I-location", 4, 8), ("I-location", 9, 13)), text)
    assert [(e["type"], e["text"]) for e in entities] == [("location", "New York City")]


def test_b_starts_a_new_entity_and_o_ends_one():
    text = "Ann Bob x Cy"
    entities = group_words_into_entities(
        _words(("B-person", 0, 3), ("B-person", 4, 7), ("O", 8, 9), ("I-person", 10, 12)), text
    )
    assert [e["text"] for e in entities] == ["Ann", "Bob", "Cy"]


def test_i_of_another_type_starts_a_new_entity():
    entities = group_words_into_entities(_words(("B-person", 0, 3), ("I-group", 4, 7)), "Ann Bob")
    assert [(e["type"], e["text"]) for e in entities] == [("person", "Ann"), ("group", "Bob")]


def test_spans_cover_the_surface_text(sample_dir, tiny_model, tiny_tokenizer):
    from ner_helpers.data import load_wnut17

    texts = [" ".join(ex["tokens"]) for ex in load_wnut17(sample_dir)["test"]]
    results = predict_entities(texts, tiny_model, tiny_tokenizer)
    assert len(results) == len(texts)
    assert sum(len(r) for r in results) > 0  # an untrained model tags plenty
    for text, entities in zip(texts, results):
        for entity in entities:
            assert 0 <= entity["start"] < entity["end"] <= len(text)
            assert text[entity["start"] : entity["end"]] == entity["text"]
            assert entity["type"] in {label[2:] for label in WNUT17_LABELS[1:]}
            assert 0.0 < entity["score"] <= 1.0


def test_one_string_gives_one_list_and_a_list_one_list_per_text(tiny_tokenizer):
    model = MarkerModel(tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.tokenize("Lisbon")[0]))
    text = "Taylor Swift sang in Lisbon"
    entities = predict_entities(text, model, tiny_tokenizer)
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in entities] == [("person", "Lisbon", 21, 27)]
    assert predict_entities([text], model, tiny_tokenizer) == [entities]
    assert predict_entities([text, "no one", text], model, tiny_tokenizer) == [entities, [], entities]
    assert predict_entities([], model, tiny_tokenizer) == []


def test_manual_path_equals_pipeline_with_first_aggregation(sample_dir, tiny_model, tiny_tokenizer):
    from transformers import pipeline

    from ner_helpers.data import load_wnut17

    # sentences within the tiny model's 64 tokens, so the pipeline needs no windows
    texts = [" ".join(ex["tokens"]) for ex in load_wnut17(sample_dir)["train"]]
    texts = [t for t in texts if len(tiny_tokenizer(t)["input_ids"]) <= 64]
    ours = predict_entities(texts, tiny_model, tiny_tokenizer, words="tokenizer")  # the pipeline's words
    ner = pipeline("token-classification", model=tiny_model, tokenizer=tiny_tokenizer, aggregation_strategy="first", device="cpu")
    theirs = ner(texts)
    assert sum(len(r) for r in ours) > 10
    for a, b in zip(ours, theirs):
        assert [(e["type"], e["start"], e["end"]) for e in a] == [(e["entity_group"], e["start"], e["end"]) for e in b]
        assert [e["score"] for e in a] == pytest.approx([float(e["score"]) for e in b], abs=1e-5)


class MarkerModel(torch.nn.Module):
    """A stand-in model whose logits are known: the token 'marker' is B-person, all else O."""

    def __init__(self, marker_id: int, max_positions: int = 64):
        super().__init__()
        self.marker_id = marker_id
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = type("Config", (), {"id2label": dict(enumerate(WNUT17_LABELS)), "max_position_embeddings": max_positions})()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        assert input_ids.shape[1] <= self.config.max_position_embeddings
        logits = torch.zeros(*input_ids.shape, len(WNUT17_LABELS))
        logits[..., 0] = 1.0
        logits[..., 9] = torch.where(input_ids == self.marker_id, 5.0, -5.0)
        return type("Output", (), {"logits": logits})()


def test_entity_after_600_words_of_filler_is_found(tiny_tokenizer):
    pieces = tiny_tokenizer.tokenize("Paris")
    assert len(pieces) > 1  # the marker is the word's first piece; the others must merge into it
    model = MarkerModel(tiny_tokenizer.convert_tokens_to_ids(pieces[0]))
    text = "the " * 600 + "Paris and then more filler " + "at the end " * 30 + "Paris"
    entities = predict_entities(text, model, tiny_tokenizer)
    starts = [i for i in range(len(text)) if text.startswith("Paris", i)]
    assert [(e["type"], e["start"], e["text"]) for e in entities] == [("person", s, "Paris") for s in starts]


def test_a_word_split_by_a_window_edge_is_read_once(tiny_tokenizer):
    model = MarkerModel(tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.tokenize("Paris")[0]), max_positions=12)
    text = " ".join(["Paris"] * 40)
    entities = predict_entities(text, model, tiny_tokenizer, stride=3)
    assert len(entities) == 40
    assert len({e["start"] for e in entities}) == 40


def test_batched_and_one_by_one_give_the_same_entities(sample_dir, tiny_model, tiny_tokenizer):
    from ner_helpers.data import load_wnut17

    texts = [" ".join(ex["tokens"]) for ex in load_wnut17(sample_dir)["train"]]
    batched = predict_entities(texts, tiny_model, tiny_tokenizer, batch_size=8)
    one_by_one = [predict_entities(t, tiny_model, tiny_tokenizer) for t in texts]
    for a, b in zip(batched, one_by_one):
        assert [(e["type"], e["start"], e["end"]) for e in a] == [(e["type"], e["start"], e["end"]) for e in b]
        assert [e["score"] for e in a] == pytest.approx([e["score"] for e in b], abs=1e-4)
