"""The benchmark's measuring code on the sample and the tiny model (no timings are asserted)."""
from __future__ import annotations

from repo_tools import bench


def recipe(tiny_model_dir, strategy):
    return {"model_checkpoint": str(tiny_model_dir), "learning_rate": 1e-3, "per_device_train_batch_size": 4,
            "num_train_epochs": 1, "train_sampling_strategy": strategy}


def test_length_grouped_batches_waste_less_padding_than_random_ones(sample_dir, tiny_model_dir):
    from datasets import concatenate_datasets

    _, tokenized, tokenizer = bench.tokenize(str(sample_dir), str(tiny_model_dir))
    # LengthGroupedSampler sorts within mega-batches of up to 50 batches, which needs more than 21 sentences
    tokenized["train"] = concatenate_datasets([tokenized["train"]] * 10)
    random = bench.training_throughput(recipe(tiny_model_dir, "random"), tokenized, tokenizer, steps=2, warmup_steps=1)
    grouped = bench.training_throughput(recipe(tiny_model_dir, "group_by_length"), tokenized, tokenizer, steps=2, warmup_steps=1)
    assert 0 <= grouped["padding_fraction"] < random["padding_fraction"] < 1
    assert random["real_tokens_per_second"] > 0 and grouped["real_tokens_per_second"] > 0


def test_inference_report_compares_batched_and_one_by_one(sample_dir, tiny_model_dir):
    report = bench.inference_throughput(str(sample_dir), str(tiny_model_dir), batch_size=4)
    assert report["texts"] == 6
    for way in ("predict_entities", "pipeline"):
        assert report[way]["speedup"] > 0


def test_recipes_are_parameter_files_the_notebooks_accept():
    import papermill

    declared = set()
    for name in ("02_preprocess", "03_train"):
        declared |= set(papermill.inspect_notebook(str(bench.ROOT / "notebooks" / f"{name}.ipynb")))
    for name in ("guide-offline", "offline-minilm", "fast-recipe"):
        assert set(bench.load_recipe(name)) <= declared, name
