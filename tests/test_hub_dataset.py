"""load_hub_dataset and load_data's choices, with a stand-in for `datasets.load_dataset` (no Hub needed):
the Parquet retry for script data sets, the error that names the offline routes, local copies, splits and
columns, and what `verbose=False` keeps quiet. Also the offline switch and the CJK ranges of the word splitter."""
from __future__ import annotations

import datasets
import pytest

from ner_helpers import data
from ner_helpers.data import HUB_PARQUET_REVISION, complete_splits, load_data, load_hub_dataset
from ner_helpers.errors import HubUnreachableError
from test_recipe import warning_caller

PER = ["O", "B-PER", "I-PER"]
OFFLINE_ROUTES = (
    "Check its name (and dataset_config) on huggingface.co/datasets; to work offline, pass a local copy as "
    "dataset_name (a folder written by save_to_disk, or one with Parquet files), or CoNLL files as data_files."
)


def hub_split(rows: int = 2, ids: list[str] | None = None) -> datasets.Dataset:
    columns = {"tokens": [["Peter", "said"]] * rows, "ner_tags": [[1, 0]] * rows}
    features = {"tokens": datasets.Sequence(datasets.Value("string")), "ner_tags": datasets.Sequence(datasets.ClassLabel(names=PER))}
    if ids is not None:
        columns["id"], features["id"] = ids, datasets.Value("string")
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


@pytest.fixture()
def hub(monkeypatch):
    """A stand-in Hub: `answers` are returned (or raised) in order; `calls` records each request."""

    class Hub:
        calls: list[tuple[tuple, dict]] = []
        answers: list = []

        def load_dataset(self, *args, **kwargs):
            self.calls.append((args, kwargs))
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    stand_in = Hub()
    stand_in.calls, stand_in.answers = [], []
    monkeypatch.setattr(datasets, "load_dataset", stand_in.load_dataset)
    return stand_in


def test_a_script_data_set_is_read_from_the_parquet_conversion(hub):
    hub.answers = [RuntimeError("Dataset scripts are no longer supported, but found ner.py"),
                   datasets.DatasetDict({"train": hub_split()})]
    dataset = load_hub_dataset("someone/ner", "en")
    assert hub.calls == [(("someone/ner", "en"), {}), (("someone/ner", "en"), {"revision": HUB_PARQUET_REVISION})]
    assert dataset["train"].features["ner_tags"].feature.names == PER


@pytest.mark.parametrize("config, where", [("en", "someone/ner (en)"), (None, "someone/ner")])
def test_another_hub_error_is_not_retried_and_names_the_offline_routes(hub, config, where):
    hub.answers = [ConnectionError("no network")]
    with pytest.raises(HubUnreachableError) as error:
        load_hub_dataset("someone/ner", config)
    assert len(hub.calls) == 1
    assert str(error.value) == f"Could not load the data set {where} (ConnectionError: no network). " + OFFLINE_ROUTES


def test_a_single_split_becomes_train_and_gets_ids(hub):
    hub.answers = [hub_split(rows=3)]
    dataset = load_hub_dataset("someone/ner")
    assert list(dataset) == ["train"] and dataset["train"]["id"] == ["0", "1", "2"]


def test_ids_the_data_set_has_are_kept(hub):
    hub.answers = [datasets.DatasetDict({"train": hub_split(ids=["a7", "b9"])})]
    assert load_hub_dataset("someone/ner")["train"]["id"] == ["a7", "b9"]


@pytest.mark.parametrize("saved", ["dataset_dict", "dataset"])
def test_a_local_copy_is_read_from_disk_without_the_hub(hub, tmp_path, saved):
    hub.answers = [AssertionError("the Hub was asked for a local copy")]
    if saved == "dataset_dict":  # dataset_dict.json
        datasets.DatasetDict({"train": hub_split(), "test": hub_split(rows=1)}).save_to_disk(tmp_path / "copy")
    else:  # one Dataset: dataset_info.json only
        hub_split(rows=3).save_to_disk(tmp_path / "copy")
    dataset = load_hub_dataset(str(tmp_path / "copy"))
    assert hub.calls == []
    assert {split: dataset[split].num_rows for split in dataset} == ({"train": 2, "test": 1} if saved == "dataset_dict" else {"train": 3})


@pytest.mark.parametrize("splits", [["train", "dev"], ["validation"]])
def test_splits_the_notebooks_cannot_use_are_named(hub, splits):
    hub.answers = [datasets.DatasetDict({split: hub_split() for split in splits})]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner", "en")
    assert str(error.value) == (
        f"someone/ner (en): splits {splits}; the notebooks need train (and optionally validation, test)."
    )


