"""Loading WNUT 17 and CoNLL files: routes, features, labels and malformed input."""
from __future__ import annotations

import datasets
import pytest

from ner_helpers.conll import discover_labels, load_conll, read_conll
from ner_helpers.data import WNUT17_FILES, WNUT17_LABELS, cast_to_wnut17_features, load_wnut17
from ner_helpers.errors import ConllFormatError, HubUnreachableError


def test_labels_follow_the_hub_classlabel_order():
    assert WNUT17_LABELS[0] == "O"
    assert len(WNUT17_LABELS) == 13
    types = ["corporation", "creative-work", "group", "location", "person", "product"]
    assert WNUT17_LABELS[1:] == [f"{p}-{t}" for t in types for p in ("B", "I")]


def test_folder_route_gives_three_splits_with_classlabel_features(sample_dir):
    dataset = load_wnut17(sample_dir)
    assert list(dataset) == ["train", "validation", "test"]
    assert dataset["train"].column_names == ["id", "tokens", "ner_tags"]
    assert dataset["train"].features["ner_tags"].feature.names == WNUT17_LABELS
    assert dataset["train"][0]["id"] == "0"


def test_folder_route_keeps_tokens_and_tags_exactly(sample_dir):
    dataset = load_wnut17(sample_dir)
    names = dataset["train"].features["ner_tags"].feature.names
    sentences, _ = read_conll(sample_dir / WNUT17_FILES["train"])
    assert len(sentences) == dataset["train"].num_rows
    for (tokens, tags), example in zip(sentences, dataset["train"]):
        assert example["tokens"] == tokens
        assert [names[i] for i in example["ner_tags"]] == tags


def test_sample_covers_every_entity_type_and_multiword_entities(sample_dir):
    tags = {t for tokens, tags in read_conll(sample_dir / "wnut17train.conll")[0] for t in tags}
    assert tags == set(WNUT17_LABELS)


def test_hub_route_casting_matches_folder_route(sample_dir, tmp_path):
    # The Hub's Parquet copy may carry ner_tags as plain integers; casting must restore the ClassLabel.
    folder = load_wnut17(sample_dir)
    files = {}
    for split, ds in folder.items():
        plain = ds.cast_column("ner_tags", datasets.Sequence(datasets.Value("int64")))
        files[split] = str(tmp_path / f"{split}.parquet")
        plain.to_parquet(files[split])
    parquet = datasets.load_dataset("parquet", data_files=files)
    assert parquet["train"].features["ner_tags"].feature == datasets.Value("int64")
    hub_like = cast_to_wnut17_features(parquet)
    for split in folder:
        assert hub_like[split].features == folder[split].features
        assert hub_like[split].to_list() == folder[split].to_list()


def test_hub_unreachable_error_names_the_offline_route(monkeypatch):
    def no_network(*args, **kwargs):
        raise ConnectionError("Couldn't reach the Hub")

    monkeypatch.setattr(datasets, "load_dataset", no_network)
    with pytest.raises(HubUnreachableError, match="data_dir"):
        load_wnut17()


def test_hub_route_fails_clearly_in_offline_mode():
    # conftest sets HF_HUB_OFFLINE=1 / HF_DATASETS_OFFLINE=1, as on a machine without network.
    with pytest.raises(HubUnreachableError, match="DATA_DIR"):
        load_wnut17()


def test_discovered_labels_put_o_first_then_types_sorted_b_before_i():
    assert discover_labels(["I-zeta", "O", "B-alpha", "B-zeta"]) == ["O", "B-alpha", "I-alpha", "B-zeta", "I-zeta"]


def test_bring_your_own_data_discovers_labels(write_conll):
    path = write_conll("Ada\tB-PER\nLovelace\tI-PER\nwrote\tO\n\nin\tO\nLondon\tB-LOC\n")
    dataset = load_conll({"train": path})
    assert dataset["train"].features["ner_tags"].feature.names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert dataset["train"][0]["tokens"] == ["Ada", "Lovelace", "wrote"]


def test_a_tab_only_line_separates_sentences_as_in_wnut17_train(write_conll):
    path = write_conll("a\tO\nb\tO\n\t\nc\tB-person\n")
    sentences, report = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "O"]), (["c"], ["B-person"])]
    assert (report.sentences, report.tokens) == (2, 3)


def test_windows_line_endings_and_repeated_blank_lines_are_accepted(write_conll):
    path = write_conll("\r\n\r\na\tO\r\nb\tB-group\r\n\r\n\r\n\r\nc\tO\r\n\r\n\r\n")
    sentences, _ = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "B-group"]), (["c"], ["O"])]


@pytest.mark.parametrize("content, message", [
    ("a\tO\nb O\n", r"data\.conll, line 2: expected 2 tab-separated columns as on line 1"),  # a tab file: a space-separated line breaks it
    ("a\tO\n\nb\tO\tX\n", r"line 3: expected 2 tab-separated columns as on line 1 .*found 3"),
    ("a\tO\nb\t\n", r"line 2: empty tag"),
    ("a\tO\nb\tPERSON\n", r"line 2: tag 'PERSON' is not BIO"),
    ("a\tO\n\tB-PER\n", r"data\.conll, line 2: empty token with the entity tag 'B-PER'"),
    ("a O\nb\n", r"line 2: expected 2 space-separated columns as on line 1 .*found 1"),
    ("lonely\n", r"line 1: expected a token and a tag separated by a tab or spaces"),
], ids=["space-line-in-tab-file", "three-columns", "empty-tag", "tag-not-bio", "empty-token-with-entity-tag",
        "one-column", "one-column-first-line"])
def test_malformed_line_names_file_and_line(write_conll, content, message):
    with pytest.raises(ConllFormatError, match=message):
        read_conll(write_conll(content))


def test_unknown_label_names_file_line_and_label_set(write_conll):
    path = write_conll("a\tO\n\nb\tB-animal\n")
    with pytest.raises(ConllFormatError, match=r"line 3: tag 'B-animal' is not in the label set"):
        load_conll({"train": path}, label_names=WNUT17_LABELS)


def test_orphan_i_tag_is_repaired_to_b_with_a_warning(write_conll):
    path = write_conll("a\tO\nb\tI-person\nc\tI-person\nd\tB-group\ne\tI-location\n")
    with pytest.warns(UserWarning, match=r"2 I- tag\(s\).*lines 2, 5"):
        sentences, report = read_conll(path)
    assert sentences[0][1] == ["O", "B-person", "I-person", "B-group", "B-location"]
    assert report.repaired_orphan_i == [2, 5]


def test_empty_file_is_an_error(write_conll):
    with pytest.raises(ConllFormatError, match="holds no sentences"):
        read_conll(write_conll("\n\n"))


def test_non_utf8_bytes_name_file_and_line(write_conll):
    path = write_conll(b"a\tO\nb\xe9\tO\n")
    with pytest.raises(ConllFormatError, match=r"line 2: bytes that are not UTF-8"):
        read_conll(path)


def test_missing_folder_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*data_dir=None"):
        load_wnut17(tmp_path / "nowhere")


def test_missing_split_file_is_named(sample_dir, tmp_path):
    for name in ("wnut17train.conll", "emerging.dev.conll"):
        (tmp_path / name).write_bytes((sample_dir / name).read_bytes())
    with pytest.raises(FileNotFoundError, match="lacks emerging.test.annotated"):
        load_wnut17(tmp_path)
