"""Your own data: CoNLL files in the layouts and tag schemes people have, Hub-style data sets, splits."""
from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from ner_helpers.align import long_sentences, words_without_tokens
from ner_helpers.conll import discover_labels, read_conll
from ner_helpers.data import evaluation_split, is_wnut17, load_data, load_hub_dataset
from ner_helpers.errors import ConllFormatError, HubUnreachableError


TESTS_DIR = Path(__file__).parent
FORMATS = TESTS_DIR / "data" / "formats"
CONLL2003 = TESTS_DIR / "data" / "sample_conll2003"
PER_LOC_ORG = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.mark.parametrize(
    "name, scheme, converted",
    [
        ("conll2003_bio.txt", "BIO", 0),  # 4 space-separated columns with -DOCSTART- lines
        ("iob1.tsv", "IOB1", 5),  # I- starts an entity; B- only between two touching LOCs
        ("bioes.tsv", "BIOES", 6),
        ("bilou.tsv", "BILOU", 6),
    ],
)
def test_each_layout_and_scheme_loads_to_the_same_bio_sentences_as_its_tab_twin(name, scheme, converted):
    expected, _ = read_conll(FORMATS / "bio.tsv")
    sentences, report = read_conll(FORMATS / name)
    assert sentences == expected
    assert (report.scheme, report.converted) == (scheme, converted)
    assert f"tags {scheme}" in report.summary()


def test_conll2003_layout_skips_docstart_lines_and_reads_token_first_tag_last():
    sentences, report = read_conll(FORMATS / "conll2003_bio.txt")
    assert report.docstarts == 2 and report.columns == 4 and report.separator == "space"
    assert sentences[0] == (["EU", "rejects", "German", "call", "."], ["B-ORG", "O", "B-MISC", "O", "O"])
    assert "2 -DOCSTART- line(s) skipped" in report.summary()


def test_iob1_keeps_two_touching_entities_of_one_type_apart():
    sentences, _ = read_conll(FORMATS / "iob1.tsv")
    tokens, tags = sentences[2]
    assert tags[:2] == ["B-LOC", "B-LOC"]  # Japan | Korea: two entities, as IOB1's B- says


def test_iob1_conversion_count_is_reported(capsys):
    load_data(data_files={"train": FORMATS / "iob1.tsv", "validation": FORMATS / "bio.tsv"})
    assert "IOB1 read as BIO: 5 I- tag(s) that start an entity became B-" in capsys.readouterr().out


def test_bio_file_with_a_stray_i_tag_is_repaired_with_a_warning_not_read_as_iob1(write_conll):
    path = write_conll("a\tB-PER\nb\tO\nc\tI-LOC\n")
    with pytest.warns(UserWarning, match=r"1 I- tag\(s\) with no B- or I- of the same type .* \(lines 3\)"):
        sentences, report = read_conll(path)
    assert report.scheme == "BIO" and sentences[0][1] == ["B-PER", "O", "B-LOC"]


def test_a_token_with_spaces_is_kept_in_a_tab_separated_file(write_conll):
    sentences, _ = read_conll(write_conll("New York\tB-LOC\nis\tO\n"))
    assert sentences == [(["New York", "is"], ["B-LOC", "O"])]


def test_empty_token_lines_tagged_o_are_dropped_with_count_and_line_numbers(write_conll):
    path = write_conll("a\tO\n\tO\nb\tB-PER\n\n\tO\nc\tO\n")
    with pytest.warns(UserWarning, match=r"2 line\(s\) with an empty token and the tag O were dropped \(lines 2, 5\)"):
        sentences, report = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "B-PER"]), (["c"], ["O"])]
    assert report.dropped_empty_tokens == [2, 5]