def test_missing_columns_and_unnamed_tags_say_how_to_fix_them(hub):
    hub.answers = [hub_split().rename_column("tokens", "words")]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner")
    assert str(error.value) == (
        "someone/ner: no column(s) ['tokens'] (it has ['words', 'ner_tags']). The notebooks need `tokens` (lists of "
        "words) and `ner_tags` (lists of tags): rename the columns with DatasetDict.rename_column and save a copy."
    )
    hub.answers = [hub_split().cast_column("ner_tags", datasets.Sequence(datasets.Value("int64")))]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner")
    assert str(error.value).startswith("someone/ner: ner_tags holds ")
    assert str(error.value).endswith(
        " without label names (no ClassLabel), so the tags cannot be read. Cast it to a Sequence of "
        "ClassLabel(names=[...]) and save a copy."
    )


def test_labels_that_are_not_bio_are_named_with_the_data_set(hub):
    split = hub_split().cast_column("ner_tags", datasets.Sequence(datasets.ClassLabel(names=["O", "PER", "I-PER"])))
    hub.answers = [split]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner", "en")
    assert str(error.value) == (
        "someone/ner (en): label names ['PER'] are not BIO (O, B-<type>, I-<type>); the notebooks need BIO tags."
    )


def test_two_routes_at_once_are_refused_whole(tmp_path):
    with pytest.raises(ValueError) as error:
        load_data(data_dir=str(tmp_path), dataset_name="someone/ner")
    assert str(error.value) == (
        "Both data_dir and dataset_name are set: set only one (data_dir for WNUT 17's folder, data_files "
        "for your CoNLL files, dataset_name for a Hub data set), and leave the others None."
    )


def test_verbose_false_prints_nothing_even_when_splits_are_made(write_conll, capsys):
    train = write_conll("".join(f"w{i}\tO\n\n" for i in range(20)))
    dataset = load_data(data_files={"train": train}, verbose=False)
    assert list(dataset) == ["train", "validation"] and capsys.readouterr().out == ""
    load_data(data_files={"train": train})
    printed = capsys.readouterr().out
    assert "No validation split: 2 of the 20 training sentences (10%, seed 42)" in printed
    assert printed.rstrip().endswith(
        "No test split: notebook 04 will score the validation split (and say so in its tables and plots)."
    )


def test_the_default_seed_is_42_and_two_sentences_are_enough(capsys):
    train = datasets.Dataset.from_dict({"tokens": [[f"w{i}"] for i in range(30)]})
    default = complete_splits(datasets.DatasetDict({"train": train}))
    seeded = complete_splits(datasets.DatasetDict({"train": train}), seed=42)
    assert default["validation"]["tokens"] == seeded["validation"]["tokens"]
    two = complete_splits(datasets.DatasetDict({"train": train.select([0, 1])}), say=lambda *_: None)
    assert (two["train"].num_rows, two["validation"].num_rows) == (1, 1)


def test_a_test_split_is_not_reported_missing(capsys):
    split = datasets.Dataset.from_dict({"tokens": [["a"]]})
    complete_splits(datasets.DatasetDict({"train": split, "validation": split, "test": split}))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"])
@pytest.mark.parametrize("value, offline", [
    ("1", True), ("ON", True), ("on", True), ("yes", True), ("YES", True), ("true", True), ("TRUE", True),
    ("0", False), ("", False), ("off", False), ("no", False),
])
def test_either_variable_switches_offline_mode(monkeypatch, variable, value, offline):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv(variable, value)
    assert data._offline_mode() is offline


