"""The notebook executions of tests/notebook_runs.yaml: settings users combine (subsets with every data route, no test
split, truncation, resuming, bf16, frozen embeddings, empty and long texts) run through the notebooks together."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import papermill
import pytest
import yaml

from support import cell_output
from repo_tools.notebooks import notebook_path
from repo_tools.runner import main, run_notebook

# Each test runs notebooks in Jupyter kernels: `make test-fast` leaves it out.
pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
RUNS: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "tests" / "notebook_runs.yaml").read_text())
LONG_TEXT = ("the weather was fine and " * 196 + "Zendaya watched SZA at Glastonbury")[:5000]


def write_hub_copy(folder: Path) -> Path:
    """WNUT 17's sample as a Hub-style Parquet data set with two configurations ("full", and "small" without test)."""
    from ner_helpers.data import load_data

    sample = load_data(data_dir=ROOT / "tests" / "data" / "sample_wnut17")
    lines = ["---", "configs:"]
    for config, rows, splits in (("full", None, ["train", "validation", "test"]), ("small", 12, ["train", "validation"])):
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in splits:
            part = sample[split] if rows is None else sample[split].select(range(min(rows, sample[split].num_rows)))
            (folder / config).mkdir(parents=True, exist_ok=True)
            part.to_parquet(str(folder / config / f"{split}.parquet"))
            lines += [f"  - split: {split}", f"    path: {config}/{split}.parquet"]
    (folder / "README.md").write_text("\n".join(lines + ["---", ""]))
    return folder


def made_at_test_time(value: Any, made: dict[str, Any]) -> Any:
    """A run's value with <tiny model>, <tiny distilbert>, <hub copy> and <5,000 characters> replaced, and repository paths made absolute."""
    if isinstance(value, dict):
        return {key: made_at_test_time(item, made) for key, item in value.items()}
    if isinstance(value, str) and value in made:
        return made[value]
    if isinstance(value, str) and value.startswith("<run artifacts>/"):
        return str(Path(made["<run artifacts>"]) / value.removeprefix("<run artifacts>/"))
    if isinstance(value, str) and value.startswith("tests/"):
        return str(ROOT / value)
    return value


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request, tmp_path_factory, tiny_model_dir, tiny_distilbert_dir):
    """Execute one run of notebook_runs.yaml; its name, its folder, its parameters and the error it stopped with."""
    name, spec = request.param, RUNS[request.param]
    folder = tmp_path_factory.mktemp(name)
    made = {"<tiny model>": str(tiny_model_dir), "<tiny distilbert>": str(tiny_distilbert_dir), "<5,000 characters>": LONG_TEXT, "<run artifacts>": str(folder / "artifacts")}
    if "<hub copy>" in json.dumps(spec):
        made["<hub copy>"] = str(write_hub_copy(tmp_path_factory.mktemp("hub-copy")))
    parameters = made_at_test_time(spec["parameters"], made)
    error = None
    if spec.get("expect_error"):  # straight through papermill: the runner itself would refuse before any notebook
        with pytest.raises(papermill.PapermillExecutionError) as failure:
            for notebook in spec["notebooks"]:
                run_notebook(str(notebook_path(notebook)), folder / f"{notebook}.ipynb",
                             {"artifacts_dir": str(folder / "artifacts"), **parameters})
        error = failure.value
    else:
        steps = [(spec["notebooks"], parameters, False)]
        steps += [(step["notebooks"], {**parameters, **made_at_test_time(step["parameters"], made)}, step.get("fresh_artifacts", False))
                  for step in spec.get("then", [])]
        for index, (notebooks, values, fresh) in enumerate(steps):
            params_file = folder.parent / f"{name}-{index}.yaml"
            params_file.write_text(yaml.safe_dump(values))
            step_dir = folder if index == 0 else folder / f"then-{index}"
            if index:
                step_dir.mkdir()
                if not fresh:  # a later step works in the first step's artifacts
                    (step_dir / "artifacts").symlink_to(folder / "artifacts")
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("HF_TOKEN", FAKE_TOKEN)  # the kernels inherit it, as a logged-in user's would
                code = main(["--run-dir", str(step_dir), "--params", str(params_file), "--no-solutions", "--notebooks", *notebooks])
            assert code == 0, f"{name}, step {index}: the runner exited with {code}"
    return {"name": name, "folder": folder, "parameters": parameters, "spec": spec, "error": error}


FAKE_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
TOKEN_SHAPE = re.compile(rb"hf_[A-Za-z0-9]{30,}")


