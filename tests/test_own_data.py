"""Your own data beyond reading it: sentences longer than the model and words that become no token (notebook 02),
entity colours for any label set, and plot titles that name the split scored."""
from __future__ import annotations

from pathlib import Path

import datasets

from ner_helpers.align import long_sentences, words_without_tokens
from ner_helpers.data import load_data

TESTS_DIR = Path(__file__).parent
CONLL2003 = TESTS_DIR / "data" / "sample_conll2003"


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


def test_entity_colors_are_distinct_for_any_number_of_types_and_the_legend_names_them_all():
    from ner_helpers.highlight import entity_colors, highlight_entities

    types = [f"type{i:02d}" for i in range(40)]
    colors = entity_colors(types)
    assert len(set(colors.values())) == 40
    palette = entity_colors(["LOC", "ORG", "PER"])
    alone = highlight_entities("Paris", [{"type": "PER", "start": 0, "end": 5}], palette)
    with_loc = highlight_entities("Paris Rome", [{"type": "LOC", "start": 0, "end": 5}, {"type": "PER", "start": 6, "end": 10}], palette)
    per_color = f'background:{palette["PER"]}; '
    assert per_color in alone.split("ner-legend")[0] and per_color in with_loc.split("ner-legend")[0]
    html = highlight_entities("nothing here", [], entity_colors(["LOC", "ORG", "PER"]))
    assert "no entities found" in html and all(f">{t}</span>" in html for t in ("LOC", "ORG", "PER"))


def test_plot_titles_name_the_split_scored():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from ner_helpers.plots import plot_confusion_matrix, plot_per_type_scores

    table = pd.DataFrame({"precision": [0.5], "recall": [0.5], "f1": [0.5], "support": [2]}, index=["PER"])
    assert plot_per_type_scores(table, split="validation").axes[0].get_title().endswith("validation split")
    matrix = pd.DataFrame([[1, 0], [0, 0]], index=["PER", "no entity"], columns=["PER", "no entity"])
    assert plot_confusion_matrix(matrix, split="test").axes[0].get_title().endswith("test split")
