"""Label alignment rules, checked by hand on tokenized examples."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from ner_helpers.align import (
    IGNORE_INDEX,
    align_labels_with_word_ids,
    continuation_label_ids,
    tokenize_and_align_labels,
)
from ner_helpers.data import WNUT17_LABELS
import datasets
from ner_helpers.align import long_sentences, words_without_tokens
from ner_helpers.data import load_data

L = {name: i for i, name in enumerate(WNUT17_LABELS)}
X = IGNORE_INDEX
# "Empire State Buildingsss" -> [CLS] empire state buildings ##ss [SEP]
WORD_IDS = [None, 0, 1, 2, 2, None]
WORD_LABELS = [L["B-location"], L["I-location"], L["I-location"]]


def test_special_tokens_get_minus_100():
    labels = align_labels_with_word_ids(WORD_IDS, WORD_LABELS)
    assert labels[0] == X and labels[-1] == X


def test_first_subword_gets_the_label_and_the_rest_minus_100():
    assert align_labels_with_word_ids(WORD_IDS, WORD_LABELS) == [X, 7, 8, 8, X, X]


def test_label_all_tokens_gives_continuations_the_i_form():
    continuation = continuation_label_ids(WNUT17_LABELS)
    # "@paulwalk" -> @ paul ##walk, one word tagged B-person
    labels = align_labels_with_word_ids(
        [None, 0, 0, 0, 1, None], [L["B-person"], L["O"]], label_all_tokens=True, continuation=continuation
    )
    assert labels == [X, L["B-person"], L["I-person"], L["I-person"], L["O"], X]


def test_continuation_ids_map_b_to_i_and_keep_o_and_i():
    continuation = continuation_label_ids(WNUT17_LABELS)
    assert [WNUT17_LABELS[c] for c in continuation] == [
        "O" if n == "O" else "I-" + n[2:] for n in WNUT17_LABELS
    ]


@pytest.mark.parametrize("model_dir", ["tiny_model_dir", "tiny_distilbert_dir"])  # a BERT, and the guide's DistilBERT
@pytest.mark.parametrize("label_all_tokens", [False, True])
def test_batched_alignment_matches_word_ids_of_the_tokenizer(request, model_dir, label_all_tokens):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(request.getfixturevalue(model_dir))
    examples = {
        "tokens": [["Empire", "State", "Building", "😍"], ["@maria_k", "loves", "Zurich"]],
        "ner_tags": [[7, 8, 8, 0], [9, 0, 7]],
    }
    out = tokenize_and_align_labels(examples, tokenizer, label_all_tokens=label_all_tokens)
    assert set(out) == {*tokenizer.model_input_names, "labels"}  # DistilBERT's: no token_type_ids
    for i, tags in enumerate(examples["ner_tags"]):
        word_ids = out.word_ids(batch_index=i)
        labels = out["labels"][i]
        assert len(labels) == len(out["input_ids"][i])
        previous = None
        for word_id, label in zip(word_ids, labels):
            if word_id is None:
                assert label == X
            elif word_id != previous:
                assert label == tags[word_id]
            elif label_all_tokens:
                word_tag = WNUT17_LABELS[tags[word_id]]
                assert WNUT17_LABELS[label] == ("O" if word_tag == "O" else "I-" + word_tag[2:])
            else:
                assert label == X
            previous = word_id
    # "@maria_k" is split into several pieces: only the first carries B-person by default.
    person = [label for label in out["labels"][1] if label == L["B-person"]]
    assert len(person) == 1


def test_long_sentences_are_truncated_to_the_model_limit(sample_dir, tiny_tokenizer):
    from ner_helpers.data import load_wnut17

    train = load_wnut17(sample_dir)["train"]
    longest = max(train, key=lambda ex: len(ex["tokens"]))
    untruncated = tiny_tokenizer(longest["tokens"], is_split_into_words=True)
    assert len(untruncated["input_ids"]) > tiny_tokenizer.model_max_length  # the sample has one such sentence
    batch = {"tokens": [longest["tokens"]], "ner_tags": [longest["ner_tags"]]}
    out = tokenize_and_align_labels(batch, tiny_tokenizer)
    assert len(out["input_ids"][0]) == tiny_tokenizer.model_max_length
    assert len(out["labels"][0]) == tiny_tokenizer.model_max_length
    short = tokenize_and_align_labels(batch, tiny_tokenizer, max_length=16)
    assert len(short["labels"][0]) == 16


def test_works_with_dataset_map(sample_dir, tiny_tokenizer):
    from ner_helpers.data import load_wnut17

    dataset = load_wnut17(sample_dir)
    tokenized = dataset.map(
        tokenize_and_align_labels, batched=True, fn_kwargs={"tokenizer": tiny_tokenizer}
    )
    assert {"input_ids", "attention_mask", "labels"} <= set(tokenized["train"].column_names)


def test_a_b_label_without_an_i_form_continues_as_itself():
    # B-PER has no I-PER in this list, so a later piece of a B-PER word keeps B-PER (id 1).
    assert continuation_label_ids(["O", "B-PER", "B-LOC", "I-LOC"]) == [0, 1, 3, 3]


def test_label_all_tokens_without_a_continuation_map_repeats_the_word_label():
    labels = align_labels_with_word_ids([None, 0, 0, 1, None], [L["B-person"], L["O"]], label_all_tokens=True)
    assert labels == [X, L["B-person"], L["B-person"], L["O"], X]


def test_later_pieces_are_ignored_unless_asked(tiny_tokenizer):
    # "playstation" is cut into several pieces by the tiny model's vocabulary; by default only the first is labelled.
    batch = {"tokens": [["playstation", "rocks"]], "ner_tags": [[L["B-product"], L["O"]]]}
    word_ids = tiny_tokenizer(batch["tokens"], is_split_into_words=True).word_ids(0)
    assert word_ids.count(0) > 1
    labels = tokenize_and_align_labels(batch, tiny_tokenizer)["labels"][0]
    assert labels == [X if w is None or i > word_ids.index(w) else batch["ner_tags"][0][w]
                      for i, w in enumerate(word_ids)]
    assert labels.count(L["B-product"]) == labels.count(L["O"]) == 1


def test_tokenize_dataset_keeps_only_the_model_inputs_and_labels_and_ignores_later_pieces(sample_dir, tiny_tokenizer):
    from ner_helpers.align import tokenize_dataset
    from ner_helpers.data import load_wnut17

    dataset = load_wnut17(sample_dir)
    tokenized = tokenize_dataset(dataset, tiny_tokenizer)
    assert set(tokenized) == set(dataset)
    for split in tokenized:
        assert "tokens" not in tokenized[split].column_names and "ner_tags" not in tokenized[split].column_names
        assert {"input_ids", "attention_mask", "labels"} <= set(tokenized[split].column_names)
    # Default: one label per word in every split, so the labelled positions count the words (as far as the model reads).
    train = tokenized["train"]
    for row, words in zip(train, dataset["train"]["tokens"]):
        word_ids = [w for w in tiny_tokenizer(words, is_split_into_words=True, truncation=True).word_ids()]
        assert sum(label != X for label in row["labels"]) == len({w for w in word_ids if w is not None})


def test_a_distilbert_tokenizer_gives_the_model_no_token_type_ids(sample_dir, tiny_distilbert_dir):
    # DistilBERT's forward() takes no token_type_ids: its tokenized splits must not carry them.
    from transformers import AutoTokenizer

    from ner_helpers.align import tokenize_dataset
    from ner_helpers.data import load_wnut17

    tokenized = tokenize_dataset(load_wnut17(sample_dir), AutoTokenizer.from_pretrained(tiny_distilbert_dir))
    for split in tokenized:
        assert sorted(tokenized[split].column_names) == ["attention_mask", "input_ids", "labels"]


@pytest.mark.parametrize("has_attribute", [True, False])
def test_slow_tokenizer_gets_a_clear_error(has_attribute):
    class SlowTokenizer:
        pass

    if has_attribute:
        SlowTokenizer.is_fast = False
    message = ("SlowTokenizer is a slow tokenizer without word_ids(), which label alignment needs. "
               "Load a fast one: AutoTokenizer.from_pretrained(checkpoint, use_fast=True).")
    with pytest.raises(TypeError) as error:
        tokenize_and_align_labels({"tokens": [["a"]], "ner_tags": [[0]]}, SlowTokenizer())
    assert str(error.value) == message


def _byte_level_tokenizer(add_prefix_space: bool):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import RobertaTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    backend.train_from_iterator(
        ["Empire State Building is in New York"] * 5,
        trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>"]),
    )
    backend.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), add_prefix_space=add_prefix_space)
    return RobertaTokenizerFast(tokenizer_object=backend, add_prefix_space=add_prefix_space)


def test_roberta_style_tokenizer_without_prefix_space_gets_a_clear_error():
    tokenizer = _byte_level_tokenizer(add_prefix_space=False)
    with pytest.raises(ValueError) as error:
        tokenize_and_align_labels({"tokens": [["Empire"]], "ner_tags": [[7]]}, tokenizer)
    assert str(error.value) == (
        "RobertaTokenizer splits words by leading spaces and needs add_prefix_space=True for pre-split words. "
        "Load it with ner_helpers.models.load_tokenizer(checkpoint), or "
        "AutoTokenizer.from_pretrained(checkpoint, add_prefix_space=True)."
    )


def test_roberta_style_tokenizer_with_prefix_space_aligns():
    tokenizer = _byte_level_tokenizer(add_prefix_space=True)
    out = tokenize_and_align_labels(
        {"tokens": [["Empire", "State", "Building"]], "ner_tags": [[7, 8, 8]]}, tokenizer
    )
    assert [label for label in out["labels"][0] if label != X] == [7, 8, 8]


# Notebook 02 defines the guide's tokenize_and_align_labels in its own cell, where learners edit it; the tools use
# ner_helpers.align's. Both must label every sentence the same way.
NOTEBOOK_02 = Path(__file__).resolve().parent.parent / "notebooks" / "02_preprocess.ipynb"


def notebook_tokenize_and_align_labels(tokenizer, label_names, max_length=None):
    """The function as notebook 02's cell defines it, with the names that cell reads from the notebook."""
    cells = nbformat.read(NOTEBOOK_02, as_version=4).cells
    source = next(cell.source for cell in cells if cell.cell_type == "code" and "def tokenize_and_align_labels(" in cell.source)
    namespace = {"tokenizer": tokenizer, "label_names": label_names, "max_length": max_length}
    exec(compile(source, f"{NOTEBOOK_02.name} (tokenize_and_align_labels cell)", "exec"), namespace)
    return namespace["tokenize_and_align_labels"]