def test_every_notebook_of_the_run_finishes_or_stops_as_expected(run):
    if run["spec"].get("expect_error"):
        assert run["error"].ename == run["spec"]["expect_error"]
        assert run["error"].exec_count <= 4  # the cell right after the parameters
        assert not (run["folder"] / "artifacts").exists()
    else:
        assert sorted(p.stem for p in run["folder"].glob("0*.ipynb")) == sorted(run["spec"]["notebooks"])
        if "04_evaluate" in run["spec"]["notebooks"]:
            assert json.loads((run["folder"] / "metrics.json").read_text())["test"]["f1"] >= 0


def expected_sentences(run) -> tuple[str, int]:
    """The split notebook 04 scores and how many of its sentences notebook 02 kept, from the data files themselves."""
    parameters = run["parameters"]
    if "data_files" in parameters:
        files = parameters["data_files"]
        split = "test" if "test" in files else "validation"
        text = Path(files[split]).read_text()
        if files[split].endswith(".jsonl"):  # doccano: one document a line; those with an empty text are skipped
            sentences = sum(1 for line in text.splitlines() if line.strip() and json.loads(line)["text"].strip())
        else:
            sentences = sum(1 for block in text.split("\n\n") if block.strip() and not block.lstrip().startswith("-DOCSTART-"))
    elif "dataset_name" in parameters:
        import pyarrow.parquet as pq

        splits = {p.stem for p in (Path(parameters["dataset_name"]) / parameters["dataset_config"]).glob("*.parquet")}
        split = "test" if "test" in splits else "validation"
        sentences = pq.read_metadata(Path(parameters["dataset_name"]) / parameters["dataset_config"] / f"{split}.parquet").num_rows
    else:
        split = "test"
        text = (Path(parameters["data_dir"]) / "emerging.test.annotated").read_text()
        sentences = sum(1 for block in text.split("\n\n") if block.strip())
    return split, min(parameters.get("max_eval_samples") or sentences, sentences)


def test_notebooks_04_and_05_use_exactly_the_sentences_02_kept(run):
    if run["spec"].get("expect_error") or "04_evaluate" not in run["spec"]["notebooks"]:
        assert not list(run["folder"].glob("04_*.ipynb"))  # it stopped before, or ends at 02: nothing scored
        return
    split, kept = expected_sentences(run)
    assert kept < 10  # every run here scores a subset
    evaluated = cell_output(run["folder"] / "04_evaluate.ipynb", "04-07")
    assert f"{kept} {split} sentences predicted: the {kept} that notebook 02 kept, of " in evaluated
    metrics = json.loads((run["folder"] / "artifacts" / "test_metrics.json").read_text())
    assert metrics["split"] == split
    assert f"{kept} {split} sentences as texts in " in cell_output(run["folder"] / "05_inference.ipynb", "05-19")
    going_further = run["folder"] / "then-2" / "08_going_further_inference.ipynb"
    if going_further.exists():  # 08's evaluator cross-check reads the same sentences
        assert f"{kept} of {kept} {split} sentences fit" in cell_output(going_further, "08-evaluator")


def entity_spans(rows: Any) -> list[list[tuple[str, str]]]:
    """Per sentence of a data set split: (type, its words joined without spaces) of each entity, as seqeval reads
    the sentence's BIO tags."""
    from seqeval.metrics.sequence_labeling import get_entities

    names = rows.features["ner_tags"].feature.names
    return [[(kind, "".join(tokens[start:end + 1])) for kind, start, end in get_entities([names[t] for t in tags])]
            for tokens, tags in zip(rows["tokens"], rows["ner_tags"])]


def saved_split(folder: Path, split: str) -> Any:
    """A split of the data set notebook 01 saved in `folder`/artifacts/dataset."""
    from datasets import load_from_disk

    return load_from_disk(str(folder / "artifacts" / "dataset"))[split]


