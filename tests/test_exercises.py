"""ner_helpers.exercises: what the solution cells run (the answer checks are tested in test_workshop_kit.py)."""
from __future__ import annotations

import json

import pytest

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.exercises import RUN_SOLUTIONS_ENV, exercise_splits, solution_wanted


@pytest.mark.parametrize(("reveal", "env", "wanted"), [(False, None, False), (True, None, True), (False, "1", True), (False, "0", False)])
def test_a_solution_runs_when_the_learner_or_a_test_run_asks(monkeypatch, capsys, reveal, env, wanted):
    if env is None:
        monkeypatch.delenv(RUN_SOLUTIONS_ENV, raising=False)
    else:
        monkeypatch.setenv(RUN_SOLUTIONS_ENV, env)
    assert solution_wanted(reveal) is wanted
    assert ("reveal = True" in capsys.readouterr().out) is not wanted  # a hidden solution says how to show it


@pytest.fixture()
def artifacts(tmp_path, wnut):
    """An artifacts folder as notebooks 01 and 02 leave it after a run that kept 2 training sentences."""
    wnut.save_to_disk(tmp_path / "dataset")
    settings = {"model_checkpoint": "tiny", "label_names": WNUT17_LABELS, "label_all_tokens": True, "max_length": 8}
    (tmp_path / "preprocess.json").write_text(json.dumps(settings))
    return tmp_path


def test_exercise_splits_take_notebook_01s_sentences_whatever_02_kept(artifacts, wnut, tiny_tokenizer):
    train, validation = exercise_splits(artifacts, tiny_tokenizer, (5, 3))
    assert (train.num_rows, validation.num_rows) == (min(5, wnut["train"].num_rows), min(3, wnut["validation"].num_rows))
    # Tokenized as notebook 02 did: its max_length, and label_all_tokens on the training split only.
    assert max(len(ids) for ids in train["input_ids"]) <= 8
    assert train["labels"][0][0] == -100 and validation["labels"][0][0] == -100  # [CLS]
    whole_train, whole_validation = exercise_splits(artifacts, tiny_tokenizer, None)
    assert (whole_train.num_rows, whole_validation.num_rows) == (wnut["train"].num_rows, wnut["validation"].num_rows)


def test_label_all_tokens_reaches_only_the_training_split(artifacts, tiny_tokenizer):
    settings = json.loads((artifacts / "preprocess.json").read_text())
    train, validation = exercise_splits(artifacts, tiny_tokenizer, (20, 20))
    labelled = lambda split: sum(label != -100 for labels in split["labels"] for label in labels)
    settings["label_all_tokens"] = False
    (artifacts / "preprocess.json").write_text(json.dumps(settings))
    train_first_only, validation_first_only = exercise_splits(artifacts, tiny_tokenizer, (20, 20))
    assert labelled(train) > labelled(train_first_only) and labelled(validation) == labelled(validation_first_only)