@pytest.mark.parametrize("first, last", [
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
])
def test_cjk_ranges_hold_their_ends_and_nothing_beside_them(first, last):
    from ner_helpers.inference import _is_cjk

    assert _is_cjk(chr(first)) and _is_cjk(chr(last)) and _is_cjk(chr((first + last) // 2))
    assert not _is_cjk(chr(first - 1)) and not _is_cjk(chr(last + 1))


@pytest.mark.parametrize("content, scheme", [
    ("Paris\tS-LOC\nis\tO\n", "BIOES"),  # single-word entities only: no E-
    ("New\tB-LOC\nYork\tE-LOC\n", "BIOES"),  # no S-
    ("Paris\tU-LOC\nis\tO\n", "BILOU"),
    ("New\tB-LOC\nYork\tL-LOC\n", "BILOU"),
])
def test_either_mark_of_a_scheme_names_it(write_conll, content, scheme):
    from ner_helpers.conll import read_conll

    sentences, report = read_conll(write_conll(content))
    assert report.scheme == scheme and sentences[0][1][0] == "B-LOC"


def test_wnut17_folder_errors_name_every_file(tmp_path):
    from ner_helpers.data import wnut17_files

    with pytest.raises(FileNotFoundError) as error:
        wnut17_files(tmp_path / "none")
    assert str(error.value) == (
        f"Data folder {tmp_path / 'none'} does not exist. Pass the folder that holds wnut17train.conll, "
        "emerging.dev.conll, emerging.test.annotated, or data_dir=None to download WNUT 17 from the Hub."
    )
    (tmp_path / "wnut17train.conll").write_text("")
    with pytest.raises(FileNotFoundError) as error:
        wnut17_files(tmp_path)
    assert str(error.value) == (
        f"Data folder {tmp_path} lacks emerging.dev.conll, emerging.test.annotated. WNUT 17 needs "
        "wnut17train.conll (train), emerging.dev.conll (validation), emerging.test.annotated (test)."
    )


def test_a_wnut17_folder_keeps_the_13_labels_even_when_some_never_occur(tmp_path):
    from ner_helpers.data import WNUT17_FILES, WNUT17_LABELS, load_wnut17

    for name in WNUT17_FILES.values():
        (tmp_path / name).write_text("Maria\tB-person\nsaid\tO\n")
    assert load_wnut17(tmp_path)["test"].features["ner_tags"].feature.names == WNUT17_LABELS


def test_wnut17_from_the_hub_asks_for_the_parquet_conversion_and_gets_its_labels(hub, monkeypatch):
    from ner_helpers.data import HUB_DATASET, WNUT17_LABELS, load_wnut17

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    plain = datasets.Dataset.from_dict({"id": ["0"], "tokens": [["Maria"]], "ner_tags": [[WNUT17_LABELS.index("B-person")]]})
    hub.answers = [datasets.DatasetDict({"train": plain, "validation": plain, "test": plain})]
    dataset = load_wnut17()
    assert hub.calls == [((HUB_DATASET,), {"revision": HUB_PARQUET_REVISION})]
    assert dataset["train"].features["ner_tags"].feature.names == WNUT17_LABELS


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


def read(path):
    from ner_helpers.conll import read_conll

    return read_conll(path)


def conll_error(path, **options) -> str:
    from ner_helpers.conll import read_conll
    from ner_helpers.errors import ConllFormatError

    with pytest.raises(ConllFormatError) as error:
        read_conll(path, **options)
    return str(error.value)


def test_reader_errors_name_the_file_the_line_and_the_fix(write_conll, tmp_path):
    assert conll_error(tmp_path / "none.conll") == f"{tmp_path / 'none.conll'}: file not found."
    path = write_conll(b"ok\tO\n\xff\xfe\xfd\xfc\xfb\tO\n")
    assert conll_error(path) == (
        f"{path}, line 2: bytes that are not UTF-8 (b'\\xff\\xfe\\xfd\\xfc'). Save the file as UTF-8 and try again."
    )
    path = write_conll("Paris\tB-LOC\n\tI-LOC\n")
    assert conll_error(path) == (
        f"{path}, line 2: empty token with the entity tag 'I-LOC' in '\\tI-LOC'. "
        "Write the entity's word in the first column, or remove the line."
    )
    path = write_conll("Paris\tB-LOC\n")
    assert conll_error(path, label_names=["O", "B-PER", "I-PER"]) == (
        f"{path}, line 1: tag 'B-LOC' is not in the label set ['O', 'B-PER', 'I-PER']. "
        "Fix the tag, or load with label_names=None to discover the labels from the data."
    )


@pytest.mark.parametrize("tag", ["PERSON", "B-", "Q-PER", "X-PER", "BPER"])
def test_tags_that_are_no_scheme_are_refused(write_conll, tag):
    path = write_conll(f"Paris\t{tag}\n")
    assert conll_error(path) == (
        f"{path}, line 1: tag {tag!r} is not BIO (expected O, B-<type> or I-<type>; "
        "IOB1, BIOES and BILOU tags are converted too)."
    )


def test_one_letter_types_are_types(write_conll):
    sentences, report = read(write_conll("Paris\tB-X\nis\tO\n"))
    assert sentences == [(["Paris", "is"], ["B-X", "O"])] and report.path.endswith("data.conll")


def test_reader_warnings_point_at_the_callers_line(write_conll):
    import ner_helpers.data

    path = write_conll("Paris\tI-LOC\n\n\tO\nok\tB-PER\n")  # an orphan I- (in a BIO file) and an empty token
    with pytest.warns(UserWarning) as record:
        read(path)
    caller = warning_caller(ner_helpers.data, __file__)
    assert len(record) == 2 and all(w.filename.endswith(caller) for w in record)