def test_labels_are_discovered_over_all_splits(tmp_path):
    (tmp_path / "train.tsv").write_text("a\tB-PER\nb\tO\n")
    (tmp_path / "test.tsv").write_text("c\tB-ORG\nd\tI-ORG\n")
    dataset = load_data(data_files={"train": tmp_path / "train.tsv", "validation": tmp_path / "train.tsv",
                                    "test": tmp_path / "test.tsv"}, verbose=False)
    assert dataset["train"].features["ner_tags"].feature.names == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert discover_labels(["I-b", "O", "B-a"]) == ["O", "B-a", "I-a", "B-b", "I-b"]


def test_conll2003_sample_loads_with_per_loc_org_labels_in_three_splits():
    dataset = load_data(data_files={"train": CONLL2003 / "train.txt", "validation": CONLL2003 / "valid.txt",
                                    "test": CONLL2003 / "test.txt"}, verbose=False)
    assert list(dataset) == ["train", "validation", "test"]
    assert dataset["train"].features["ner_tags"].feature.names == PER_LOC_ORG


def test_missing_validation_becomes_a_seeded_tenth_of_train(capsys):
    files = {"train": CONLL2003 / "train.txt", "test": CONLL2003 / "test.txt"}
    dataset = load_data(data_files=files, seed=3)
    assert list(dataset) == ["train", "validation", "test"]
    assert (dataset["train"].num_rows, dataset["validation"].num_rows) == (36, 5)  # 41 sentences
    assert "No validation split: 5 of the 41 training sentences (10%, seed 3)" in capsys.readouterr().out
    again = load_data(data_files=files, seed=3, verbose=False)
    assert again["validation"]["tokens"] == dataset["validation"]["tokens"]
    other = load_data(data_files=files, seed=4, verbose=False)
    assert other["validation"]["tokens"] != dataset["validation"]["tokens"]
    assert not set(map(tuple, dataset["validation"]["tokens"])) & set(map(tuple, dataset["train"]["tokens"]))


def test_missing_test_means_validation_is_scored(capsys):
    dataset = load_data(data_files={"train": CONLL2003 / "train.txt", "validation": CONLL2003 / "valid.txt"})
    assert list(dataset) == ["train", "validation"] and evaluation_split(dataset) == "validation"
    assert "No test split: notebook 04 will score the validation split" in capsys.readouterr().out


def test_two_routes_at_once_is_an_error_naming_both_parameters(sample_dir):
    with pytest.raises(ValueError, match=r"Both data_dir and data_files are set: set only one"):
        load_data(data_dir=sample_dir, data_files={"train": FORMATS / "bio.tsv"})
    with pytest.raises(ValueError, match=r"Both data_files and dataset_name are set"):
        load_data(data_files={"train": FORMATS / "bio.tsv"}, dataset_name="eriktks/conll2003")
    with pytest.raises(ValueError, match=r"dataset_config='en' is set without dataset_name"):
        load_data(dataset_config="en")


@pytest.mark.parametrize(
    "data_files, message",
    [
        ("train.conll", r"data_files must map split names to CoNLL files"),
        ({"dev": "x"}, r"data_files has split name\(s\) \['dev'\]: use train, validation, test"),
        ({"test": str(FORMATS / "bio.tsv")}, r"data_files needs a 'train' file"),
        ({"train": "no/such/file.txt"}, r"data_files\['train'\]: no/such/file.txt is not a file"),
    ],
)
def test_data_files_mistakes_get_a_message_naming_the_parameter(data_files, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        load_data(data_files=data_files)


def test_wnut17_is_recognised_by_its_label_set(sample_dir):
    assert is_wnut17(load_data(data_dir=sample_dir)["train"].features["ner_tags"].feature.names)
    assert not is_wnut17(PER_LOC_ORG)


# --- Hub-style data sets: local copies stand in for the Hub (tests run offline).

def hub_like(names=PER_LOC_ORG) -> datasets.DatasetDict:
    """A conll2003-shaped data set: extra columns, ner_tags as ClassLabel sequences in the data set's own order."""
    features = datasets.Features({
        "id": datasets.Value("string"),
        "tokens": datasets.Sequence(datasets.Value("string")),
        "pos_tags": datasets.Sequence(datasets.Value("int32")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=list(names))),
    })
    rows = {"id": ["0", "1"], "tokens": [["Peter", "visited", "Paris"], ["Siemens", "AG"]],
            "pos_tags": [[1, 2, 1], [1, 1]], "ner_tags": [[5, 0, 1], [3, 4]]}
    return datasets.DatasetDict({s: datasets.Dataset.from_dict(rows, features=features) for s in ("train", "validation", "test")})


