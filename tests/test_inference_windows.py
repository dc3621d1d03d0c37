"""Long texts read in overlapping windows, with a stand-in model that is only right away from a window's edges."""
from __future__ import annotations

import math

import pytest
import torch

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.inference import predict_entities

O, B_LOCATION, I_LOCATION, B_GROUP = (WNUT17_LABELS.index(t) for t in ("O", "B-location", "I-location", "B-group"))


class EdgeBlindModel(torch.nn.Module):
    """Tags `begin` as B-location and `inside` as I-location, except at the first or last word of a window.

    There it answers B-group, as a real model may misjudge a word it sees without context on one
    side. Reading each word in the window where it has context is what makes the answer right;
    windows without overlap leave the words at their edges with no such window.
    """

    def __init__(self, begin_id: int, inside_id: int, max_positions: int = 12):
        super().__init__()
        self.begin_id, self.inside_id = begin_id, inside_id
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = type("Config", (), {"id2label": dict(enumerate(WNUT17_LABELS)), "max_position_embeddings": max_positions})()

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        assert input_ids.shape[1] <= self.config.max_position_embeddings
        logits = torch.zeros(*input_ids.shape, len(WNUT17_LABELS))
        logits[..., O] = 1.0
        logits[..., B_LOCATION] = torch.where(input_ids == self.begin_id, 5.0, -5.0)
        logits[..., I_LOCATION] = torch.where(input_ids == self.inside_id, 5.0, -5.0)
        positions = torch.arange(input_ids.shape[1]).expand_as(input_ids)
        last_content = attention_mask.sum(dim=1, keepdim=True) - 2  # [CLS] first, [SEP] last
        edge = (positions == 1) | (positions == last_content)
        marker = (input_ids == self.begin_id) | (input_ids == self.inside_id)
        logits[..., B_GROUP] = torch.where(edge & marker, 9.0, -9.0)
        return type("Output", (), {"logits": logits})()


@pytest.fixture(scope="module")
def edge_blind(tiny_tokenizer):
    for word in ("the", "new", "my"):
        assert len(tiny_tokenizer.tokenize(word)) == 1, word  # one token per word keeps the positions plain
    begin, inside = tiny_tokenizer.convert_tokens_to_ids(["new", "my"])
    return EdgeBlindModel(begin, inside)


def text_with_entity_at(word_index: int, words: int = 30) -> tuple[str, int]:
    """`words` words of filler with the two-word entity "new my" starting at word `word_index`."""
    filler = ["the"] * words
    filler[word_index : word_index + 2] = ["new", "my"]
    text = " ".join(filler)
    return text, len(" ".join(filler[:word_index])) + (1 if word_index else 0)


@pytest.mark.parametrize("word_index", range(1, 28))
def test_entity_anywhere_in_a_long_text_is_found_once_whole(edge_blind, tiny_tokenizer, word_index):
    # 30 words in windows of 10 (12 positions less [CLS] and [SEP]) overlapping by 2: every
    # position, including those in the overlap of two windows and those at a window's edge
    # (the text's own first and last words have no context on one side in any window: left out).
    text, start = text_with_entity_at(word_index)
    entities = predict_entities(text, edge_blind, tiny_tokenizer)
    assert [(e["type"], e["text"], e["start"]) for e in entities] == [("location", "new my", start)]
    # Each word's softmax: 5 for its own label against O's 1, -5, -9 and nine labels at 0.
    word_score = math.exp(5) / (math.exp(5) + math.exp(1) + math.exp(-5) + math.exp(-9) + 9)
    assert entities[0]["score"] == pytest.approx(word_score)  # the mean of two equal scores


def test_windows_without_overlap_get_the_edges_wrong(edge_blind, tiny_tokenizer):
    # The stand-in model can tell: with stride 0 an entity across a window boundary is misread.
    text, _ = text_with_entity_at(9)  # words 9 and 10: the last of window 1, the first of window 2
    assert [e["type"] for e in predict_entities(text, edge_blind, tiny_tokenizer, stride=0)] == ["group", "group"]


