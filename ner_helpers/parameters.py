"""The notebooks' parameters: the type and the values each one accepts, checked before anything runs.

Each notebook's `parameters` cell annotates every parameter with the type named here (a test keeps
the two equal), and the notebook's next cell calls `check_parameters`, so a wrong type or an
impossible value (papermill's `-p num_train_epochs 0`, a typo in a sweep's grid) stops the notebook
in its first cells with a message naming the parameter and what it accepts, before anything is read,
trained or written. `make run` and `make sweep` check every notebook's values the same way before
starting the first notebook.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ParameterError

# The split names notebook 01 reads from `data_files` (as datasets names them).
DATA_FILES_SPLITS = ("train", "validation", "test")
TRAIN_SAMPLING_STRATEGIES = ("random", "group_by_length")
REPORT_TO = ("none", "tensorboard")  # Trainer's report_to values notebook 03 accepts (TensorBoard: why in requirements.txt)


@dataclass(frozen=True)
class Rule:
    """One parameter: its type as the parameters cell annotates it, what it accepts, and the check."""

    type: str  # "int", "float", "str", "bool", "dict", "Optional[...]" or "Union[...]" of those
    accepts: str  # said to the user when a value is refused
    check: Callable[[Any], bool] = lambda value: True  # the value's own limits, once its type is right
    path: bool = False  # a folder or file: a pathlib.Path is as good as a str


def _positive(value: Any) -> bool:
    return value is None or (math.isfinite(value) and value > 0)


@dataclass(frozen=True)
class _AtLeast:
    """A lower limit (a class, not a closure: its check runs when a value is checked, where tests can see it)."""

    low: float

    def __call__(self, value: Any) -> bool:
        return value is None or value >= self.low


_at_least = _AtLeast


def _data_files(value: Any) -> bool:
    return value is None or (
        "train" in value
        and set(value) <= set(DATA_FILES_SPLITS)
        and all(isinstance(file, (str, os.PathLike)) for file in value.values())
    )


def _cpu_bf16(value: Any) -> bool:
    return value in (True, False) or value == "auto"


RULES: dict[str, Rule] = {
    # 01_load_data
    "data_dir": Rule("Optional[str]", "a folder holding the WNUT 17 CoNLL files, or None", path=True),
    "data_files": Rule(
        "Optional[dict]",
        f"None, or a dict from split names ({', '.join(DATA_FILES_SPLITS)}; train is required) to CoNLL files, "
        'e.g. {"train": "train.txt", "validation": "dev.txt"}',
        _data_files,
    ),
    "dataset_name": Rule("Optional[str]", "a Hub data set name or the folder of a local copy, or None", path=True),
    "dataset_config": Rule("Optional[str]", "the name of one configuration of dataset_name, or None"),
    "seed": Rule("int", "a whole number from 0 to 2**32 - 1", lambda value: 0 <= value < 2**32),
    "artifacts_dir": Rule("str", "a folder name or path", lambda value: str(value) != "", path=True),
    # 02_preprocess
    "model_checkpoint": Rule("str", 'a Hub model name, a local folder, or "offline-minilm"', lambda value: value != "", path=True),
    "max_train_samples": Rule("Optional[int]", "a whole number of at least 1, or None for all sentences", _at_least(1)),
    "max_eval_samples": Rule("Optional[int]", "a whole number of at least 1, or None for all sentences", _at_least(1)),
    "label_all_tokens": Rule("bool", "True or False"),
    "max_length": Rule("Optional[int]", "a whole number of at least 3 (two special tokens and a word), or None", _at_least(3)),
    # 03_train
    "03_train:model_checkpoint": Rule(
        "Optional[str]", 'None (the checkpoint notebook 02 tokenized for), a Hub model name, a local folder, or "offline-minilm"',
        lambda value: value != "", path=True,
    ),
    "num_train_epochs": Rule("Optional[float]", "a number above 0 (e.g. 2 or 0.5), or None for the recipe's", _positive),
    "learning_rate": Rule("Optional[float]", "a number above 0 (e.g. 2e-5), or None for the recipe's", _positive),
    "per_device_train_batch_size": Rule("int", "a whole number of at least 1", _at_least(1)),
    "weight_decay": Rule("float", "a number of at least 0 (e.g. 0.01)", lambda value: math.isfinite(value) and value >= 0),
    "warmup_steps": Rule(
        "float", "a number of at least 0: below 1 a fraction of the steps, from 1 a number of steps",
        lambda value: math.isfinite(value) and value >= 0,
    ),
    "train_sampling_strategy": Rule(
        "str", " or ".join(repr(s) for s in TRAIN_SAMPLING_STRATEGIES), lambda value: value in TRAIN_SAMPLING_STRATEGIES
    ),
    "cpu_bf16": Rule("Union[bool, str]", "True, False or \"auto\"", _cpu_bf16),
    "freeze_word_embeddings": Rule("bool", "True or False"),
    "resume_from_checkpoint": Rule("bool", "True or False"),
    "final_fit": Rule("bool", "True or False"),
    "push_to_hub": Rule("bool", "True or False"),
    "hub_model_id": Rule("Optional[str]", 'None, or a Hub repository name such as "you/wnut17-distilbert"', lambda value: value != ""),
    "report_to": Rule("str", " or ".join(repr(s) for s in REPORT_TO), lambda value: value in REPORT_TO),
    # 07_going_further_training
    "launch_in_notebook": Rule("bool", "True or False"),
    # 04_evaluate
    "plots_dir": Rule("Optional[str]", "a folder, or None for artifacts_dir/plots", path=True),
    "per_device_eval_batch_size": Rule("int", "a whole number of at least 1", _at_least(1)),
    "examples_per_category": Rule("int", "a whole number of at least 0", _at_least(0)),
    # 05_inference
    "text": Rule("str", "a text (an empty one is allowed)"),
    "batch_size": Rule("int", "a whole number of at least 1", _at_least(1)),
    "texts_file": Rule(
        "Optional[str]", "an existing text file with one text per line (an absolute path, or relative to notebooks/), "
        "or None for the evaluation sentences", lambda value: os.path.isfile(value), path=True,
    ),
    "launch_demo": Rule("bool", "True or False"),
}

_TYPES: dict[str, Callable[[Any], bool]] = {
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "str": lambda value: isinstance(value, str),
    "bool": lambda value: isinstance(value, bool),
    "dict": lambda value: isinstance(value, dict),
}


def rule_for(name: str, notebook: str | None = None) -> Rule:
    """The rule of a parameter; a notebook may give a parameter of the same name its own (03's model_checkpoint)."""
    key = f"{notebook}:{name}"
    if key in RULES:
        return RULES[key]
    if name not in RULES:
        raise KeyError(f"{name} is not a parameter of the notebooks: add it to ner_helpers.parameters.RULES")
    return RULES[name]


def type_members(type_name: str) -> list[str]:
    """The plain types a type name allows: "Optional[int]" -> ["int", "None"], "Union[bool, str]" -> ["bool", "str"]."""
    if type_name.startswith("Optional[") and type_name.endswith("]"):
        return type_members(type_name[len("Optional["):-1]) + ["None"]
    if type_name.startswith("Union[") and type_name.endswith("]"):
        return [member for part in type_name[len("Union["):-1].split(",") for member in type_members(part.strip())]
    return [type_name]


def _has_type(value: Any, rule: Rule) -> bool:
    for member in type_members(rule.type):
        if member == "None" and value is None:
            return True
        if member != "None" and (_TYPES[member](value) or (rule.path and member == "str" and isinstance(value, os.PathLike))):
            return True
    return False


def problem(name: str, value: Any, notebook: str | None = None) -> str | None:
    """What is wrong with one parameter's value, in a sentence that says what it accepts; None when it is fine."""
    rule = rule_for(name, notebook)
    if _has_type(value, rule) and (value is None or rule.check(value)):
        return None
    return f"{name}={value!r} is not accepted: {name} takes {rule.accepts}."


def check_parameters(notebook: str | None = None, **values: Any) -> None:
    """Stop with one message listing every parameter whose value has the wrong type or is impossible.

    Called in each notebook's first cell after the parameters, with every parameter of that notebook;
    `notebook` names it (e.g. "03_train") for the parameters it treats in its own way.
    """
    problems = [message for name, value in values.items() if (message := problem(name, value, notebook))]
    if values.get("push_to_hub") is True and _hub_offline():
        problems.append("push_to_hub=True needs the Hugging Face Hub, but HF_HUB_OFFLINE is set: set push_to_hub=False, "
                        "or unset HF_HUB_OFFLINE and log in (`hf auth login`).")
    if values.get("launch_in_notebook") is True and (gpus := _gpu_count()) < 2:
        problems.append(f"launch_in_notebook=True starts one process per GPU, and this machine has {gpus}: set it False "
                        "(on a CPU or one GPU, notebook 03 trains in one process; `make train-ddp` runs CPU processes).")
    if problems:
        where = f"notebook {notebook}" if notebook else "the notebooks"
        raise ParameterError(  # the problems on the first line: a sweep's results.csv keeps only that line
            " ".join(problems) + f"\nChange the value(s) in the parameters cell of {where} (or the -p / PARAMS / "
            "grid value that set them) and run again."
        )


def _gpu_count() -> int:
    """CUDA GPUs torch sees (imported here: the other checks need no torch)."""
    import torch

    return torch.cuda.device_count()


def _hub_offline() -> bool:
    """Whether huggingface_hub is told to stay offline (it reads HF_HUB_OFFLINE the same way)."""
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in {"1", "ON", "YES", "TRUE"}
