"""Loading data (ner_helpers/data.py): WNUT 17's routes (a folder, the Hub's Parquet conversion, the original files
from GitHub when the Hub fails), load_data's routes for your own data (CoNLL files as data_files, a Hub data set or
its local copy as dataset_name) with their checks, and the splits the notebooks get. A stand-in replaces
`datasets.load_dataset` and a fake transport the network: no test reaches the Hub or GitHub."""
from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from ner_helpers import data, download
from ner_helpers.conll import discover_labels, read_conll
from ner_helpers.data import (
    HUB_PARQUET_REVISION, WNUT17_FILES, WNUT17_LABELS, cast_to_wnut17_features, complete_splits, evaluation_split,
    is_wnut17, load_data, load_hub_dataset, load_wnut17,
)
from ner_helpers.errors import HubUnreachableError, ParameterError
from support import serve

TESTS_DIR = Path(__file__).parent
FORMATS = TESTS_DIR / "data" / "formats"
CONLL2003 = TESTS_DIR / "data" / "sample_conll2003"
PER_LOC_ORG = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


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


def test_wnut17_folder_errors_name_every_file(tmp_path):
    from ner_helpers.data import wnut17_files

    with pytest.raises(FileNotFoundError) as error:
        wnut17_files(tmp_path / "none")
    message = str(error.value)
    assert str(tmp_path / "none") in message and "data_dir=None" in message  # the folder, and the way out
    assert all(name in message for name in WNUT17_FILES.values())  # what the folder must hold
    (tmp_path / "wnut17train.conll").write_text("")
    with pytest.raises(FileNotFoundError) as error:
        wnut17_files(tmp_path)
    # The missing files come first, before the list of all three that starts with the one present.
    named_missing = str(error.value).split("wnut17train.conll")[0]
    assert "emerging.dev.conll" in named_missing and "emerging.test.annotated" in named_missing


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


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"])
@pytest.mark.parametrize("value, offline", [
    ("1", True), ("ON", True), ("on", True), ("yes", True), ("YES", True), ("true", True), ("TRUE", True),
    ("0", False), ("", False), ("off", False), ("no", False),
])
def test_either_variable_switches_offline_mode_for_data_the_hub_variable_for_the_hub(monkeypatch, variable, value, offline):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv(variable, value)
    assert data.offline_mode(datasets=True) is offline
    assert data.offline_mode() is (offline and variable == "HF_HUB_OFFLINE")  # HF_DATASETS_OFFLINE leaves the Hub on


