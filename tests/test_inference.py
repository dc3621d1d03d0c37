"""ner_helpers.inference: entities from words and pieces, the manual path against the pipeline, long texts in
overlapping windows, texts with emoji, CJK and zero-width characters, tweet words (split_words), and texts files."""
from __future__ import annotations

import math
import os
import random
import unicodedata
from pathlib import Path

import pytest
import torch
from nltk.tokenize import TweetTokenizer

from ner_helpers.conll import read_conll
from ner_helpers.data import WNUT17_LABELS
from ner_helpers.inference import group_words_into_entities, predict_entities, read_texts, split_words


# ---- From raw text to entities: spans, sub-word merging, windows, and agreement with the pipeline.

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


@pytest.mark.parametrize("model_dir", ["tiny_model_dir", "tiny_distilbert_dir"])  # a BERT, and the guide's DistilBERT
def test_manual_path_equals_pipeline_with_first_aggregation(request, sample_dir, model_dir):
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from ner_helpers.data import load_wnut17

    folder = request.getfixturevalue(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    # The DistilBERT is saved as the guide's checkpoint, without a head: a random one, drawn the same each run.
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(folder, num_labels=len(WNUT17_LABELS),
                                                            id2label=dict(enumerate(WNUT17_LABELS)))
    # sentences within the tiny model's 64 tokens, so the pipeline needs no windows
    texts = [" ".join(ex["tokens"]) for ex in load_wnut17(sample_dir)["train"]]
    texts = [t for t in texts if len(tokenizer(t)["input_ids"]) <= 64]
    ours = predict_entities(texts, model, tokenizer, words="tokenizer")  # the pipeline's words
    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first", device="cpu")
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


# ---- Long texts read in overlapping windows, with a stand-in model that is only right away from a window's edges.

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
    for stride in (10, -1):  # 12-token windows hold 10 content tokens: strides 0 to 9 leave room
        with pytest.raises(ValueError) as error:
            predict_entities("the new my", edge_blind, tiny_tokenizer, stride=stride)
        assert all(fact in str(error.value) for fact in ("stride", "0 and 9", "12 tokens"))
    assert predict_entities("the new my", edge_blind, tiny_tokenizer, stride=9) is not None  # the bound is allowed


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


# ---- predict_entities on awkward text: nothing crashes and every span points at its own surface text.

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


# ---- Raw text split into words as WNUT 17 was (Twitter-aware), so @mentions, #hashtags and URLs stay whole.

TEXT = "Meeting @maria_k at #NYC tomorrow!! Tickets: https://t.co/Ab_12?x=1 (don't miss it) :-)"
WHOLE = ["@maria_k", "#NYC", "https://t.co/Ab_12?x=1"]


def words_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_words(text)]


def test_mentions_hashtags_and_urls_stay_whole_and_punctuation_is_split_off():
    assert words_of(TEXT) == [
        "Meeting", "@maria_k", "at", "#NYC", "tomorrow", "!", "!", "Tickets", ":", "https://t.co/Ab_12?x=1",
        "(", "don't", "miss", "it", ")", ":-)",
    ]


def test_words_equal_tweet_tokenizer_and_spans_are_the_surface():
    text = TEXT + " Beyoncé 🎶 e-mail me at 10:30 ... #1 fan"
    assert words_of(text) == TweetTokenizer().tokenize(text)
    for start, end in split_words(text):
        assert text[start:end].strip() == text[start:end] != ""


def test_html_entities_keep_their_surface():
    # TweetTokenizer.tokenize would turn "&amp;" into "&"; spans must still point at the text as written.
    text = "Tom &amp; Jerry"
    assert words_of(text)[0] == "Tom" and "".join(words_of(text)) == text.replace(" ", "")


def marker_model(word: str, tokenizer) -> MarkerModel:
    """A model that tags B-person on the first sub-token of `word` (and on nothing else)."""
    first = tokenizer.tokenize(word)[0]
    assert len(tokenizer.tokenize(word)) > 1  # the word splits into pieces in the tokenizer
    return MarkerModel(tokenizer.convert_tokens_to_ids(first))


@pytest.mark.parametrize("word", WHOLE)
def test_a_tagged_mention_hashtag_or_url_comes_back_whole(word, tiny_tokenizer):
    model = marker_model(word, tiny_tokenizer)
    entities = [e for e in predict_entities(TEXT, model, tiny_tokenizer) if e["start"] == TEXT.index(word)]
    assert [(e["type"], e["text"]) for e in entities] == [("person", word)]
    for e in predict_entities(TEXT, model, tiny_tokenizer):
        assert TEXT[e["start"] : e["end"]] == e["text"]


@pytest.mark.parametrize("word", WHOLE)
def test_the_tokenizers_own_words_cut_them(word, tiny_tokenizer):
    # What the pipeline does: its pre-tokenizer splits at punctuation, so the entity is only a piece.
    model = marker_model(word, tiny_tokenizer)
    entities = [e for e in predict_entities(TEXT, model, tiny_tokenizer, words="tokenizer") if e["start"] == TEXT.index(word)]
    assert entities and entities[0]["text"] != word and word.startswith(entities[0]["text"])