def test_hub_style_data_set_saved_to_disk_loads_through_dataset_name(tmp_path):
    hub_like().save_to_disk(tmp_path / "copy")
    dataset = load_data(dataset_name=str(tmp_path / "copy"))
    assert dataset["train"].column_names == ["id", "tokens", "ner_tags"]
    names = dataset["train"].features["ner_tags"].feature.names
    assert names == PER_LOC_ORG
    assert [names[t] for t in dataset["train"][0]["ner_tags"]] == ["B-PER", "O", "B-LOC"]


def test_hub_style_parquet_folder_loads_through_dataset_name_and_keeps_its_labels(tmp_path):
    order = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]  # conll2003's own order is kept: ids depend on it
    folder = tmp_path / "parquet"
    folder.mkdir()
    for split, ds in hub_like(order).items():
        ds.to_parquet(str(folder / f"{split}.parquet"))
    dataset = load_data(dataset_name=str(folder))
    assert list(dataset) == ["train", "validation", "test"]
    assert dataset["test"].features["ner_tags"].feature.names == order
    assert dataset["test"][1]["tokens"] == ["Siemens", "AG"]


def test_hub_style_data_set_without_validation_or_id_gets_both(tmp_path):
    copy = hub_like()
    copy = datasets.DatasetDict({"train": datasets.concatenate_datasets([copy["train"]] * 10).remove_columns("id")})
    copy.save_to_disk(tmp_path / "copy")
    dataset = load_data(dataset_name=str(tmp_path / "copy"), verbose=False)
    assert list(dataset) == ["train", "validation"]
    assert (dataset["train"].num_rows, dataset["validation"].num_rows) == (18, 2)
    assert dataset["train"].column_names == ["id", "tokens", "ner_tags"]


def test_hub_style_data_set_with_string_tags_gets_discovered_labels(tmp_path):
    rows = {"tokens": [["Peter", "visited", "Paris"]], "ner_tags": [["B-PER", "O", "B-LOC"]]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows), "validation": datasets.Dataset.from_dict(rows)}).save_to_disk(tmp_path / "c")
    dataset = load_hub_dataset(str(tmp_path / "c"))
    assert dataset["train"].features["ner_tags"].feature.names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_hub_style_data_set_without_the_columns_says_which_are_missing(tmp_path):
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"words": [["a"]], "labels": [[0]]})}).save_to_disk(tmp_path / "c")
    with pytest.raises(ValueError, match=r"no column\(s\) \['tokens', 'ner_tags'\] \(it has \['words', 'labels'\]\)"):
        load_data(dataset_name=str(tmp_path / "c"))


def test_hub_style_tags_without_names_are_an_error(tmp_path):
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"tokens": [["a"]], "ner_tags": [[0]]})}).save_to_disk(tmp_path / "c")
    with pytest.raises(ValueError, match=r"ner_tags holds .* without label names \(no ClassLabel\)"):
        load_data(dataset_name=str(tmp_path / "c"))