def assert_notebook_and_package_agree(split, tokenizer, label_names, max_length=None):
    notebook_function = notebook_tokenize_and_align_labels(tokenizer, label_names, max_length)
    batch = {"tokens": [list(t) for t in split["tokens"]], "ner_tags": [list(t) for t in split["ner_tags"]]}
    for label_all_tokens in (False, True):
        ours = notebook_function(batch, label_all_tokens=label_all_tokens)
        package = tokenize_and_align_labels(batch, tokenizer, label_all_tokens=label_all_tokens, max_length=max_length,
                                            label_names=label_names)
        assert ours["input_ids"] == package["input_ids"]
        differ = [i for i, (a, b) in enumerate(zip(ours["labels"], package["labels"])) if a != b]
        assert not differ, f"label_all_tokens={label_all_tokens}: sentences {differ[:5]} are labelled differently"


@pytest.mark.parametrize("max_length", [None, 8])
def test_notebook_02_function_and_the_package_agree_on_the_sample_training_split(tiny_tokenizer, sample_dir, max_length):
    from ner_helpers.data import load_wnut17

    train = load_wnut17(sample_dir)["train"]
    assert_notebook_and_package_agree(train, tiny_tokenizer, train.features["ner_tags"].feature.names, max_length)


@pytest.mark.real_data
@pytest.mark.skipif(not os.environ.get("WNUT17_DIR"), reason="set WNUT17_DIR to a folder with the WNUT 17 CoNLL files")
def test_notebook_02_function_and_the_package_agree_on_the_real_training_split():
    from ner_helpers.data import load_wnut17
    from ner_helpers.models import OFFLINE_ENCODER, load_tokenizer

    train = load_wnut17(os.environ["WNUT17_DIR"])["train"]
    assert_notebook_and_package_agree(train, load_tokenizer(OFFLINE_ENCODER), train.features["ner_tags"].feature.names)