def trained_parameters(notebook: Path) -> tuple[int, int]:
    """(parameters, trained parameters) as notebook 03 printed them."""
    found = re.search(r"([\d,]+) parameters, ([\d,]+) of them trained", cell_output(notebook, "03-09"))
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_each_run_shows_the_setting_it_was_given(run):
    name, folder = run["name"], run["folder"]
    if name == "folder-subset":
        assert "resuming from" in cell_output(folder / "then-1" / "03_train.ipynb", "03-15")
        history = json.loads((folder / "artifacts" / "log_history.json").read_text())
        assert max(entry["epoch"] for entry in history) == 3  # the resumed run trained the third epoch
        total, trained = trained_parameters(folder / "03_train.ipynb")
        assert trained < total  # the word embeddings stayed out of training
        assert "final fit: " in cell_output(folder / "03_train.ipynb", "03-19")
        assert "0 tokens; with the default ignore_labels=['O'] the pipeline returns 0 of them" in cell_output(folder / "05_inference.ipynb", "05-07")
        assert json.loads((folder / "artifacts" / "preprocess.json").read_text())["label_all_tokens"] is True
        assert list((folder / "artifacts" / "tensorboard").rglob("events.out.tfevents.*"))  # report_to="tensorboard"
        assert "TensorBoard logs of " in cell_output(folder / "then-2" / "07_going_further_training.ipynb", "07-tensorboard")  # 07 finds 03's logs
        assert "Running on local URL" in cell_output(folder / "05_inference.ipynb", "05-demo")  # launch_demo=True
        assert sorted(p.stem for p in (folder / "then-2").glob("0*.ipynb")) == ["07_going_further_training", "08_going_further_inference"]
    elif name == "own-data-without-test":
        assert "precision: bf16 autocast on the CPU (cpu_bf16=True)" in cell_output(folder / "03_train.ipynb", "03-11")
        # 05 pre-annotated the 3 non-empty lines of texts_file; notebook 01 read them back with the same spans.
        tasks = json.loads((folder / "artifacts" / "predictions" / "label_studio.json").read_text())
        assert [task["data"]["text"] for task in tasks] == [line for line in (ROOT / "tests/data/annotations/texts.txt").read_text().splitlines() if line.strip()]
        predicted = [[(r["value"]["labels"][0], task["data"]["text"][r["value"]["start"]:r["value"]["end"]].replace(" ", ""))
                      for r in task["predictions"][0]["result"]] for task in tasks]
        assert any(predicted)  # else the round trip below would compare nothing
        doccano = [json.loads(line) for line in (folder / "artifacts" / "predictions" / "doccano.jsonl").read_text().splitlines()]
        assert [[(label, d["text"][a:b].replace(" ", "")) for a, b, label in d["label"]] for d in doccano] == predicted
        for split in ("train", "validation"):
            assert entity_spans(saved_split(folder / "then-1", split)) == predicted, split
        # The hand-written exports: notebook 01 saved what the reader makes of them, every entity in place.
        from ner_helpers.data import load_data

        exports = ROOT / "tests" / "data" / "annotations"
        files = {"train": exports / "label_studio_export.json", "validation": exports / "doccano_export.jsonl"}
        read = load_data(data_files=files, verbose=False)
        for split in ("train", "validation"):
            saved = entity_spans(saved_split(folder / "then-2", split))
            assert any(saved) and saved == entity_spans(read[split]), split
    elif name == "dataset-name-local-copy":
        loaded = cell_output(folder / "01_load_data.ipynb", "01-06")
        assert "num_rows: 12" in loaded and "test:" not in loaded  # the "small" configuration: 12 training rows, no test
    elif name == "push-to-hub-offline":
        assert "push_to_hub=True needs the Hugging Face Hub" in run["error"].evalue
    elif name == "launch-in-notebook-without-gpus":
        assert "launch_in_notebook=True starts one process per GPU" in run["error"].evalue


# `make run`'s run folder, checked on the run that goes through 01-05 with the guide's architecture (DistilBERT).


ON_THE_FOLDER_RUN = pytest.mark.parametrize("run", ["folder-subset"], indirect=True)


@pytest.fixture()
def folder_run(run):
    return run["folder"]


@ON_THE_FOLDER_RUN
def test_the_run_folder_holds_the_executed_notebooks_plots_and_metrics(folder_run):
    from ner_helpers.parameters import LESSONS

    assert sorted(p.stem for p in folder_run.glob("0*.ipynb")) == list(LESSONS)
    report = json.loads((folder_run / "metrics.json").read_text())
    assert report["test"] == json.loads((folder_run / "artifacts" / "test_metrics.json").read_text())
    assert set(report["test"]) >= {"precision", "recall", "f1", "accuracy", "per_type"}
    assert report["parameters"]["num_train_epochs"] == 2 and report["parameters"]["seed"] == 7  # from the parameter file
    assert Path(report["parameters"]["data_dir"]).is_absolute()  # relative in the file, made absolute
    assert set(report["seconds"]) == set(LESSONS) and report["machine"]["cpu_count"] >= 1
    for name in ("per_type_scores", "training_curves", "confusion_matrix"):
        assert (folder_run / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@ON_THE_FOLDER_RUN
def test_no_solutions_leaves_out_the_solution_cells_only(folder_run):
    import nbformat

    from repo_tools.student_notebooks import is_solution

    source = nbformat.read(ROOT / "notebooks" / "03_train.ipynb", as_version=4)
    executed = nbformat.read(folder_run / "03_train.ipynb", as_version=4)
    assert sum(map(is_solution, source.cells)) >= 2  # 03 has solutions to leave out
    assert [c.id for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])] == [
        c.id for c in source.cells if not is_solution(c)
    ]