def test_batched_tweet_words_equal_one_by_one(sample_dir, tiny_model, tiny_tokenizer):
    from ner_helpers.data import load_wnut17

    texts = [" ".join(t) for t in load_wnut17(sample_dir)["test"]["tokens"]] + ["", "   ", TEXT]
    batched = predict_entities(texts, tiny_model, tiny_tokenizer, batch_size=4)
    one_by_one = [predict_entities(t, tiny_model, tiny_tokenizer) for t in texts]
    for a, b in zip(batched, one_by_one):
        assert [(e["type"], e["start"], e["end"]) for e in a] == [(e["type"], e["start"], e["end"]) for e in b]
        assert [e["score"] for e in a] == pytest.approx([e["score"] for e in b], abs=1e-5)  # padding changes the last bits
    assert batched[-3] == [] and batched[-2] == []


def test_unknown_word_mode_is_an_error(tiny_model, tiny_tokenizer):
    with pytest.raises(ValueError) as error:
        predict_entities("x", tiny_model, tiny_tokenizer, words="spaces")
    assert all(fact in str(error.value) for fact in ('"tweet"', '"tokenizer"', "'spaces'"))  # accepted, and given


@pytest.mark.skipif(not os.environ.get("WNUT17_DIR"), reason="set WNUT17_DIR to the folder of the real WNUT 17 files")
def test_split_words_recovers_most_words_of_the_real_test_split():
    from ner_helpers.data import load_wnut17

    sentences = load_wnut17(os.environ["WNUT17_DIR"])["test"]["tokens"]
    same = sum(words_of(" ".join(tokens)) == list(tokens) for tokens in sentences)
    assert same / len(sentences) > 0.9


def test_entities_to_word_tags_counts_entities_that_cut_a_word():
    from ner_helpers.inference import entities_to_word_tags

    words = ["Meeting", "@maria_k", "in", "New", "York"]
    text = " ".join(words)
    whole = [{"type": "person", "start": 8, "end": 16}, {"type": "location", "start": text.index("New"), "end": len(text)}]
    assert entities_to_word_tags(whole, words) == (["O", "B-person", "O", "B-location", "I-location"], 0)
    piece = [{"type": "person", "start": 9, "end": 14}]  # "maria" inside "@maria_k"
    assert entities_to_word_tags(piece, words) == (["O"] * 5, 1)


def test_an_entity_that_ends_inside_a_word_cuts_it_and_each_cut_counts():
    from ner_helpers.inference import entities_to_word_tags

    words = ["maria_k", "and", "joe_b"]  # "maria_k and joe_b"
    ends_inside = [{"type": "person", "start": 0, "end": 5}, {"type": "person", "start": 12, "end": 15}]  # "maria", "joe"
    assert entities_to_word_tags(ends_inside, words) == (["B-person", "O", "B-person"], 2)


def test_words_joined_without_a_space_end_where_the_next_one_starts():
    from ner_helpers.inference import entities_to_word_tags

    # "NewYork" from ["New", "York"] joined by "": an entity over "New" ends where "York" starts.
    assert entities_to_word_tags([{"type": "location", "start": 0, "end": 3}], ["New", "York"], join_by="") == (
        ["B-location", "O"], 0
    )


def test_a_word_that_ends_in_ideographs_gives_one_word_per_ideograph():
    assert split_words("行く東京") == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert words_of("to 東京 now") == ["to", "東", "京", "now"]
    assert words_of("Tokyo東京") == ["Tokyo", "東", "京"]


# ---- Notebook 05's `texts_file`: one text per line, or a message that names the file and what to give instead.

def test_one_text_per_line_blank_lines_skipped_and_spaces_trimmed(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_bytes("\ufeffMeeting @maria_k at #NYC\r\n\r\n  Taylor Swift played Wembley  \n\n".encode("utf-8"))
    assert read_texts(path) == ["Meeting @maria_k at #NYC", "Taylor Swift played Wembley"]


def test_a_missing_file_names_the_parameter_and_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as failure:
        read_texts("no-such.txt")
    message = str(failure.value)  # the parameter and file, where relative paths start, and the default
    assert "texts_file='no-such.txt'" in message and str(tmp_path) in message and "texts_file=None" in message


def test_a_folder_is_not_a_texts_file(tmp_path):
    with pytest.raises(FileNotFoundError) as failure:
        read_texts(tmp_path)
    assert f"texts_file={str(tmp_path)!r}" in str(failure.value) and "texts_file=None" in str(failure.value)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00", "byte 5: b'\\x00\\x00\\x00'"),  # a zip: the first NUL byte
        ("caf\u00e9 au lait".encode("latin-1"), "byte 3: b'\\xe9 au'"),  # é in Latin-1 is no UTF-8
        ("one text".encode("utf-16"), "byte 3: b'\\x00n\\x00e'"),  # UTF-16: every ASCII letter has a NUL byte
        (b"\x00caf\xe9", "byte 0: b'\\x00caf'"),  # a NUL byte first: it is named, not the later Latin-1 byte
    ],
    ids=["zip", "latin-1", "utf-16", "nul-first"],
)
def test_a_file_that_is_not_utf8_text_says_so(tmp_path, content, where):
    path = tmp_path / "texts.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as failure:
        read_texts(path)
    assert f"texts_file={str(path)!r}" in str(failure.value) and where in str(failure.value)  # the file, the byte


def test_an_empty_file_says_it_holds_no_text(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\n  \n")
    with pytest.raises(ValueError) as failure:
        read_texts(path)
    assert f"texts_file={str(path)!r}" in str(failure.value)


# ---- notebook-facing helpers

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
