"""Raw text split into words as WNUT 17 was (Twitter-aware), so @mentions, #hashtags and URLs stay whole."""
from __future__ import annotations

import os

import pytest
from nltk.tokenize import TweetTokenizer

from ner_helpers.inference import predict_entities, split_words
from test_inference import MarkerModel

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
    with pytest.raises(ValueError, match='words must be "tweet" or "tokenizer"'):
        predict_entities("x", tiny_model, tiny_tokenizer, words="spaces")


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