def test_many_entities_across_many_windows_each_found_once(edge_blind, tiny_tokenizer):
    words = ["the", "new", "my"] * 40 + ["the"]  # 40 entities over 121 words: 15 windows
    text = " ".join(words)
    entities = predict_entities(text, edge_blind, tiny_tokenizer, batch_size=4)
    assert [(e["type"], e["text"]) for e in entities] == [("location", "new my")] * 40
    assert [e["start"] for e in entities] == [i * len("the new my ") + len("the ") for i in range(40)]


def test_stride_must_leave_room_in_the_window(edge_blind, tiny_tokenizer):
    with pytest.raises(ValueError, match="stride must be between 0 and 9 for windows of 12 tokens"):
        predict_entities("the new my", edge_blind, tiny_tokenizer, stride=10)
    with pytest.raises(ValueError, match="stride must be between 0 and 9"):
        predict_entities("the new my", edge_blind, tiny_tokenizer, stride=-1)


@pytest.mark.parametrize("word_index", range(1, 12))
def test_windows_that_start_inside_a_word_still_read_the_words_after_it(edge_blind, tiny_tokenizer, word_index):
    # Three pieces per filler word ("pal" -> p ##a ##l), so windows of 10 tokens start and end inside words:
    # a word cut at a window's start is read elsewhere, and every word after it in that window still counts.
    assert len(tiny_tokenizer.tokenize("pal")) == 3
    words = ["pal"] * 14
    words[word_index : word_index + 2] = ["new", "my"]
    text = " ".join(words)
    start = len(" ".join(words[:word_index])) + 1
    entities = predict_entities(text, edge_blind, tiny_tokenizer)
    assert [(e["type"], e["text"], e["start"]) for e in entities] == [("location", "new my", start)]


class Recording(EdgeBlindModel):
    """The edge-blind model, recording the shape of every batch it is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches: list[tuple[int, ...]] = []

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        self.batches.append(tuple(attention_mask.sum(dim=1).tolist()))
        return super().forward(input_ids, attention_mask, token_type_ids)


def test_windows_go_to_the_model_32_at_a_time_shortest_first(edge_blind, tiny_tokenizer, capsys):
    model = Recording(edge_blind.begin_id, edge_blind.inside_id)
    text = " ".join(["the"] * 300)  # 300 tokens in windows of 10 with stride 2: 38 windows
    predict_entities(text, model, tiny_tokenizer)
    assert [len(batch) for batch in model.batches] == [32, 6]
    lengths = [n for batch in model.batches for n in batch]
    assert lengths == sorted(lengths) and lengths[0] < 12  # the short last window first: less padding
    assert capsys.readouterr().err == ""  # no progress bar unless asked
    model.batches.clear()
    predict_entities(text, model, tiny_tokenizer, batch_size=1)
    assert [n for batch in model.batches for n in batch] == lengths


def test_progress_bar_when_asked(edge_blind, tiny_tokenizer, capsys):
    predict_entities(" ".join(["the"] * 300), edge_blind, tiny_tokenizer, progress=True, batch_size=16)
    err = capsys.readouterr().err
    assert "predict_entities: 100%" in err and "3/3" in err and "batch/s" in err


def test_default_stride_is_a_quarter_of_the_window(edge_blind, tiny_tokenizer):
    model = Recording(edge_blind.begin_id, edge_blind.inside_id, max_positions=22)  # 20 content tokens
    predict_entities(" ".join(["the"] * 100), model, tiny_tokenizer)
    assert sum(len(batch) for batch in model.batches) == 7  # stride 20 // 4 = 5: windows advance by 15 tokens
    model.batches.clear()
    predict_entities(" ".join(["the"] * 100), model, tiny_tokenizer, stride=4)
    assert sum(len(batch) for batch in model.batches) == 6  # advancing by 16, one window fewer