def test_the_runners_hub_check_answers_offline_without_asking_the_network(monkeypatch):
    import requests

    from repo_tools.hub import hub_reachable

    monkeypatch.setattr(requests, "head", lambda *a, **kw: pytest.fail("the network was asked in offline mode"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "yes")
    assert hub_reachable() is False


# --- WNUT 17 when the Hub fails (not offline): the original files from GitHub (conftest's online, support.serve).

def test_hub_failure_falls_back_to_the_github_files(online, monkeypatch, sample_dir, capsys):
    transport = serve(monkeypatch, sample_dir)
    dataset = load_wnut17()
    expected = load_wnut17(sample_dir)
    for split in expected:
        assert dataset[split].features == expected[split].features
        assert dataset[split].to_list() == expected[split].to_list()
    assert sorted(url.rsplit("/", 1)[-1] for url in transport.urls) == sorted(WNUT17_FILES.values())
    assert all(url.startswith(f"https://raw.githubusercontent.com/leondz/emerging_entities_17/{download.COMMIT}/") for url in transport.urls)
    note = capsys.readouterr().out
    assert "from the Hub failed (FileNotFoundError" in note and "github.com/leondz/emerging_entities_17" in note
    assert sorted(p.name for p in (online / "wnut17-conll").rglob("*") if p.is_file()) == sorted(WNUT17_FILES.values())


def test_offline_mode_does_not_try_github(monkeypatch):
    # conftest sets HF_HUB_OFFLINE=1: the user asked for no network, so only the Hub error is reported.
    monkeypatch.setattr(download, "http_get", lambda url: pytest.fail("GitHub was tried in offline mode"))
    with pytest.raises(HubUnreachableError, match="DATA_DIR"):
        load_wnut17()


def test_both_routes_failing_names_both_and_the_offline_route(online, monkeypatch):
    def no_network(url):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(download, "http_get", no_network)
    with pytest.raises(HubUnreachableError) as error:
        load_wnut17()
    message = str(error.value)  # both routes named with what went wrong, then the offline route
    assert data.HUB_DATASET in message and download.REPOSITORY in message and "Name or service not known" in message
    assert "data_dir=" in message


def test_the_fallback_keeps_wnut17s_labels_and_says_what_failed_in_one_line(online, monkeypatch, tmp_path, capsys):
    from ner_helpers.data import HUB_DATASET, WNUT17_LABELS

    # Files with only person entities: the label set must still be WNUT 17's 13, in its order, not discovered.
    folder = tmp_path / "served"
    folder.mkdir()
    for name in WNUT17_FILES.values():
        (folder / name).write_text("Maria\tB-person\nsaid\tO\n\nhi\tO\n")
    long_reason = "no such revision " + "x" * 300

    def hub_fails(*args, **kwargs):
        raise FileNotFoundError(long_reason)

    monkeypatch.setattr(datasets, "load_dataset", hub_fails)
    serve(monkeypatch, folder)
    dataset = load_wnut17()
    assert dataset["train"].features["ner_tags"].feature.names == WNUT17_LABELS
    assert dataset["train"]["ner_tags"][0] == [WNUT17_LABELS.index("B-person"), 0]
    hub_error = f"FileNotFoundError: {long_reason}"
    assert capsys.readouterr().out.splitlines()[0] == (
        f"Loading {HUB_DATASET} from the Hub failed ({hub_error[:200]}); "
        f"trying the original files from github.com/{download.REPOSITORY} (commit {download.COMMIT[:7]})."
    )


# --- load_data: your CoNLL files (data_files), the splits the notebooks get, one route at a time.

def test_conll2003_sample_loads_with_per_loc_org_labels_in_three_splits():
    dataset = load_data(data_files={"train": CONLL2003 / "train.txt", "validation": CONLL2003 / "valid.txt",
                                    "test": CONLL2003 / "test.txt"}, verbose=False)
    assert list(dataset) == ["train", "validation", "test"]
    assert dataset["train"].features["ner_tags"].feature.names == PER_LOC_ORG


def test_labels_are_discovered_over_all_splits(tmp_path):
    (tmp_path / "train.tsv").write_text("a\tB-PER\nb\tO\n")
    (tmp_path / "test.tsv").write_text("c\tB-ORG\nd\tI-ORG\n")
    dataset = load_data(data_files={"train": tmp_path / "train.tsv", "validation": tmp_path / "train.tsv",
                                    "test": tmp_path / "test.tsv"}, verbose=False)
    assert dataset["train"].features["ner_tags"].feature.names == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert discover_labels(["I-b", "O", "B-a"]) == ["O", "B-a", "I-a", "B-b", "I-b"]


def test_iob1_conversion_count_is_reported(capsys):
    load_data(data_files={"train": FORMATS / "iob1.tsv", "validation": FORMATS / "bio.tsv"})
    assert "IOB1 read as BIO: 5 I- tag(s) that start an entity became B-" in capsys.readouterr().out


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


@pytest.mark.parametrize("splits, expected", [
    (("train", "validation", "test"), "test"), (("train", "validation"), "validation"), (("test",), "test"),
])
def test_notebook_04_scores_test_when_there_is_one(splits, expected):
    from ner_helpers.data import evaluation_split

    assert evaluation_split({split: None for split in splits}) == expected


def test_a_train_split_too_small_to_split_says_so(write_conll):
    with pytest.raises(ValueError, match=r"\b1 sentence"):  # the count the user has
        load_data(data_files={"train": write_conll("a\tB-PER\n")})


def test_verbose_false_prints_nothing_even_when_splits_are_made(write_conll, capsys):
    train = write_conll("".join(f"w{i}\tO\n\n" for i in range(20)))
    dataset = load_data(data_files={"train": train}, verbose=False)
    assert list(dataset) == ["train", "validation"] and capsys.readouterr().out == ""
    load_data(data_files={"train": train})
    printed = capsys.readouterr().out
    validation_note, test_note = printed.strip().splitlines()[-2:]
    assert all(fact in validation_note for fact in ("2 of the 20", "10%", "seed 42"))  # set aside, of, share, seed
    assert "notebook 04" in test_note and "validation" in test_note  # what will be scored instead


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


def test_two_routes_at_once_are_refused_whole(tmp_path):
    with pytest.raises(ParameterError) as error:
        load_data(data_dir=str(tmp_path), dataset_name="someone/ner")
    assert error.value.parameters == ["data_dir", "dataset_name"]
    assert all(f"{route} for" in str(error.value) for route in ("data_dir", "data_files", "dataset_name"))  # each route's use


def test_two_routes_at_once_is_an_error_naming_both_parameters(sample_dir):
    with pytest.raises(ParameterError) as error:
        load_data(data_dir=sample_dir, data_files={"train": FORMATS / "bio.tsv"})
    assert error.value.parameters == ["data_dir", "data_files"]
    with pytest.raises(ParameterError) as error:
        load_data(data_files={"train": FORMATS / "bio.tsv"}, dataset_name="eriktks/conll2003")
    assert error.value.parameters == ["data_files", "dataset_name"]
    with pytest.raises(ParameterError) as error:
        load_data(dataset_config="en")
    assert error.value.parameters == ["dataset_config", "dataset_name"]


@pytest.mark.parametrize(
    "data_files, error, facts",
    [
        ("train.conll", ParameterError, ["'train.conll'"]),  # what was given
        ({"dev": "x"}, ParameterError, ["['dev']", "train, validation, test"]),  # the split refused, those accepted
        ({"test": str(FORMATS / "bio.tsv")}, ParameterError, ["'train'"]),  # the split missing
        ({"train": "no/such/file.txt"}, FileNotFoundError, ["['train']", "no/such/file.txt"]),  # the split, the path
    ],
)
def test_data_files_mistakes_get_a_message_naming_the_parameter(data_files, error, facts):
    with pytest.raises(error) as failure:
        load_data(data_files=data_files)
    assert "data_files" in str(failure.value) and all(fact in str(failure.value) for fact in facts)
    assert getattr(failure.value, "parameters", ["data_files"]) == ["data_files"]


@pytest.mark.parametrize("data_files", ["train.conll", {"test": "t.conll"}])
def test_data_files_errors_show_a_whole_example(data_files):
    """The example in the message is a mapping `check_data_files` accepts, split for split."""
    import ast
    import re

    from ner_helpers.data import SPLITS, check_data_files

    with pytest.raises(ParameterError) as error:
        check_data_files(data_files)
    example = ast.literal_eval(re.search(r"\{.*?\}", str(error.value)).group())
    assert list(example) == list(SPLITS)


def test_wnut17_is_recognised_by_its_label_set(sample_dir):
    assert is_wnut17(load_data(data_dir=sample_dir)["train"].features["ner_tags"].feature.names)
    assert not is_wnut17(PER_LOC_ORG)


def test_a_label_name_needs_a_type_after_its_prefix():
    from ner_helpers.data import _bio_label_names

    _bio_label_names(["O", "B-X", "I-X", "B-LOC"], "here")  # one-letter types are types
    with pytest.raises(ValueError) as error:
        _bio_label_names(["O", "B-", "I-X"], "here")
    assert str(error.value).startswith("here: ") and "['B-']" in str(error.value)  # where, and only the bad name


# --- load_hub_dataset (dataset_name): a stand-in for `datasets.load_dataset`, and local copies written at test time.

PER = ["O", "B-PER", "I-PER"]
OFFLINE_ROUTES = ("huggingface.co/datasets", "dataset_name", "save_to_disk", "Parquet", "data_files")  # the ways out


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
    message = str(error.value)
    assert where in message and "ConnectionError: no network" in message  # which data set, and why
    assert all(route in message for route in OFFLINE_ROUTES)


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
    assert str(error.value).startswith("someone/ner (en): ") and str(splits) in str(error.value)


def test_missing_columns_and_unnamed_tags_say_how_to_fix_them(hub):
    hub.answers = [hub_split().rename_column("tokens", "words")]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner")
    message = str(error.value)  # the columns missing, those there, and the fix
    assert "['tokens']" in message and "['words', 'ner_tags']" in message and "rename_column" in message
    hub.answers = [hub_split().cast_column("ner_tags", datasets.Sequence(datasets.Value("int64")))]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner")
    message = str(error.value)  # the data set, the feature found, and the fix
    assert message.startswith("someone/ner: ") and "int64" in message and "ClassLabel(names=" in message


def test_labels_that_are_not_bio_are_named_with_the_data_set(hub):
    split = hub_split().cast_column("ner_tags", datasets.Sequence(datasets.ClassLabel(names=["O", "PER", "I-PER"])))
    hub.answers = [split]
    with pytest.raises(ValueError) as error:
        load_hub_dataset("someone/ner", "en")
    assert str(error.value).startswith("someone/ner (en): ") and "['PER']" in str(error.value)


def test_unreachable_hub_data_set_names_the_offline_routes():
    # conftest sets HF_DATASETS_OFFLINE=1: the Hub cannot be reached.
    with pytest.raises(HubUnreachableError) as error:
        load_data(dataset_name="no-such-user/no-such-ner", dataset_config="en")
    assert "no-such-user/no-such-ner (en)" in str(error.value)
    assert all(route in str(error.value) for route in OFFLINE_ROUTES)


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
    with pytest.raises(ValueError) as error:
        load_data(dataset_name=str(tmp_path / "c"))
    assert "['tokens', 'ner_tags']" in str(error.value) and "['words', 'labels']" in str(error.value)