@ON_THE_FOLDER_RUN
def test_no_token_shaped_string_in_the_run_folder(folder_run):
    assert TOKEN_SHAPE.search(FAKE_TOKEN.encode())  # the scan can find one
    for path in folder_run.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert not TOKEN_SHAPE.search(path.read_bytes()), path


@ON_THE_FOLDER_RUN
def test_training_was_scored_on_the_validation_split_and_labels_kept_in_order(folder_run):
    from datasets import load_from_disk

    # The first run's log (03 then resumed for a third epoch): one evaluation per epoch, of the 5 validation
    # sentences 02 kept (max_eval_samples), seen in the sentences evaluated (samples per second x seconds).
    history = json.loads((folder_run / "artifacts" / "log_history.json").read_text())
    evaluated = [entry for entry in history if "eval_f1" in entry]
    assert [entry["epoch"] for entry in evaluated] == [1, 2, 3]
    assert {round(entry["eval_samples_per_second"] * entry["eval_runtime"]) for entry in evaluated} == {5}
    config = json.loads((folder_run / "artifacts" / "model" / "config.json").read_text())
    names = load_from_disk(str(folder_run / "artifacts" / "dataset"))["train"].features["ner_tags"].feature.names
    assert [config["id2label"][str(i)] for i in range(len(names))] == names
    assert config["label2id"] == {name: i for i, name in enumerate(names)}


# Your own data in another tag set (PER/LOC/ORG, CoNLL-2003 layout, no test file): nothing in 01-05 may assume WNUT 17.


ON_THE_OWN_DATA_RUN = pytest.mark.parametrize("run", ["own-data-without-test"], indirect=True)


@ON_THE_OWN_DATA_RUN
def test_notebook_01_reports_the_iob1_conversion_and_the_labels(run):
    loading = cell_output(run["folder"] / "01_load_data.ipynb", "01-06")
    assert "IOB1" in loading and "-DOCSTART-" in loading  # the conversion and the skipped lines are reported
    no_test = next(line for line in loading.splitlines() if "test split" in line.lower())
    assert "04" in no_test and "validation" in no_test  # which notebook scores which split instead
    labels = cell_output(run["folder"] / "01_load_data.ipynb", "01-12")
    assert "['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']" in labels


@ON_THE_OWN_DATA_RUN
def test_notebook_02_reports_the_sentence_longer_than_the_model(run):
    report = cell_output(run["folder"] / "02_preprocess.ipynb", "02-long-sentences-code")
    train = next(line for line in report.splitlines() if line.split()[:1] == ["train"])
    assert re.findall(r"\d+", train)[:2] == ["1", "64"]  # the split, how many sentences, the model's limit


@ON_THE_OWN_DATA_RUN
def test_notebook_04_tables_hold_exactly_the_data_types_on_the_validation_split(run):
    folder = run["folder"]
    metrics = json.loads((folder / "artifacts" / "test_metrics.json").read_text())
    assert set(metrics["per_type"]) == {"LOC", "ORG", "PER"}
    assert metrics["split"] == "validation"
    scores = cell_output(folder / "04_evaluate.ipynb", "04-09")
    rows = [line.split()[0] for line in scores.split("<")[0].splitlines() if line.split()[:1] in (["LOC"], ["ORG"], ["PER"], ["overall"])]
    assert rows == ["LOC", "ORG", "PER", "overall"]
    assert "validation split" in scores and "validation entity F1" in scores
    assert "published" not in scores  # WNUT 17's published results do not apply
    errors = cell_output(folder / "04_evaluate.ipynb", "04-17")
    assert "errors on the validation split" in errors
    assert not {"corporation", "location", "person"} & set(errors.split())
    for name in ("per_type_scores", "training_curves", "confusion_matrix"):
        assert (folder / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@ON_THE_OWN_DATA_RUN
def test_notebook_05_writes_pre_annotations_with_the_data_types(run):
    written = cell_output(run["folder"] / "05_inference.ipynb", "05-predictions")
    # the labels to create in doccano's project, on the line that tells how to import the file there
    assert any("LOC, ORG, PER" in line for line in written.splitlines() if "doccano" in line)
    assert '<Label value="LOC"/><Label value="ORG"/><Label value="PER"/>' in written  # Label Studio's config
    assert not {"corporation", "location", "person"} & set(written.replace('"', " ").replace(",", " ").split())