# ---- notebook-facing helpers

CONLL2003 = Path(__file__).parent / "data" / "sample_conll2003"


def test_sentences_longer_than_the_model_are_counted(tiny_tokenizer):
    dataset = load_data(data_files={"train": CONLL2003 / "train.txt", "validation": CONLL2003 / "valid.txt"}, verbose=False)
    found = long_sentences(dataset, tiny_tokenizer)
    assert tiny_tokenizer.model_max_length == 64
    count, longest = found["train"]
    assert count == 1 and longest > 64  # the one long sentence of the sample
    assert found["validation"][0] == 0
    assert long_sentences(dataset, tiny_tokenizer, max_length=8)["validation"][0] == 6


def test_words_that_become_no_token_are_listed_by_sentence_and_position(tiny_tokenizer):
    # WNUT 17's wart: a lone U+FE0F (emoji variation selector) as a word; the normalizer removes it.
    assert tiny_tokenizer(["\ufe0f"], is_split_into_words=True).word_ids() == [None, None]  # [CLS] [SEP] only
    dataset = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"tokens": [["Paris", "\ufe0f", "rocks"], ["ok"]]}),
        "test": datasets.Dataset.from_dict({"tokens": [["fine"], ["\ufe0f"], ["a", "b", "\ufe0f"]]}),
    })
    assert words_without_tokens(dataset, tiny_tokenizer) == {
        "train": [(0, 1, "\ufe0f")],
        "test": [(1, 0, "\ufe0f"), (2, 2, "\ufe0f")],
    }


def test_long_sentences_counts_only_those_over_the_limit_and_reads_an_empty_split(tiny_tokenizer):
    dataset = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"tokens": [["a", "b", "c"], ["a"]]}),  # 5 and 3 tokens with [CLS]/[SEP]
        "validation": datasets.Dataset.from_dict({"tokens": [[]]}).select([]),  # no sentence at all
    })
    assert long_sentences(dataset, tiny_tokenizer, max_length=5) == {"train": (0, 5), "validation": (0, 0)}
    assert long_sentences(dataset, tiny_tokenizer, max_length=4) == {"train": (1, 5), "validation": (0, 0)}


def test_counting_long_sentences_keeps_the_tokenizer_quiet(tiny_tokenizer):
    # The tokenizer would warn that a sentence is over model_max_length: counting them is the point, so no warning.
    calls = []

    class Recording:
        model_max_length = tiny_tokenizer.model_max_length

        def __call__(self, words, **options):
            calls.append(options)
            return tiny_tokenizer(words, **options)

    long = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"tokens": [["a"] * 100]})})
    assert long_sentences(long, Recording()) == {"train": (1, 102)}
    assert calls == [{"is_split_into_words": True, "verbose": False}]
