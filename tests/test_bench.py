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
    report, rounds = bench.training_throughput(recipes, tokenized, tokenizer, sentences_per_round=8, min_rounds=2,
                                               max_rounds=2, warmup_steps=1)
    grouped, random = report["project"], report["guide"]
    assert 0 <= grouped["padding_fraction"] < random["padding_fraction"] < 1
    for r in report.values():  # 2 rounds of 8 sentences in batches of 4
        assert r["steps"] == 4 and r["real_tokens_per_second"] > 0 and 0 <= r["optimizer_ms_per_step"] < r["ms_per_step"]
        assert len(r["rounds_real_tokens_per_second"]) == 2 and r["spread"] >= 0
    assert rounds["rounds"] == 2 and rounds["stopped"] in ("stable", "rounds")
    assert random["over_guide"] == {"median": 1.0, "low": 1.0, "high": 1.0, "spread": 0.0}
    assert [v["recipes"] for v in rounds["ranking"]] == [["guide", "project"]]


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
    from repo_tools.notebooks import declared_names

    declared = declared_names(["02_preprocess", "03_train"])
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


# --- quick mode: rounds until they agree, spread, and "cannot rank" --------------------------------

def test_spread_is_highest_minus_lowest_over_the_median():
    assert bench.relative_spread([100, 104, 98, 102]) == pytest.approx(6 / 101)  # median of 98, 100, 102, 104: 101
    assert bench.relative_spread([3, 1, 2]) == pytest.approx(1.0)  # (3 - 1) / 2
    assert bench.relative_spread([250, 250]) == 0


def test_ratio_over_the_guide_pairs_the_two_rates_of_each_round():
    # per round: 200/100 = 2.0, 300/150 = 2.0, 330/110 = 3.0; the medians alone would give 300/110 = 2.73
    interval = bench.ratio_interval([200, 300, 330], [100, 150, 110])
    assert interval["per_round"] == pytest.approx([2.0, 2.0, 3.0])
    assert (interval["median"], interval["low"], interval["high"]) == pytest.approx((2.0, 2.0, 3.0))
    assert interval["spread"] == pytest.approx(0.5)  # (3.0 - 2.0) / 2.0


def test_rounds_go_on_until_the_last_rounds_ratios_agree():
    def stop(project, guide=None, **kw):
        guide = guide or [100] * len(project)
        return bench.stop_reason({"guide": guide, "project": project}, "guide", **{
            "min_rounds": 4, "max_rounds": 10, "spread_limit": 0.05, **kw})

    assert stop([200, 200, 200]) is None  # fewer than 4 rounds
    assert stop([200, 204, 198, 202]) == "stable"  # ratios 2.00-2.04 around 2.01: spread 3.0%
    # a first round hit by a burst: 2.6, 2.0, 2.04, 1.98 around 2.02 spread 31%; a fifth round leaves it out
    assert stop([260, 200, 204, 198]) is None
    assert stop([260, 200, 204, 198, 202]) == "stable"
    # a burst that slows both recipes of a round does not matter: ratios 2.0, 2.0, 2.02, 1.98
    assert stop([200, 100, 202, 198], guide=[100, 50, 100, 100]) == "stable"
    # two recipes at 40 s each: the budget is 80 s in all
    assert stop([260, 200, 204, 198], elapsed=79.0, budget_seconds=40) is None
    assert stop([260, 200, 204, 198], elapsed=80.0, budget_seconds=40) == "budget"
    assert stop([260, 200, 204, 198], max_rounds=4) == "rounds"
    # every recipe must agree, not just one
    rates = {"guide": [100] * 4, "project": [200, 204, 198, 202], "other": [150, 120, 150, 150]}
    assert bench.stop_reason(rates, "guide", 4, 10, 0.05) is None


def test_rounds_interleave_the_recipes_and_stop_once_they_agree():
    project = [260, 200, 204, 198, 202, 300]  # per round; the sixth is never reached
    calls = []

    def time_round(name, r):
        calls.append((name, r))
        return 100.0 if name == "guide" else project[r]

    rates, reason = bench.interleaved_rounds(["guide", "project"], time_round, min_rounds=4, max_rounds=10,
                                             spread_limit=0.05)
    assert calls == [("guide", 0), ("project", 0), ("guide", 1), ("project", 1), ("guide", 2), ("project", 2),
                     ("guide", 3), ("project", 3), ("guide", 4), ("project", 4)]
    assert reason == "stable" and rates == {"guide": [100.0] * 5, "project": [260, 200, 204, 198, 202]}


def test_rounds_that_never_agree_stop_when_the_budget_is_spent():
    now = [0.0]

    def time_round(name, r):
        now[0] += 10.0  # every recipe's round takes 10 s
        return 100.0 if name == "guide" else (200.0 if r % 2 == 0 else 240.0)  # ratios 2.0, 2.4: spread 18%

    rates, reason = bench.interleaved_rounds(["guide", "project"], time_round, min_rounds=2, max_rounds=10,
                                             spread_limit=0.05, budget_seconds=25, clock=lambda: now[0])
    # budget 2 x 25 = 50 s: after round 2 40 s were spent, after round 3 60 s
    assert reason == "budget" and rates["project"] == [200.0, 240.0, 200.0] and now[0] == 60.0


