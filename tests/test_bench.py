"""The benchmark's measuring code on the sample and the tiny model (no timings are asserted)."""
from __future__ import annotations

import pytest

from repo_tools import bench

CPUINFO = """processor\t: 0
vendor_id\t: {vendor}
model name\t: {name}
flags\t\t: fpu sse sse2 {flags}

"""


def recipe(tiny_model_dir, strategy, batch_size=4):
    return {"model_checkpoint": str(tiny_model_dir), "learning_rate": 1e-3, "per_device_train_batch_size": batch_size,
            "num_train_epochs": 1, "train_sampling_strategy": strategy}


@pytest.mark.parametrize("flags, summary, native", [
    ("avx avx2 fma", "AVX2", False),
    ("avx2 avx512f avx512bw", "AVX2, AVX-512 (no AVX512-BF16, no AMX)", False),
    ("avx2 avx512f avx512_bf16", "AVX2, AVX-512, AVX512-BF16 (no AMX)", True),
    ("avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "AVX2, AVX-512, AVX512-BF16, AMX", True),
    ("sse4_2", "no AVX2", False),
])
def test_report_names_the_instruction_set_from_cpuinfo_flags(tmp_path, flags, summary, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO.format(vendor="GenuineIntel", name="Some CPU @ 2.0GHz", flags=flags))
    report = bench.processor_report(cpuinfo)
    assert report["name"] == "Some CPU @ 2.0GHz"
    assert report["instruction_set"]["summary"] == summary
    assert report["instruction_set"]["native_bf16_by_flags"] is native


def test_processor_report_without_cpuinfo_says_so(tmp_path):
    assert bench.processor_report(tmp_path / "missing")["instruction_set"]["summary"] == "no AVX2"
    assert "unknown" in bench.processor_report(tmp_path / "missing")["name"]


def test_printed_table_names_processor_and_both_passes(capsys):
    view = {"aten_cpu_capability": "AVX2", "onednn_bf16_supported": False, "threads": 2}
    report = {"machine": {"cpu_count": 2, "torch": "x", "gpu": None}, "date": "d", "load_average_at_start": [1.0],
              "processor": {"name": "Fake CPU", "instruction_set": bench.instruction_set({"avx2", "avx512f"})},
              "passes": {"native": {"torch": {**view, "aten_cpu_capability": "AVX512"}}, "avx2": {"torch": view}}}
    report["passes"]["avx2"]["limits_took_effect"] = bench.limits_took_effect(report["passes"]["avx2"])
    def scores(f1, *validation):
        return {"test_f1": f1, "train_seconds": 9.0, "chosen_epochs": 2,
                "validation_f1_by_epoch": [{"epoch": i + 1, "eval_f1": v} for i, v in enumerate(validation)]}

    report["quality"] = {"guide": scores(0.1, 0.0, 0.2), "project": scores(0.4, 0.5, 0.6), "frozen": scores(0.3, 0.55, 0.45)}
    bench.print_table(report)
    printed = capsys.readouterr().out
    assert "Fake CPU" in printed and "AVX2, AVX-512 (no AVX512-BF16, no AMX)" in printed
    assert "pass 'native': ATen AVX512" in printed and "limits took effect: True" in printed
    # every recipe's quality, the extra ones included
    assert printed.split("best validation F1")[1].split()[:3] == ["0.200", "0.600", "0.550"]
    assert printed.split("test_f1")[1].split()[:3] == ["0.100", "0.400", "0.300"]


def test_limits_must_show_in_torch_for_the_avx2_pass():
    assert not bench.limits_took_effect({"torch": {"aten_cpu_capability": "AVX512", "onednn_bf16_supported": False}})
    assert not bench.limits_took_effect({"torch": {"aten_cpu_capability": "AVX2", "onednn_bf16_supported": True}})
    assert not bench.limits_took_effect({"torch": {"aten_cpu_capability": "AVX2", "onednn_bf16_supported": False},
                                         "mkl": "Intel(R) Advanced Vector Extensions 512 (Intel(R) AVX-512)"})


def test_throughput_times_a_random_sample_of_each_recipes_own_batches(sample_dir, tiny_model_dir):
    from datasets import concatenate_datasets

    _, tokenized, tokenizer = bench.tokenize(str(sample_dir), str(tiny_model_dir))
    # LengthGroupedSampler sorts within mega-batches of up to 50 batches, which needs more than 21 sentences
    tokenized["train"] = concatenate_datasets([tokenized["train"]] * 10)
    recipes = {"guide": recipe(tiny_model_dir, "random"), "project": recipe(tiny_model_dir, "group_by_length")}
    report = bench.training_throughput(recipes, tokenized, tokenizer, sentences=16, rounds=2, warmup_steps=1)
    grouped, random = report["project"], report["guide"]
    assert 0 <= grouped["padding_fraction"] < random["padding_fraction"] < 1
    for r in report.values():
        assert r["steps"] == 4 and r["real_tokens_per_second"] > 0 and 0 <= r["optimizer_ms_per_step"] < r["ms_per_step"]


def test_a_recipe_can_freeze_the_word_embeddings(sample_dir, tiny_model_dir, tmp_path):
    _, tokenized, tokenizer = bench.tokenize(str(sample_dir), str(tiny_model_dir))
    for freeze in (False, True):
        trainer = bench.make_trainer({**recipe(tiny_model_dir, "random"), "freeze_word_embeddings": freeze},
                                     tokenized["train"], None, tokenizer, str(tmp_path), eval_strategy="no",
                                     save_strategy="no", load_best_model_at_end=False)
        assert trainer.model.get_input_embeddings().weight.requires_grad is not freeze


def test_faster_inference_scores_each_way_against_fp32(sample_dir, tiny_model_dir):
    report = bench.faster_inference(str(tiny_model_dir), str(sample_dir), batch_size=4, repeats=1)
    ways = report["ways"]
    assert report["texts"] == 6 and ways["fp32"]["verdict"] == "baseline"
    assert ways["dynamic int8"]["texts_per_second"] > 0 and 0 <= ways["dynamic int8"]["f1"] <= 1
    assert ways["dynamic int8"]["verdict"] in ("kept", "did not pay")
    assert ways["ONNX Runtime (optimum)"].get("verdict")  # measured, or skipped with the reason


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
    for name in ("guide-offline", "offline-minilm", "fast-recipe", "fast-recipe-trained-embeddings"):
        assert set(bench.load_recipe(name)) <= declared, name


def test_readme_tables_come_from_the_report():
    def throughput(tokens, precision):
        return {"real_tokens_per_second": tokens, "precision": precision}

    passes = {
        "native": {"throughput": {"guide": throughput(100.0, "fp32"), "project": throughput(250.0, "bf16")},
                   "inference": {"ways": {"fp32": {"texts_per_second": 50.0, "f1": 0.4, "speedup_over_fp32": 1.0,
                                                   "verdict": "baseline"}}}},
        "avx2": {"throughput": {"guide": throughput(80.0, "fp32"), "project": throughput(120.0, "fp32")},
                 "inference": {"ways": {"bf16 autocast": {"verdict": "skipped: no native bf16 here"}}}},
    }
    tables = bench.markdown_tables({"passes": passes})
    assert "| project | 250 (bf16) | 2.50 | 120 (fp32) | 1.50 |" in tables
    assert "| bf16 autocast | not run | skipped: no native bf16 here |" in tables
    assert "F1" not in tables.splitlines()[0]  # no quality part, no quality columns
    validation = [{"epoch": 1, "eval_f1": 0.51}, {"epoch": 2, "eval_f1": 0.58}]
    tables = bench.markdown_tables({"passes": passes, "quality": {"project": {"validation_f1_by_epoch": validation,
                                                                              "test_f1": 0.4654}}})
    assert tables.splitlines()[0].endswith("| best validation F1 | test F1 |")
    assert "| project | 250 (bf16) | 2.50 | 120 (fp32) | 1.50 | 0.580 | 0.465 |" in tables
    assert "| guide | 100 (fp32) | 1.00 | 80 (fp32) | 1.00 | not measured | not measured |" in tables