def test_hub_style_labels_that_are_not_bio_are_an_error(tmp_path):
    hub_like(["O", "LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]).save_to_disk(tmp_path / "c")
    with pytest.raises(ValueError, match=r"label names \['LOC'\] are not BIO"):
        load_data(dataset_name=str(tmp_path / "c"))


def test_unreachable_hub_data_set_names_the_offline_routes():
    # conftest sets HF_DATASETS_OFFLINE=1: the Hub cannot be reached.
    with pytest.raises(HubUnreachableError, match=r"Could not load the data set no-such-user/no-such-ner \(en\).*data_files"):
        load_data(dataset_name="no-such-user/no-such-ner", dataset_config="en")


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


def test_a_train_split_too_small_to_split_says_so(write_conll):
    with pytest.raises(ValueError, match=r"The train split holds 1 sentence\(s\): too few to set aside a validation split"):
        load_data(data_files={"train": write_conll("a\tB-PER\n")})


def test_a_checkpoint_with_a_head_for_other_labels_gets_a_new_head(tiny_model_dir):
    from ner_helpers.models import load_token_classifier

    model = load_token_classifier(str(tiny_model_dir), PER_LOC_ORG)  # the tiny model's head has WNUT 17's 13 labels
    assert model.classifier.out_features == 7 and model.config.id2label[5] == "B-PER"


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


@pytest.mark.parametrize("splits, expected", [
    (("train", "validation", "test"), "test"), (("train", "validation"), "validation"), (("test",), "test"),
])
def test_notebook_04_scores_test_when_there_is_one(splits, expected):
    from ner_helpers.data import evaluation_split

    assert evaluation_split({split: None for split in splits}) == expected


def test_line_numbers_show_the_first_five_and_mark_more():
    from ner_helpers.conll import _line_numbers

    assert _line_numbers([3, 9, 12, 20, 31]) == "3, 9, 12, 20, 31"
    assert _line_numbers([3, 9, 12, 20, 31, 40]) == "3, 9, 12, 20, 31 ..."


def test_report_summary_names_each_repair_and_conversion_with_its_count():
    from ner_helpers.conll import ConllReport

    clean = ConllReport("a.tsv", sentences=3, tokens=12, columns=2, separator="tab")
    assert clean.summary() == "a.tsv: 3 sentences, 12 tokens (2 tab-separated columns, tags BIO)"
    repaired = ConllReport("b.txt", sentences=2, tokens=9, columns=4, separator="space", docstarts=1,
                           repaired_orphan_i=[4, 9], dropped_empty_tokens=[7])
    assert repaired.summary() == (
        "b.txt: 2 sentences, 9 tokens (4 space-separated columns, tags BIO); 1 -DOCSTART- line(s) skipped; "
        "2 I- tag(s) with nothing to continue read as B-; 1 empty-token line(s) dropped"
    )
    bioes = ConllReport("c.tsv", sentences=1, tokens=3, columns=2, scheme="BIOES", converted=2)
    assert bioes.summary() == (
        "c.tsv: 1 sentences, 3 tokens (2 tab-separated columns, tags BIOES); "
        "BIOES read as BIO: 2 tag(s) converted (S-/U- to B-, E-/L- to I-)"
    )


@pytest.mark.parametrize("data_files, message", [
    ("train.conll", 'data_files must map split names to CoNLL files, e.g. {"train": "train.conll", "validation": '
                    '"dev.conll", "test": "test.conll"}; got \'train.conll\'. (With make run: DATA_FILES=path/to/files.yaml, '
                    'a YAML file of that mapping.)'),
    ({"test": "t.conll"}, 'data_files needs a \'train\' file (validation and test are optional), e.g. {"train": '
                          '"train.conll", "validation": "dev.conll", "test": "test.conll"}.'),
])
def test_data_files_errors_show_a_whole_example(data_files, message):
    from ner_helpers.data import check_data_files

    with pytest.raises(ValueError) as error:
        check_data_files(data_files)
    assert str(error.value) == message


def test_a_label_name_needs_a_type_after_its_prefix():
    from ner_helpers.data import _bio_label_names

    _bio_label_names(["O", "B-X", "I-X", "B-LOC"], "here")  # one-letter types are types
    with pytest.raises(ValueError) as error:
        _bio_label_names(["O", "B-", "I-X"], "here")
    assert str(error.value) == "here: label names ['B-'] are not BIO (O, B-<type>, I-<type>); the notebooks need BIO tags."
