"""How the pieces are wired: which split the Trainer scores, and the label order a saved model keeps."""
from __future__ import annotations

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from ner_helpers.conll import load_conll
from ner_helpers.data import WNUT17_LABELS, load_wnut17
from ner_helpers.models import load_token_classifier
from ner_helpers.training import build_trainer, training_arguments


def entity_count(dataset) -> int:
    names = dataset.features["ner_tags"].feature.names
    return sum(len(get_entities([names[t] for t in tags])) for tags in dataset["ner_tags"])


@pytest.fixture(scope="module")
def wnut(sample_dir):
    return load_wnut17(sample_dir)


@pytest.fixture(scope="module")
def tokenized(wnut, tiny_tokenizer):
    from ner_helpers.align import tokenize_and_align_labels

    return wnut.map(tokenize_and_align_labels, batched=True, fn_kwargs={"tokenizer": tiny_tokenizer},
                    remove_columns=wnut["train"].column_names)


def test_the_three_splits_hold_different_numbers_of_entities(wnut):
    # What the next test relies on to tell the splits apart.
    counts = {split: entity_count(wnut[split]) for split in wnut}
    assert counts == {"train": 67, "validation": 7, "test": 10}


def test_trainer_scores_the_validation_split_every_epoch(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    model = load_token_classifier(str(tiny_model_dir), WNUT17_LABELS)
    args = training_arguments(tmp_path, num_train_epochs=2, use_cpu=True, disable_tqdm=True, learning_rate=5e-3,
                              per_device_train_batch_size=16)
    trainer = build_trainer(model, args, tiny_tokenizer, tokenized["train"], tokenized["validation"], WNUT17_LABELS)
    assert trainer.train_dataset is tokenized["train"] and trainer.eval_dataset is tokenized["validation"]
    trainer.train()
    evaluated = [entry for entry in trainer.state.log_history if "eval_f1" in entry]
    assert [entry["epoch"] for entry in evaluated] == [1.0, 2.0]
    # number_of_entities is the gold count of the split scored: 7 is validation (train 67, test 10).
    assert {entry["eval_number_of_entities"] for entry in evaluated} == {7}
    assert trainer.evaluate()["eval_number_of_entities"] == 7


@pytest.fixture(scope="module")
def encoder_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model without its classification head, as a pretrained encoder is published."""
    from transformers import AutoModelForTokenClassification

    folder = tmp_path_factory.mktemp("encoder")
    AutoModelForTokenClassification.from_pretrained(tiny_model_dir).bert.save_pretrained(folder)
    return folder


def test_classifier_labels_follow_the_data_set_order_not_sorted(encoder_dir, tmp_path):
    # An order that sorting would change: zeta before alpha, as a label set given by hand may be.
    names = ["O", "B-zeta", "I-zeta", "B-alpha", "I-alpha"]
    model = load_token_classifier(str(encoder_dir), names)
    assert model.config.id2label == dict(enumerate(names))
    assert model.config.label2id == {name: i for i, name in enumerate(names)}
    assert model.num_labels == 5 and model.classifier.out_features == 5
    model.save_pretrained(tmp_path / "saved")

    from transformers import AutoModelForTokenClassification

    again = AutoModelForTokenClassification.from_pretrained(tmp_path / "saved")
    assert again.config.id2label == dict(enumerate(names))
    assert again.config.label2id == {name: i for i, name in enumerate(names)}


def test_wnut17_model_labels_equal_the_classlabel_names(tiny_model_dir, wnut, tmp_path):
    names = wnut["train"].features["ner_tags"].feature.names
    model = load_token_classifier(str(tiny_model_dir), names)
    model.save_pretrained(tmp_path)
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tmp_path)
    assert [config.id2label[i] for i in range(config.num_labels)] == names == WNUT17_LABELS
    assert [config.label2id[name] for name in names] == list(range(13))


def test_freeze_word_embeddings_trains_every_parameter_but_the_word_embeddings(tiny_model_dir, tiny_tokenizer, tokenized, tmp_path):
    assert all(p.requires_grad for p in load_token_classifier(str(tiny_model_dir), WNUT17_LABELS).parameters())
    model = load_token_classifier(str(tiny_model_dir), WNUT17_LABELS, freeze_word_embeddings=True)
    assert [name for name, p in model.named_parameters() if not p.requires_grad] == ["bert.embeddings.word_embeddings.weight"]
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    args = training_arguments(tmp_path, num_train_epochs=2, use_cpu=True, disable_tqdm=True, learning_rate=5e-3,
                              per_device_train_batch_size=16, save_strategy="no", load_best_model_at_end=False)
    trainer = build_trainer(model, args, tiny_tokenizer, tokenized["train"], tokenized["validation"], WNUT17_LABELS)
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses[-1] < losses[0], losses  # it learned, with the word embeddings fixed
    moved = {name for name, p in model.named_parameters() if not p.detach().equal(before[name])}
    assert "bert.embeddings.word_embeddings.weight" not in moved
    assert {"classifier.weight", "bert.embeddings.position_embeddings.weight",
            "bert.encoder.layer.0.attention.self.query.weight"} <= moved
