"""Models (ner_helpers/models.py): the classification head follows the data set's labels, in their order, and
survives saving; freezing the word embeddings trains everything else."""
from __future__ import annotations

import pytest

from ner_helpers.data import WNUT17_LABELS
from ner_helpers.models import load_token_classifier
from ner_helpers.training import build_trainer, training_arguments

PER_LOC_ORG = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


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


def test_the_guides_distilbert_loads_quietly_with_a_new_head_and_freezes_its_own_word_embeddings(tiny_distilbert_dir, capfd):
    # Saved as distilbert-base-uncased is (a masked-LM head, no labels): the helper drops that head, adds the
    # classifier, and keeps the load report (notebook 03 shows it) out of the tools' output.
    model = load_token_classifier(str(tiny_distilbert_dir), WNUT17_LABELS, freeze_word_embeddings=True)
    assert model.config.model_type == "distilbert" and model.classifier.out_features == 13
    assert model.config.id2label == dict(enumerate(WNUT17_LABELS))
    assert [name for name, p in model.named_parameters() if not p.requires_grad] == ["distilbert.embeddings.word_embeddings.weight"]
    assert not [name for name, _ in model.named_parameters() if name.startswith(("vocab_", "pre_classifier", "pooler"))]
    assert "LOAD REPORT" not in capfd.readouterr().err


def test_a_checkpoint_with_a_head_for_other_labels_gets_a_new_head(tiny_model_dir):
    from ner_helpers.models import load_token_classifier

    model = load_token_classifier(str(tiny_model_dir), PER_LOC_ORG)  # the tiny model's head has WNUT 17's 13 labels
    assert model.classifier.out_features == 7 and model.config.id2label[5] == "B-PER"


def test_notebook_03_refuses_a_checkpoint_other_than_the_one_02_tokenized_for(tiny_model_dir, tmp_path, monkeypatch):
    from ner_helpers.errors import ParameterError
    from ner_helpers.models import checkpoint_to_train

    assert checkpoint_to_train(None, "distilbert/distilbert-base-uncased") == "distilbert/distilbert-base-uncased"
    assert checkpoint_to_train("distilbert/distilbert-base-uncased", "distilbert/distilbert-base-uncased") == "distilbert/distilbert-base-uncased"
    with pytest.raises(ParameterError) as error:
        checkpoint_to_train("FacebookAI/roberta-base", "distilbert/distilbert-base-uncased")
    assert error.value.parameters == ["model_checkpoint"]
    assert "FacebookAI/roberta-base" in str(error.value) and "distilbert/distilbert-base-uncased" in str(error.value)
    # The same folder written two ways (relative, absolute, through a link) is the same checkpoint.
    monkeypatch.chdir(tiny_model_dir.parent)
    (tmp_path / "link").symlink_to(tiny_model_dir)
    assert checkpoint_to_train(tiny_model_dir.name, str(tiny_model_dir)) == str(tiny_model_dir)
    assert checkpoint_to_train(str(tmp_path / "link"), str(tiny_model_dir)) == str(tiny_model_dir)
    with pytest.raises(ParameterError):
        checkpoint_to_train(str(tmp_path), str(tiny_model_dir))  # another folder


def test_a_model_folder_may_start_with_the_home_folder(tiny_model_dir, monkeypatch):
    from ner_helpers.models import checkpoint_path

    monkeypatch.setenv("HOME", str(tiny_model_dir.parent))
    assert checkpoint_path(f"~/{tiny_model_dir.name}") == str(tiny_model_dir)
