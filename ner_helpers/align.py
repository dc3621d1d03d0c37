"""Tokenize pre-split words and align word labels with sub-word tokens.

Taught in notebook 02_preprocess.
"""
from __future__ import annotations

from typing import Any, Sequence

from .data import WNUT17_LABELS

IGNORE_INDEX = -100  # PyTorch's cross-entropy skips this label

# Byte-level BPE tokenizers need add_prefix_space=True to accept pre-split words.
PREFIX_SPACE_MODEL_TYPES = ("roberta", "gpt2", "deberta", "longformer", "bart", "mvp", "led")


def needs_prefix_space(checkpoint_or_model_type: str) -> bool:
    """Whether a tokenizer of this model family must be loaded with add_prefix_space=True."""
    name = checkpoint_or_model_type.lower()
    return any(family in name for family in PREFIX_SPACE_MODEL_TYPES)


def continuation_label_ids(label_names: Sequence[str]) -> list[int]:
    """For each label id, the id to give a word's later sub-tokens: B-X becomes I-X."""
    index = {name: i for i, name in enumerate(label_names)}
    return [index.get("I-" + name[2:], i) if name.startswith("B-") else i for i, name in enumerate(label_names)]


def align_labels_with_word_ids(
    word_ids: Sequence[int | None],
    word_labels: Sequence[int],
    *,
    label_all_tokens: bool = False,
    continuation: Sequence[int] | None = None,
) -> list[int]:
    """Labels for one tokenized sentence.

    Special tokens (word id None) get -100. The first sub-token of a word gets the word's label.
    Later sub-tokens get -100, or with `label_all_tokens=True` the I- form of the word's label
    (`continuation` maps label ids to it), since a continuation piece never starts an entity.
    """
    labels: list[int] = []
    previous_word = None
    for word_id in word_ids:
        if word_id is None:
            labels.append(IGNORE_INDEX)
        elif word_id != previous_word:
            labels.append(word_labels[word_id])
        elif label_all_tokens:
            label = word_labels[word_id]
            labels.append(continuation[label] if continuation is not None else label)
        else:
            labels.append(IGNORE_INDEX)
        previous_word = word_id
    return labels


def tokenize_and_align_labels(
    examples: dict[str, list[Any]],
    tokenizer: Any,
    *,
    label_all_tokens: bool = False,
    max_length: int | None = None,
    label_names: Sequence[str] = WNUT17_LABELS,
) -> Any:
    """Tokenize a batch of `tokens` and add aligned `labels`; use with `Dataset.map(batched=True)`.

    Truncates to `max_length` (the model's limit by default). Needs a fast tokenizer, since the
    alignment comes from `word_ids()`.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(
            f"{type(tokenizer).__name__} is a slow tokenizer without word_ids(), which label alignment "
            "needs. Load a fast one: AutoTokenizer.from_pretrained(checkpoint, use_fast=True)."
        )
    if getattr(tokenizer, "add_prefix_space", None) is False and needs_prefix_space(
        type(tokenizer).__name__
    ):
        raise ValueError(
            f"{type(tokenizer).__name__} splits words by leading spaces and needs add_prefix_space=True "
            "for pre-split words. Load it with ner_helpers.models.load_tokenizer(checkpoint), or "
            "AutoTokenizer.from_pretrained(checkpoint, add_prefix_space=True)."
        )
    tokenized = tokenizer(
        examples["tokens"],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
    )
    continuation = continuation_label_ids(label_names)
    tokenized["labels"] = [
        align_labels_with_word_ids(
            tokenized.word_ids(batch_index=i),
            word_labels,
            label_all_tokens=label_all_tokens,
            continuation=continuation,
        )
        for i, word_labels in enumerate(examples["ner_tags"])
    ]
    return tokenized


def tokenize_dataset(
    dataset: Any,
    tokenizer: Any,
    *,
    label_all_tokens: bool = False,
    max_length: int | None = None,
    label_names: Sequence[str] = WNUT17_LABELS,
    train_splits: Sequence[str] = ("train",),
) -> Any:
    """Tokenize every split of a DatasetDict; `label_all_tokens` applies to the training split only.

    `label_all_tokens` changes what the model trains on, never what is scored: the other splits
    keep one label per word (on its first sub-token), so `compute_metrics` counts the data set's
    words in every mode and F1 stays comparable between settings. Taught in notebook 02.
    """
    import datasets

    def tokenize(split: str) -> Any:
        return dataset[split].map(
            tokenize_and_align_labels,
            batched=True,
            fn_kwargs={
                "tokenizer": tokenizer,
                "label_all_tokens": label_all_tokens and split in train_splits,
                "max_length": max_length,
                "label_names": label_names,
            },
            remove_columns=dataset[split].column_names,
        )

    return datasets.DatasetDict({split: tokenize(split) for split in dataset})


def long_sentences(dataset: Any, tokenizer, max_length: int | None = None) -> dict[str, tuple[int, int]]:
    """For each split, (sentences longer than the limit in tokens, the longest one's length in tokens).

    The limit is `max_length`, else the tokenizer's `model_max_length`; special tokens count.
    Taught in notebook 02: words past the limit are truncated and get no label or prediction.
    """
    limit = max_length or tokenizer.model_max_length
    found = {}
    for split, ds in dataset.items():
        _, encoded = _encode_words(ds, tokenizer)
        lengths = [len(ids) for ids in encoded["input_ids"]] if encoded is not None else []
        over = [n for n in lengths if n > limit]
        found[split] = (len(over), max(lengths, default=0))
    return found


def words_without_tokens(dataset: Any, tokenizer) -> dict[str, list[tuple[int, int, str]]]:
    """For each split, the words the tokenizer turns into no token at all: (sentence, word index, word).

    WNUT 17 has a few: a lone U+FE0F (the emoji variation selector) is a word of its own there, and the
    tokenizer's normalizer removes it. Such a word gets no label in training and no prediction, so
    anything that lines the Trainer's word-level tags up with the data set's words must skip it.
    """
    found = {}
    for split, ds in dataset.items():
        words, encoded = _encode_words(ds, tokenizer)
        found[split] = []
        for i, tokens in enumerate(words):
            seen = set(encoded.word_ids(i))
            found[split] += [(i, w, word) for w, word in enumerate(tokens) if w not in seen]
    return found


def _encode_words(ds: Any, tokenizer) -> tuple[list[list[str]], Any]:
    """A split's sentences as lists of words, and their encoding (None for an empty split)."""
    words = [list(tokens) for tokens in ds["tokens"]]  # a Column in datasets 4+, the tokenizer wants lists
    return words, tokenizer(words, is_split_into_words=True, verbose=False) if words else None
