"""The learning rate and epochs: the guide's by default, the offline encoder's own recipe when left to None."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ner_helpers.analysis import training_story
from ner_helpers.training import recipe_for


def test_offline_encoder_with_defaults_gets_its_recipe_and_says_why(capsys):
    assert recipe_for("offline-minilm", None, None) == (1e-4, 3)
    printed = capsys.readouterr().out
    assert "learning_rate=None: 0.0001" in printed and "num_train_epochs=None: 3" in printed
    assert "0.237" in printed and "params/offline-minilm.yaml" in printed


def test_other_checkpoints_with_defaults_get_the_guides_recipe(capsys):
    assert recipe_for("distilbert/distilbert-base-uncased", None, None) == (2e-5, 2)
    assert "the guide's" in capsys.readouterr().out


def test_values_given_are_kept():
    assert recipe_for("offline-minilm", 5e-5, 4) == (5e-5, 4)
    assert recipe_for("distilbert/distilbert-base-uncased", 3e-5, 1) == (3e-5, 1)


def test_offline_encoder_with_the_guides_values_warns_and_names_the_parameter_file():
    with pytest.warns(UserWarning, match=r"0\.237.*params/offline-minilm\.yaml.*None"):
        assert recipe_for("offline-minilm", 2e-5, 2) == (2e-5, 2)


def history(losses, f1s):
    return pd.DataFrame({"epoch": [float(i + 1) for i in range(len(f1s))], "training_loss": 0.1, "eval_loss": losses, "eval_f1": f1s})


def test_story_says_when_validation_loss_rose_while_f1_improved():
    story = training_story(history([0.30, 0.28, 0.31], [0.52, 0.55, 0.57]))
    assert "rose in epoch 3; it was lowest after epoch 2 (0.280)" in story
    assert "best after epoch 3 (0.570)" in story and "model kept is the last one" in story
    assert "F1 still improved while the loss rose" in story


def test_story_names_an_earlier_best_epoch_as_the_one_kept():
    story = training_story(history([0.30, 0.33, 0.36], [0.52, 0.58, 0.57]))
    assert "best after epoch 2 (0.580)" in story and "the model kept is epoch 2, not the last one" in story


def test_story_of_a_falling_loss_claims_no_overfitting():
    story = training_story(history([0.30, 0.28], [0.002, 0.237]))
    assert "fell after every epoch" in story and "No sign of overfitting" in story and "rose" not in story


def test_story_of_a_model_that_found_nothing_says_so():
    story = training_story(history([0.30, 0.31], [0.0, 0.0]))
    assert "stayed at 0.000" in story and "epoch 1" in story


def test_each_value_left_to_none_says_where_it_came_from(capsys):
    assert recipe_for("distilbert/distilbert-base-uncased", None, 4) == (2e-5, 4)
    assert capsys.readouterr().out == "learning_rate=None: 2e-05, the guide's\n"
    assert recipe_for("offline-minilm", 3e-5, None) == (3e-5, 3)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "num_train_epochs=None: 3, the recipe for offline-minilm"
    assert printed[1].startswith("why: ") and "0.237" in printed[1]


def test_a_known_checkpoint_with_one_value_left_to_none_is_not_warned(recwarn, capsys):
    assert recipe_for("offline-minilm", None, 1) == (1e-4, 1)
    assert "why: " in capsys.readouterr().out
    assert len(recwarn) == 0


@pytest.mark.parametrize("learning_rate, epochs", [(2e-5, 5), (1e-4, 2)])
def test_only_both_guide_values_together_warn(learning_rate, epochs, recwarn, capsys):
    # The guide's learning rate with more epochs, or a higher rate for the guide's 2 epochs, are choices.
    assert recipe_for("offline-minilm", learning_rate, epochs) == (learning_rate, epochs)
    assert len(recwarn) == 0 and capsys.readouterr().out == ""


def warning_caller(module, test_file: str) -> str:
    """The file a helper's warning (stacklevel=2) must name: the calling test's, or under `make mutation`
    mutmut's trampoline, which stands between the test and the mutated module."""
    return "mutmut/mutation/trampoline.py" if "mutants" in Path(module.__file__).parts else test_file


def test_the_warning_points_at_the_callers_line():
    import ner_helpers.training

    with pytest.warns(UserWarning) as record:
        recipe_for("offline-minilm", 1e-5, 1)
    assert record[0].filename.endswith(warning_caller(ner_helpers.training, __file__))
