"""From raw text to entities: split into words, tokenize, run the model, merge sub-words and B-/I- pieces.

Taught in notebook 05_inference (the manual path, checked against `pipeline`; words split as in WNUT 17).
"""
from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

import numpy as np
import torch


def model_max_length(model: Any, tokenizer: Any) -> int:
    """The longest input (in tokens, special ones included) both the model and the tokenizer accept."""
    limits = [getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length]
    limits = [int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000]
    return min(limits) if limits else 512


def group_words_into_entities(words: Sequence[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Merge labelled words into entities, as the pipeline's `group_entities` does.

    A word tagged I-X continues the entity before it when that entity is of type X; B-X or any
    other I- starts a new one; O ends it. An entity's score is the mean of its words' scores.
    """
    entities: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for word in words:
        tag = word["tag"]
        prefix, entity_type = (tag[:2], tag[2:]) if tag[:2] in ("B-", "I-") else ("", tag)
        if tag == "O":
            current = None
            continue
        if current is not None and prefix == "I-" and current["type"] == entity_type:
            current["end"] = word["end"]
            current["scores"].append(word["score"])
            continue
        current = {"type": entity_type, "start": word["start"], "end": word["end"], "scores": [word["score"]]}
        entities.append(current)
    return [
        {
            "type": e["type"],
            "text": text[e["start"] : e["end"]],
            "start": e["start"],
            "end": e["end"],
            "score": float(np.mean(e["scores"])),
        }
        for e in entities
    ]


@lru_cache(maxsize=1)
def _tweet_word_pattern() -> Any:
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer().WORD_RE


def split_words(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of `text`, split the way WNUT 17's tweets were tokenized.

    The rules are nltk's `TweetTokenizer` (its WORD_RE): @mentions, #hashtags, URLs, emoticons and
    words with inner apostrophes or hyphens stay whole; other punctuation is split off. The
    pattern runs on the original text, so `text[start:end]` is always the surface word
    (`TweetTokenizer.tokenize` first rewrites HTML entities such as "&amp;", which would break offsets).
    Invisible format characters (zero-width space and joiner, soft hyphen) are skipped while
    matching, so "Pa" + zero-width space + "ris" stays one word and a zero-width space beside a word is not part of it.
    CJK ideographs are words of one character each, as BERT-style tokenizers treat them.
    """
    visible = [i for i, char in enumerate(text) if unicodedata.category(char) != "Cf"]
    spans = []
    for match in _tweet_word_pattern().finditer("".join(text[i] for i in visible)):
        start = match.start()
        for k in range(match.start(), match.end()):  # cut the match around CJK ideographs
            if _is_cjk(text[visible[k]]):
                if start < k:
                    spans.append((start, k))
                spans.append((k, k + 1))
                start = k + 1
        if start < match.end():
            spans.append((start, match.end()))
    return [(visible[a], visible[b - 1] + 1) for a, b in spans]


def _is_cjk(char: str) -> bool:
    """A CJK ideograph (the ranges BERT's basic tokenizer splits into single characters)."""
    cp = ord(char)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _windows_to_words(
    encoded: Any,
    window_ids: Sequence[int],
    probabilities: Sequence[np.ndarray],
    id2label: dict[int, str],
    word_spans: Sequence[tuple[int, int]] | None = None,
) -> list[dict[str, Any]]:
    """Label each word of one text from the windows that cover it.

    A word takes the label of its first sub-token, read in the window where that sub-token has the
    most context on both sides, so words near a window's edge are judged from the next window.
    `word_spans` gives the words' character spans when the text was passed as pre-split words
    (then the tokenizer's offsets count from the start of each word).
    """
    spans: dict[int, list[int]] = {}
    for w in window_ids:
        for word_id, (start, end) in zip(encoded.word_ids(w), encoded["offset_mapping"][w]):
            if word_id is None:
                continue
            span = spans.setdefault(word_id, [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)

    best: dict[int, tuple[int, np.ndarray]] = {}
    for w, probs in zip(window_ids, probabilities):
        word_ids = encoded.word_ids(w)
        content = [i for i, word_id in enumerate(word_ids) if word_id is not None]
        if not content:
            continue
        first, last = content[0], content[-1]
        seen: set[int] = set()
        for i in content:
            word_id = word_ids[i]
            if word_id in seen:
                continue
            seen.add(word_id)
            if encoded["offset_mapping"][w][i][0] != spans[word_id][0]:
                continue  # the window starts inside this word: its first sub-token is elsewhere
            context = min(i - first, last - i)
            if word_id not in best or context > best[word_id][0]:
                best[word_id] = (context, probs[i])

    words = []
    for word_id in sorted(best):
        probs = best[word_id][1]
        label_id = int(probs.argmax())
        start, end = word_spans[word_id] if word_spans is not None else spans[word_id]
        words.append({"tag": id2label[label_id], "score": float(probs[label_id]), "start": start, "end": end})
    return words


def _extend_over_combining_marks(words: list[dict[str, Any]], text: str) -> None:
    """End each word after the combining marks that follow it (an accent, a variation selector).

    Normalizers that strip accents map no token to a decomposed accent ("Beyonce" + U+0301), so
    the word's span would stop before it and cut the last character in two.
    """
    for word, next_word in zip(words, [*words[1:], None]):
        limit = next_word["start"] if next_word is not None else len(text)
        while word["end"] < limit and unicodedata.category(text[word["end"]]).startswith("M"):
            word["end"] += 1


def predict_entities(
    texts: str | Iterable[str],
    model: Any,
    tokenizer: Any,
    *,
    batch_size: int = 32,
    max_length: int | None = None,
    stride: int | None = None,
    progress: bool = False,
    words: Literal["tweet", "tokenizer"] = "tweet",
) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
    """Entities in raw text: `{"type", "text", "start", "end", "score"}` with `text[start:end]` the surface.

    One string gives a list of entities; a list of strings gives one list per text. Texts longer
    than the model's limit are read in overlapping windows (`stride` tokens shared, a quarter of
    the window by default), so no entity past the limit is lost. Windows are batched by length.

    `words="tweet"` (default) splits the text into words as WNUT 17 was tokenized (`split_words`:
    "@maria_k", "#NYC" and URLs stay whole) and labels each word by its first sub-token, as the
    model was trained. `words="tokenizer"` uses the tokenizer's own pre-tokenizer, as the pipeline
    does, which splits at every punctuation mark.
    """
    if words not in ("tweet", "tokenizer"):
        raise ValueError(f'words must be "tweet" or "tokenizer", not {words!r}.')
    single = isinstance(texts, str)
    texts = [texts] if single else list(texts)
    if not texts:
        return []

    max_length = max_length or model_max_length(model, tokenizer)
    content_length = max_length - tokenizer.num_special_tokens_to_add()
    stride = content_length // 4 if stride is None else stride
    if not 0 <= stride < content_length:
        raise ValueError(f"stride must be between 0 and {content_length - 1} for windows of {max_length} tokens.")

    word_spans: list[list[tuple[int, int]]] | None = None
    inputs: list[str] | list[list[str]] = texts
    if words == "tweet":  # the data set's words, given to the tokenizer pre-split, as in training
        word_spans = [split_words(text) for text in texts]
        inputs = [[text[a:b] for a, b in spans] for text, spans in zip(texts, word_spans)]
    encoded = tokenizer(
        inputs,
        is_split_into_words=words == "tweet",
        truncation=True,
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    n_windows = len(encoded["input_ids"])
    order = sorted(range(n_windows), key=lambda w: len(encoded["input_ids"][w]))
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    model_inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in encoded]

    probabilities: list[np.ndarray | None] = [None] * n_windows
    batches = [order[i : i + batch_size] for i in range(0, n_windows, batch_size)]
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="predict_entities", unit="batch")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for batch in batches:
            features = [{name: encoded[name][w] for name in model_inputs} for w in batch]
            padded = tokenizer.pad(features, return_tensors="pt")
            logits = model(**{k: v.to(device) for k, v in padded.items()}).logits.float()
            probs = torch.softmax(logits, dim=-1).cpu().numpy()
            for row, w in enumerate(batch):
                probabilities[w] = probs[row, : len(encoded["input_ids"][w])]
    model.train(was_training)

    windows_of_text: list[list[int]] = [[] for _ in texts]
    for w, text_index in enumerate(encoded["overflow_to_sample_mapping"]):
        windows_of_text[text_index].append(w)
    results = []
    for text_index, window_ids in enumerate(windows_of_text):
        spans = word_spans[text_index] if word_spans is not None else None
        labelled = _windows_to_words(encoded, window_ids, [probabilities[w] for w in window_ids], id2label, spans)
        _extend_over_combining_marks(labelled, texts[text_index])
        results.append(group_words_into_entities(labelled, texts[text_index]))
    return results[0] if single else results


def entities_to_word_tags(entities: Sequence[dict[str, Any]], words: Sequence[str], join_by: str = " ") -> tuple[list[str], int]:
    """BIO tags for the data set's `words` from entities found in `join_by.join(words)`; and how many cut a word.

    A word is tagged when it starts inside an entity: B- at the entity's first word, I- after it.
    An entity that starts or ends inside a word (say "@" of "@maria_k") cuts through it: it is
    counted, and scored by the words it starts. Used by notebook 04 to score raw-text predictions.
    """
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + len(join_by)
    ends = [s + len(w) for s, w in zip(starts, words)]
    boundaries_start, boundaries_end = set(starts), set(ends)
    tags = ["O"] * len(words)
    cut = 0
    for entity in entities:
        cut += entity["start"] not in boundaries_start or entity["end"] not in boundaries_end
        inside = [i for i, s in enumerate(starts) if entity["start"] <= s < entity["end"]]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + entity["type"]
    return tags, cut


def read_texts(path: str | os.PathLike) -> list[str]:
    """The texts of a UTF-8 text file, one per line, blank lines skipped: notebook 05's `texts_file`.

    A missing file, a folder, bytes that are not UTF-8 text, or a file without any text stop with a
    message naming the file and what to give instead.
    """
    path = Path(path).expanduser()
    where = f"texts_file={str(path)!r}"
    if path.is_dir():
        raise FileNotFoundError(f"{where} is a folder: give a text file with one text per line, or texts_file=None.")
    if not path.is_file():
        raise FileNotFoundError(
            f"{where}: no such file (relative paths start from {Path.cwd()}). Give a text file with one text per line, "
            "or texts_file=None for the evaluation sentences notebook 02 kept."
        )
    raw = path.read_bytes()
    bad = raw.find(b"\x00")  # UTF-16 text or a binary file (a zip, a saved model) can decode, but is no text
    if bad < 0:
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            bad = err.start
    if bad >= 0:
        raise ValueError(
            f"{where}: not UTF-8 text (byte {bad}: {raw[bad:bad + 4]!r}). "
            "Give a plain text file saved as UTF-8, one text per line."
        )
    texts = [line.strip() for line in content.splitlines() if line.strip()]
    if not texts:
        raise ValueError(f"{where}: the file holds no text (it is empty or blank). Write one text per line.")
    return texts