def test_recipes_whose_ratios_overlap_or_scatter_cannot_be_ranked():
    intervals = {
        "guide": {"low": 1.0, "high": 1.0, "spread": 0.0},
        "project": {"low": 2.79, "high": 2.91, "spread": 0.042},
        "frozen": {"low": 2.85, "high": 2.98, "spread": 0.045},  # overlaps project's 2.79-2.91
        "scattered": {"low": 0.5, "high": 0.7, "spread": 0.333},  # below 1 in every round, but spread above 5%
        "same": {"low": 0.97, "high": 1.01, "spread": 0.04},  # includes the guide's 1.0
    }
    ranking = {tuple(v["recipes"]): v for v in bench.rank(intervals, spread_limit=0.05)}
    assert len(ranking) == 10
    ranked = {pair: (v["faster"], v["slower"]) for pair, v in ranking.items() if v["ranked"]}
    assert ranked == {("guide", "project"): ("project", "guide"), ("guide", "frozen"): ("frozen", "guide"),
                      ("project", "same"): ("project", "same"), ("frozen", "same"): ("frozen", "same"),
                      ("guide", "scattered"): ("guide", "scattered"), ("project", "scattered"): ("project", "scattered"),
                      ("frozen", "scattered"): ("frozen", "scattered"), ("scattered", "same"): ("same", "scattered")}
    assert "caution" not in ranking["guide", "project"]
    assert "overlap (2.79-2.91 and 2.85-2.98)" in ranking["project", "frozen"]["reason"]
    assert "overlap (1.00-1.00 and 0.97-1.01)" in ranking["guide", "same"]["reason"]
    assert ranking["guide", "scattered"]["caution"] == \
        "scattered's ratio over the guide varies by 33% between rounds (more than 5%): its size is uncertain"
    assert bench.ranking_lines([ranking["guide", "scattered"]], quick=True) == [
        "guide is faster than scattered in every round, but scattered's ratio over the guide varies by 33% between "
        "rounds (more than 5%): its size is uncertain"]
    # intervals that only touch still overlap
    touching = bench.rank({"guide": intervals["guide"], "touch": {"low": 1.0, "high": 1.04, "spread": 0.04}}, 0.05)
    assert touching[0]["ranked"] is False
    lines = bench.ranking_lines([ranking["guide", "project"], ranking["project", "frozen"]], quick=True)
    assert lines[0] == "project is faster than guide"
    assert lines[1].startswith("CANNOT RANK project and frozen: their ratios over the guide overlap")
    assert lines[1].endswith("run the full `make bench` on a quiet machine")


def test_a_busy_machine_is_named_at_the_start():
    assert bench.load_warning(0.9, 2) is None
    assert bench.load_warning(1.0, 2).startswith("load average 1.00 on 2 cores at the start: other work is running")
    assert bench.load_warning(3.5, 8) is None


def test_every_round_draws_from_each_stratum_of_batches():
    import numpy as np

    lengths = [40, 10, 30, 20, 15, 35]  # one sentence per batch: the faster strata are the longer ones
    batches = [[i] for i in range(6)]
    rounds = bench.stratified_rounds(batches, lengths, steps=2, rounds=3, rng=np.random.default_rng(0))
    short, long = {1, 3, 4}, {0, 2, 5}  # lengths 10, 20, 15 and 40, 30, 35
    for chunk in rounds:
        assert {chunk[0][0], chunk[1][0]} & short and {chunk[0][0], chunk[1][0]} & long
    assert sorted(b[0] for chunk in rounds for b in chunk) == [0, 1, 2, 3, 4, 5]  # no batch twice


