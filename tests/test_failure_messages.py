"""Failures a user can cause end in a message that says what to do (see docs/failures.md)."""
from __future__ import annotations

import papermill
import pytest

from ner_helpers.errors import HubUnreachableError, MissingArtifactError
from repo_tools.notebooks import notebook_path
from repo_tools.runner import run_notebook


@pytest.mark.notebook
@pytest.mark.parametrize(
    "notebook, names",
    [
        ("03_train", "02_preprocess.ipynb"),
        ("04_evaluate", "03_train.ipynb"),
        ("05_inference", "03_train.ipynb"),
    ],
)
def test_running_a_notebook_before_its_prerequisites_names_the_notebook_to_run(tmp_path, notebook, names):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(str(notebook_path(notebook)), tmp_path / "out.ipynb", {"artifacts_dir": str(tmp_path / "empty")})
    assert failure.value.ename == "MissingArtifactError"
    assert f"notebooks/{names}" in failure.value.evalue and "Run that notebook first" in failure.value.evalue
    # it fails in the first cells, before any model or data is loaded
    assert failure.value.exec_count <= 4


def test_missing_artifact_message_names_notebook_and_folder(tmp_path):
    from ner_helpers.artifacts import require_artifact

    with pytest.raises(MissingArtifactError) as error:
        require_artifact(tmp_path, "dataset")
    assert (error.value.notebook, error.value.path) == ("01_load_data.ipynb", str(tmp_path / "dataset"))
    assert "notebooks/01_load_data.ipynb" in str(error.value) and f"artifacts_dir={str(tmp_path)!r}" in str(error.value)


def test_model_from_an_unreachable_hub_names_the_offline_encoder():
    # conftest sets HF_HUB_OFFLINE=1, as on a machine without network
    from ner_helpers.models import load_tokenizer

    with pytest.raises(HubUnreachableError, match="offline-minilm"):
        load_tokenizer("distilbert/distilbert-base-uncased")


def test_a_model_folder_that_does_not_exist_is_not_blamed_on_the_hub(tmp_path):
    from ner_helpers.models import load_tokenizer

    with pytest.raises(FileNotFoundError) as error:
        load_tokenizer(str(tmp_path / "no-model"))
    assert not isinstance(error.value, HubUnreachableError) and str(tmp_path / "no-model") in str(error.value)


def test_make_run_stops_early_without_hub_and_says_how_to_go_offline(tmp_path, capsys):
    from repo_tools.runner import main

    assert main(["--run-dir", str(tmp_path / "run")]) == 2
    message = capsys.readouterr().err
    assert "make run OFFLINE=1 DATA_DIR=" in message
    assert not (tmp_path / "run").exists()  # nothing ran


def test_offline_route_passes_the_preflight(sample_dir, tiny_model_dir):
    from repo_tools.runner import preflight

    assert preflight(str(sample_dir), str(tiny_model_dir)) is None
    assert "the data set" in preflight(None, str(tiny_model_dir))


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("notebook", "parameters", "named"),
    [
        ("01_load_data", {"data_files": {"train": "train.txt", "dev": "dev.txt"}}, "data_files"),
        ("02_preprocess", {"max_length": 2}, "max_length"),
        ("03_train", {"train_sampling_strategy": "by_length", "num_train_epochs": 0}, "train_sampling_strategy"),
    ],
)
def test_a_bad_parameter_stops_the_notebook_in_its_first_cells_before_anything_is_written(tmp_path, notebook, parameters, named):
    artifacts = tmp_path / "artifacts"
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(str(notebook_path(notebook)), tmp_path / "out.ipynb",
                     {"artifacts_dir": str(artifacts), **parameters})
    assert failure.value.ename == "ParameterError"
    assert f"{named}=" in failure.value.evalue and f"{named} takes " in failure.value.evalue
    assert failure.value.exec_count <= 4  # the cell right after the parameters (and papermill's injected one)
    assert not artifacts.exists()


@pytest.mark.parametrize(
    ("given", "named"),
    [(["--num-train-epochs", "0"], "num_train_epochs=0.0"), (["--learning-rate", "-0.001"], "learning_rate=-0.001"),
     (["--max-eval-samples", "0"], "max_eval_samples=0")],
)
def test_make_run_refuses_a_bad_value_before_the_first_notebook(tmp_path, capsys, sample_dir, tiny_model_dir, given, named):
    from repo_tools.runner import main

    code = main(["--run-dir", str(tmp_path / "run"), "--data-dir", str(sample_dir), "--model-checkpoint", str(tiny_model_dir), *given])
    assert code == 2
    assert f"{named} is not accepted" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # no notebook ran, nothing was written


def run_until_it_stops(tmp_path, notebook: str, parameters: dict) -> papermill.PapermillExecutionError:
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(str(notebook_path(notebook)), tmp_path / "out.ipynb", parameters)
    return failure.value


@pytest.mark.notebook
def test_papermill_p_with_a_misspelt_name_stops_the_notebook_in_its_first_check(tmp_path):
    # papermill itself only logs "Passed unknown parameter" and injects the variable; the notebook's check refuses it.
    stop = run_until_it_stops(tmp_path, "04_evaluate", {"artifacts_dir": str(tmp_path), "examples_per_categry": 5})
    assert stop.ename == "ParameterError" and "`examples_per_categry`" in stop.evalue and "`examples_per_category`" in stop.evalue
    assert stop.exec_count <= 4  # before anything is read


@pytest.mark.notebook
def test_notebook_03_stops_when_its_checkpoint_is_not_the_one_02_tokenized_for(tmp_path):
    import json

    from ner_helpers.data import WNUT17_LABELS

    (tmp_path / "tokenized").mkdir()
    (tmp_path / "preprocess.json").write_text(json.dumps({"model_checkpoint": "distilbert/distilbert-base-uncased",
                                                          "label_names": WNUT17_LABELS, "label_all_tokens": False}))
    stop = run_until_it_stops(tmp_path, "03_train", {"artifacts_dir": str(tmp_path), "model_checkpoint": "FacebookAI/roberta-base"})
    assert stop.ename == "ParameterError"
    assert "FacebookAI/roberta-base" in stop.evalue and "distilbert/distilbert-base-uncased" in stop.evalue