def test_throughput_rounds_with_a_fake_clock_interleave_and_stop(sample_dir, tiny_model_dir):
    """The whole quick-mode loop on real batches, with a timing function that trains nothing."""
    from datasets import concatenate_datasets

    _, tokenized, tokenizer = bench.tokenize(str(sample_dir), str(tiny_model_dir))
    tokenized["train"] = concatenate_datasets([tokenized["train"]] * 10)  # 210 sentences
    lengths = [len(ids) for ids in tokenized["train"]["input_ids"]]
    recipes = {"guide": recipe(tiny_model_dir, "random", batch_size=4),
               "project": recipe(tiny_model_dir, "group_by_length", batch_size=2)}
    rate = {4: 100.0, 2: 250.0}  # real tokens per second, told apart by batch size
    calls = []

    def fake_time_batches(r, train, tokenizer, batches, warmup):
        calls.append((r["per_device_train_batch_size"], batches))
        real = sum(lengths[i] for b in batches for i in b)
        return real / rate[len(batches[0])], 0.0

    report, rounds = bench.training_throughput(recipes, tokenized, tokenizer, sentences_per_round=8, min_rounds=3,
                                               max_rounds=6, spread_limit=0.05, time_batches=fake_time_batches)
    # every round agrees exactly, so the rounds stop at the third: guide, project, guide, project, guide, project
    assert [size for size, _ in calls] == [4, 2, 4, 2, 4, 2]
    assert [len(batches) for _, batches in calls] == [2, 4] * 3  # 8 sentences: 2 batches of 4, 4 of 2
    guide_batches = [tuple(b) for size, batches in calls if size == 4 for b in batches]
    assert len(set(guide_batches)) == 6  # no batch timed twice
    assert rounds["rounds"] == 3 and rounds["stopped"] == "stable" and rounds["can_rank_all"]
    assert report["guide"]["real_tokens_per_second"] == pytest.approx(100.0)
    assert report["project"]["over_guide"]["median"] == pytest.approx(2.5)  # 250 / 100
    assert report["project"]["spread"] == pytest.approx(0.0) and report["project"]["steps"] == 12
    assert bench.ranking_lines(rounds["ranking"], quick=True) == ["project is faster than guide"]


def quick_report():
    """A quick report as the bench writes it, every figure different: the project outruns the guide,
    the frozen recipe's rounds overlap the project's."""
    def recipe_figures(rate, rate_spread, median, low, high, spread, precision):
        return {"real_tokens_per_second": rate, "spread": rate_spread, "padding_fraction": 0.4, "ms_per_step": 150.0,
                "optimizer_ms_per_step": 40.0, "real_tokens_per_step": 240.0, "precision": precision,
                "over_guide": {"median": median, "low": low, "high": high, "spread": spread}}

    view = {"aten_cpu_capability": "AVX512", "onednn_bf16_supported": True, "threads": 2}
    throughput = {"guide": recipe_figures(1000.0, 0.031, 1.0, 1.0, 1.0, 0.0, "fp32"),
                  "project": recipe_figures(2850.0, 0.017, 2.85, 2.79, 2.91, 0.042, "bf16"),
                  "frozen": recipe_figures(2900.0, 0.026, 2.9, 2.85, 2.98, 0.045, "bf16")}
    ranking = [{"recipes": ["guide", "project"], "ranked": True, "faster": "project", "slower": "guide"},
               {"recipes": ["guide", "frozen"], "ranked": True, "faster": "frozen", "slower": "guide"},
               {"recipes": ["project", "frozen"], "ranked": False,
                "reason": "their ratios over the guide overlap (2.79-2.91 and 2.85-2.98)"}]
    rounds = {"rounds": 5, "used": 4, "stopped": "stable", "ranking": ranking,
              "stopped_because": "the last 4 rounds agree: every ratio over the guide within 5%"}
    return {"machine": {"cpu_count": 2, "torch": "x", "gpu": None}, "date": "d", "load_average_at_start": [1.6],
            "processor": {"name": "Fake CPU", "instruction_set": bench.instruction_set({"avx2", "avx512f", "avx512_bf16"})},
            "quick": True, "warnings": ["load average 1.60 on 2 cores at the start: other work is running",
                                        "pass 'native': CANNOT RANK project and frozen"],
            "passes": {"native": {"torch": view, "throughput": throughput, "throughput_rounds": rounds}}}


def test_quick_table_prints_spreads_intervals_and_what_it_cannot_rank(capsys):
    bench.print_table(quick_report())
    printed = capsys.readouterr().out
    assert printed.split("real tokens / s (median of rounds)")[1].split()[:3] == ["1000.0", "2850.0", "2900.0"]
    assert printed.split("spread of rounds (max-min)")[1].split()[:3] == ["3.1%", "1.7%", "2.6%"]
    assert printed.split("over the guide (median)")[1].split()[:3] == ["1.00", "2.85", "2.90"]
    assert printed.split("lowest-highest round")[1].split()[:3] == ["1.00-1.00", "2.79-2.91", "2.85-2.98"]
    assert "rounds: 5, the recipes in turn, 4 last used; stopped: the last 4 rounds agree" in printed
    assert "  project is faster than guide\n" in printed
    assert ("CANNOT RANK project and frozen: their ratios over the guide overlap (2.79-2.91 and 2.85-2.98); "
            "run the full `make bench` on a quiet machine") in printed
    assert printed.rstrip().splitlines()[-2:] == ["WARNING: load average 1.60 on 2 cores at the start: other work is running",
                                                  "WARNING: pass 'native': CANNOT RANK project and frozen"]


def test_readme_tables_give_the_interval_and_what_cannot_be_ranked():
    tables = bench.markdown_tables(quick_report())
    assert "| guide | 1000 (fp32) | 1.00 |" in tables
    assert "| project | 2850 (bf16) | 2.85 (2.79-2.91) |" in tables
    assert ("- native: CANNOT RANK project and frozen: their ratios over the guide overlap (2.79-2.91 and 2.85-2.98); "
            "run the full `make bench` on a quiet machine") in tables
