"""The notebooks' parameters, each specified once: its type, default, accepted values and help.

`SPEC` is the one definition. Each notebook's `parameters` cell is written from it (`make regenerate`;
a test keeps them equal), `make run`'s options, the sweep's grid reader and `ner_helpers.distributed_training` read
it, and docs/parameters.md is generated from it. The notebook's next cell calls
`check_notebook("03_train", globals())`: a wrong type, an impossible value or a name no notebook has
(a typo in the cell, a papermill `-p`, a parameter file) stops the notebook in its first cells, with a
message naming the parameter, what it accepts and, for a typo, the nearest known name, before
anything is read, trained or written. `make run` and `make sweep` check every notebook's values the
same way before starting the first notebook.
"""
from __future__ import annotations

import ast
import difflib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .data import SPLITS, offline_mode
from .errors import ParameterError

TRAIN_SAMPLING_STRATEGIES = ("random", "group_by_length")
REPORT_TO = ("none", "tensorboard")  # Trainer's report_to values notebook 03 accepts (TensorBoard: why in requirements.txt)
GUIDE_MODEL = "distilbert/distilbert-base-uncased"  # the guide's checkpoint: notebook 02's default


def _any(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter: what its line in the `parameters` cell says, and what it accepts."""

    name: str
    type: str  # "int", "float", "str", "bool", "dict", "Optional[...]" or "Union[...]" of those
    default: Any
    help: str  # the comment on its line in the parameters cell
    accepts: str  # said to the user when a value is refused
    notebooks: tuple[str, ...]  # the notebooks whose parameters cell declares it
    check: Callable[[Any], bool] = _any  # the value's own limits, once its type is right
    path: bool = False  # a folder or file: a pathlib.Path is as good as a str, and `~` is the home folder

    def line(self) -> str:
        """Its line in a notebook's parameters cell (papermill reads the quoted annotation as the type)."""
        annotation = self.type if self.type in _TYPES else f'"{self.type}"'
        default = json.dumps(self.default, ensure_ascii=False) if isinstance(self.default, str) else repr(self.default)
        return f"{self.name}: {annotation} = {default}  # {self.help}"


def _positive(value: Any) -> bool:
    return math.isfinite(value) and value > 0


def _finite_at_least_zero(value: Any) -> bool:
    return math.isfinite(value) and value >= 0


@dataclass(frozen=True)
class _AtLeast:
    """A lower limit (a class, not a closure: its check runs when a value is checked, where tests can see it)."""

    low: float

    def __call__(self, value: Any) -> bool:
        return value >= self.low


def _data_files(value: Any) -> bool:
    return "train" in value and set(value) <= set(SPLITS) and all(isinstance(f, (str, os.PathLike)) for f in value.values())


def _cpu_bf16(value: Any) -> bool:
    return value in (True, False) or value == "auto"


def _non_empty(value: Any) -> bool:
    return str(value) != ""


def _is_file(value: Any) -> bool:
    return os.path.isfile(os.path.expanduser(value))


_BOOL = "True or False"
LESSON_01, LESSON_02, LESSON_03, LESSON_04, LESSON_05 = "01_load_data", "02_preprocess", "03_train", "04_evaluate", "05_inference"
COMPARE, FURTHER_TRAINING, FURTHER_INFERENCE = "06_compare_runs", "07_going_further_training", "08_going_further_inference"

SPEC: tuple[Parameter, ...] = (
    # 01_load_data
    Parameter("data_dir", "Optional[str]", None,
              "folder with wnut17train.conll, emerging.dev.conll, emerging.test.annotated; None means the Hub",
              "a folder holding the WNUT 17 CoNLL files, or None", (LESSON_01,), path=True),
    Parameter("data_files", "Optional[dict]", None,
              'your own CoNLL or annotation files by split, e.g. {"train": "train.txt", "validation": "dev.txt", "test": "test.txt"}',
              f"None, or a dict from split names ({', '.join(SPLITS)}; train is required) to files, "
              'e.g. {"train": "train.txt", "validation": "dev.txt"}', (LESSON_01,), _data_files),
    Parameter("dataset_name", "Optional[str]", None,
              'a Hub data set with `tokens` and `ner_tags` columns (e.g. "eriktks/conll2003"), or a local copy of one',
              "a Hub data set name or the folder of a local copy, or None", (LESSON_01,), path=True),
    Parameter("dataset_config", "Optional[str]", None,
              'the configuration of dataset_name, if it has several (e.g. "en" for wikiann)',
              "the name of one configuration of dataset_name, or None", (LESSON_01,)),
    Parameter("seed", "int", 42, "seeds the split of a missing validation set (01), the new head, shuffling and dropout (03)",
              "a whole number from 0 to 2**32 - 1", (LESSON_01, LESSON_03), lambda value: 0 <= value < 2**32),
    Parameter("artifacts_dir", "str", "artifacts", "the folder through which the notebooks hand on their results",
              "a folder name or path", (LESSON_01, LESSON_02, LESSON_03, LESSON_04, LESSON_05, FURTHER_TRAINING, FURTHER_INFERENCE),
              _non_empty, path=True),
    # 02_preprocess
    Parameter("model_checkpoint", "str", GUIDE_MODEL, 'Hub name, local folder, or "offline-minilm"',
              'a Hub model name, a local folder, or "offline-minilm"', (LESSON_02,), _non_empty, path=True),
    Parameter("max_train_samples", "Optional[int]", None, "keep only the first this many training sentences; None means all",
              "a whole number of at least 1, or None for all sentences", (LESSON_02,), _AtLeast(1)),
    Parameter("max_eval_samples", "Optional[int]", None,
              "keep only the first this many validation and test sentences; None means all",
              "a whole number of at least 1, or None for all sentences", (LESSON_02,), _AtLeast(1)),
    Parameter("label_all_tokens", "bool", False, "also label later sub-tokens of a word (with the I- tag) instead of -100",
              _BOOL, (LESSON_02,)),
    Parameter("max_length", "Optional[int]", None, "truncate to this many tokens (at least 3); None means the model's limit",
              "a whole number of at least 3 (two special tokens and a word), or None", (LESSON_02,), _AtLeast(3)),
    # 03_train
    Parameter("model_checkpoint", "Optional[str]", None,
              "None: the checkpoint notebook 02 tokenized for (another one stops the notebook: rerun 02 with it)",
              'None (the checkpoint notebook 02 tokenized for), or that same checkpoint\'s name or folder',
              (LESSON_03,), _non_empty, path=True),
    Parameter("num_train_epochs", "Optional[float]", None,
              "passes over the training split; None: 2 (the guide), 3 for offline-minilm",
              "a number above 0 (e.g. 2 or 0.5), or None for the recipe's", (LESSON_03,), _positive),
    Parameter("learning_rate", "Optional[float]", None, "peak learning rate of AdamW; None: 2e-5 (the guide), 1e-4 for offline-minilm",
              "a number above 0 (e.g. 2e-5), or None for the recipe's", (LESSON_03,), _positive),
    Parameter("per_device_train_batch_size", "int", 16, "sentences per training step (and process)",
              "a whole number of at least 1", (LESSON_03, FURTHER_TRAINING), _AtLeast(1)),
    Parameter("weight_decay", "float", 0.01, "AdamW weight decay", "a number of at least 0 (e.g. 0.01)", (LESSON_03,),
              _finite_at_least_zero),
    Parameter("warmup_steps", "float", 0.0, "below 1: fraction of the steps spent warming up the learning rate",
              "a number of at least 0: below 1 a fraction of the steps, from 1 a number of steps", (LESSON_03,),
              _finite_at_least_zero),
    Parameter("train_sampling_strategy", "str", "random", '"random" (the guide) or "group_by_length" (less padding, faster)',
              " or ".join(repr(s) for s in TRAIN_SAMPLING_STRATEGIES), (LESSON_03,), lambda value: value in TRAIN_SAMPLING_STRATEGIES),
    Parameter("cpu_bf16", "Union[bool, str]", False,
              'True or "auto": bfloat16 autocast on the CPU; "auto" only where the CPU has native bf16 (AVX512-BF16, AMX)',
              'True, False or "auto"', (LESSON_03,), _cpu_bf16),
    Parameter("freeze_word_embeddings", "bool", False,
              "True: keep the pretrained word embeddings as they are (shorter steps on a CPU)", _BOOL, (LESSON_03,)),
    Parameter("resume_from_checkpoint", "bool", False, "True: continue from the last checkpoint in artifacts_dir/checkpoints",
              _BOOL, (LESSON_03,)),
    Parameter("final_fit", "bool", False, "True: afterwards retrain the best number of epochs on train + validation",
              _BOOL, (LESSON_03,)),
    Parameter("push_to_hub", "bool", False, "True: upload the model to the Hub (needs `hf auth login`)", _BOOL, (LESSON_03,)),
    Parameter("hub_model_id", "Optional[str]", None, "repository name on the Hub when push_to_hub is True",
              'None, or a Hub repository name such as "you/wnut17-distilbert"', (LESSON_03,), _non_empty),
    Parameter("report_to", "str", "none",
              '"none", or "tensorboard": live training curves in artifacts_dir/tensorboard (notebook 07 says how to open them)',
              " or ".join(repr(s) for s in REPORT_TO), (LESSON_03,), lambda value: value in REPORT_TO),
    # 04_evaluate
    Parameter("plots_dir", "Optional[str]", None, "where the PNG plots go; None means artifacts_dir/plots",
              "a folder, or None for artifacts_dir/plots", (LESSON_04,), path=True),
    Parameter("per_device_eval_batch_size", "int", 32, "sentences per evaluation step", "a whole number of at least 1",
              (LESSON_04,), _AtLeast(1)),
    Parameter("examples_per_category", "int", 3, "errors to show for each kind of error", "a whole number of at least 0",
              (LESSON_04,), _AtLeast(0)),
    # 05_inference
    Parameter("text", "str", "Zendaya and Timothee Chalamet watched SZA at Glastonbury",
              "rare names that split into sub-words; the guide's own example is judged in notebook 08, section 7",
              "a text (an empty one is allowed)", (LESSON_05,)),
    Parameter("batch_size", "int", 32, "texts per forward pass in batch inference", "a whole number of at least 1",
              (LESSON_05, FURTHER_INFERENCE), _AtLeast(1)),
    Parameter("texts_file", "Optional[str]", None,
              "a text file, one text per line, to pre-annotate; None: the evaluation sentences notebook 02 kept",
              "an existing text file with one text per line (an absolute path, or relative to notebooks/), "
              "or None for the evaluation sentences", (LESSON_05,), _is_file, path=True),
    Parameter("launch_demo", "bool", False, "True: serve the model in a web page (Gradio) at the end", _BOOL, (LESSON_05,)),
    # 06_compare_runs
    Parameter("run_dir", "str", "../runs/sweep-offline-lr-batch",
              "a sweep's folder (results.csv) or a folder of `make run` runs; relative to notebooks/",
              "a folder of runs or a sweep's folder", (COMPARE,), _non_empty, path=True),
    Parameter("plots_dir", "Optional[str]", None, "where the PNG plot goes; None means run_dir/plots",
              "a folder, or None for run_dir/plots", (COMPARE,), path=True),
    # 07_going_further_training
    Parameter("launch_in_notebook", "bool", False,
              "True in a fresh kernel on a machine with several GPUs: section 4 trains there", _BOOL, (FURTHER_TRAINING,)),
)

NOTEBOOKS: tuple[str, ...] = tuple(sorted({notebook for parameter in SPEC for notebook in parameter.notebooks}))
# The releases each notebook's first check prints (with ner_helpers'): compare them with requirements.txt.
RELEASES: dict[str, tuple[str, ...]] = {
    LESSON_01: ("datasets", "seqeval"),
    LESSON_02: ("transformers", "tokenizers", "datasets"),
    LESSON_03: ("torch", "transformers", "accelerate", "datasets", "seqeval"),
    LESSON_04: ("torch", "transformers", "seqeval", "matplotlib"),
    LESSON_05: ("torch", "transformers"),
    COMPARE: ("pandas", "matplotlib"),
    FURTHER_TRAINING: ("torch", "transformers", "accelerate"),
    FURTHER_INFERENCE: ("torch", "transformers", "evaluate", "seqeval", "nltk"),
}
# The classroom notebook runs the five lessons in one kernel, with one parameters cell for all of them.
ALL_IN_ONE = "all_in_one"
LESSONS = (LESSON_01, LESSON_02, LESSON_03, LESSON_04, LESSON_05)


def parameters_of(notebook: str) -> dict[str, Parameter]:
    """The parameters a notebook declares, in the order of its parameters cell ("all_in_one": the five
    lessons' parameters, each once, the first lesson's version winning)."""
    names = LESSONS if notebook == ALL_IN_ONE else (notebook,)
    if not set(names) <= set(NOTEBOOKS):
        raise KeyError(f"{notebook} is not a notebook with parameters: one of {', '.join(NOTEBOOKS + (ALL_IN_ONE,))}")
    own: dict[str, Parameter] = {}
    for name in names:
        for parameter in SPEC:
            if name in parameter.notebooks:
                own.setdefault(parameter.name, parameter)
    return own


def defaults(notebook: str) -> dict[str, Any]:
    """A notebook's parameters with their default values."""
    return {name: parameter.default for name, parameter in parameters_of(notebook).items()}


def known_names() -> set[str]:
    """Every parameter name some notebook declares."""
    return {parameter.name for parameter in SPEC}


def owners(name: str) -> list[str]:
    """The notebooks that declare a parameter of this name."""
    return [notebook for notebook in NOTEBOOKS if name in parameters_of(notebook)]


def parameters_cell(notebook: str) -> str:
    """The source of a notebook's `parameters` cell, one parameter per line with its type and help."""
    return "\n".join(parameter.line() for parameter in parameters_of(notebook).values())


def unknown_names(names: Iterable[str], notebooks: Iterable[str], source: str) -> dict[str, str]:
    """A sentence for each name that none of `notebooks` declares, naming `source` (a file, a cell, an
    option) and the nearest known name, or the notebook that does declare it."""
    notebooks = list(notebooks)
    allowed = {name for notebook in notebooks for name in parameters_of(notebook)}
    problems = {}
    for name in names:
        if name in allowed:
            continue
        elsewhere = [n for n in owners(name) if n not in notebooks]
        if elsewhere:
            problems[name] = (f"`{name}` in {source} is a parameter of {', '.join(elsewhere)}, not of "
                              f"{', '.join(notebooks)}: set it for that notebook.")
            continue
        nearest = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
        hint = f"did you mean `{nearest[0]}`?" if nearest else f"the parameters are: {', '.join(sorted(allowed))}."
        problems[name] = f"`{name}` in {source}: no notebook has it; {hint}"
    return problems


_TYPES: dict[str, Callable[[Any], bool]] = {
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "str": lambda value: isinstance(value, str),
    "bool": lambda value: isinstance(value, bool),
    "dict": lambda value: isinstance(value, dict),
}


def type_members(type_name: str) -> list[str]:
    """The plain types a type name allows: "Optional[int]" -> ["int", "None"], "Union[bool, str]" -> ["bool", "str"]."""
    if type_name.startswith("Optional[") and type_name.endswith("]"):
        return type_members(type_name[len("Optional["):-1]) + ["None"]
    if type_name.startswith("Union[") and type_name.endswith("]"):
        return [member for part in type_name[len("Union["):-1].split(",") for member in type_members(part.strip())]
    return [type_name]


def _has_type(value: Any, parameter: Parameter) -> bool:
    for member in type_members(parameter.type):
        if member == "None" and value is None:
            return True
        if member != "None" and (_TYPES[member](value) or (parameter.path and member == "str" and isinstance(value, os.PathLike))):
            return True
    return False


def problem(parameter: Parameter, value: Any) -> str | None:
    """What is wrong with one parameter's value, in a sentence that says what it accepts; None when it is fine."""
    if _has_type(value, parameter) and (value is None or parameter.check(value)):
        return None
    return f"{parameter.name}={value!r} is not accepted: {parameter.name} takes {parameter.accepts}."


def check_parameters(notebook: str, source: str | None = None, **values: Any) -> None:
    """Stop with one ParameterError listing every refused value: a name `notebook` does not declare, a
    wrong type, an impossible value, or a setting this machine cannot honour.

    `source` says where the values came from (a parameter file, "the parameters cell"), for the message.
    """
    declared = parameters_of(notebook)
    problems = unknown_names(values, [notebook], source or f"the parameters of notebook {notebook}")
    for name, value in values.items():
        if name in declared and (message := problem(declared[name], value)):
            problems[name] = message
    if values.get("push_to_hub") is True and offline_mode():
        problems["push_to_hub"] = ("push_to_hub=True needs the Hugging Face Hub, but HF_HUB_OFFLINE is set: set "
                                   "push_to_hub=False, or unset HF_HUB_OFFLINE and log in (`hf auth login`).")
    if values.get("launch_in_notebook") is True and (gpus := _gpu_count()) < 2:
        problems["launch_in_notebook"] = (
            f"launch_in_notebook=True starts one process per GPU, and this machine has {gpus}: set it False "
            "(on a CPU or one GPU, notebook 03 trains in one process; `make train-ddp` runs CPU processes).")
    if problems:
        raise ParameterError(  # the problems on the first line: a sweep's results.csv keeps only that line
            " ".join(problems.values()) + f"\nChange the value(s) in the parameters cell of notebook {notebook} (or the "
            "-p / PARAMS / grid value that set them) and run again.",
            parameters=list(problems),
        )


# IPython keeps the source of every cell run in the kernel in `In`; papermill's injected cell starts with this line.
_PAPERMILL_CELL = "# Parameters"


def _assignments(source: str) -> list[str] | None:
    """The names a cell assigns when it holds nothing but `name = literal` lines (a parameters cell), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = []
    for statement in tree.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.append(statement.target.id)
        elif isinstance(statement, ast.Assign) and all(isinstance(target, ast.Name) for target in statement.targets):
            names += [target.id for target in statement.targets]
        else:
            return None
        try:
            ast.literal_eval(statement.value) if statement.value is not None else None
        except ValueError:
            return None
    return names


def names_set_in_cells(cells: Iterable[str], notebook: str) -> dict[str, str]:
    """The names set in the parameters cells the kernel ran last, each with where it was set: the last cell of
    literal assignments that sets one of the notebook's parameters ("the parameters cell", which a learner
    edits and may run again after fixing a typo) and papermill's injected cells ("papermill's -p") after it."""
    declared = parameters_of(notebook)
    cells = list(cells)
    parsed = [(_assignments(source), source.lstrip().startswith(_PAPERMILL_CELL)) for source in cells]
    edited = [i for i, (names, injected) in enumerate(parsed) if names and not injected and set(names) & set(declared)]
    found: dict[str, str] = {}
    for names, injected in parsed[edited[-1] if edited else 0:]:
        if names and (injected or set(names) & set(declared)):
            for name in names:
                found.setdefault(name, "papermill's -p" if injected else "the parameters cell")
    return found


def check_notebook(notebook: str, namespace: Mapping[str, Any]) -> None:
    """Check, in a notebook's first cell after its parameters, every parameter the notebook declares and every
    name set beside them (a typo, or another notebook's parameter), then print the releases the notebook runs
    with: called as `check_notebook("03_train", globals())`."""
    declared = parameters_of(notebook)
    missing = [name for name in declared if name not in namespace]
    if missing:
        raise ParameterError(f"The parameters cell of notebook {notebook} lacks {', '.join(missing)}: put the line(s) back "
                             "(docs/parameters.md lists each with its default).", parameters=missing)
    extra = {name: where for name, where in names_set_in_cells(namespace.get("In", []), notebook).items() if name not in declared}
    if extra:  # names the notebook does not declare: refused, naming where they were set
        check_parameters(notebook, " and ".join(sorted(set(extra.values()))), **{name: namespace.get(name) for name in extra})
    check_parameters(notebook, "the parameters cell", **{name: namespace[name] for name in declared})
    names = LESSONS if notebook == ALL_IN_ONE else (notebook,)
    print_versions(*dict.fromkeys(package for name in names for package in RELEASES[name]), "ner_helpers")


def _gpu_count() -> int:
    """CUDA GPUs torch sees (imported here: the other checks need no torch)."""
    import torch

    return torch.cuda.device_count()


def read_parameter_file(path: str | Path) -> dict[str, Any]:
    """The mapping of notebook parameters in a YAML file (`PARAMS=`, `--params`); ParameterError when it is missing
    or holds no mapping. Unknown names are the caller's to refuse (`ner_helpers.parameters.unknown_names`)."""
    import yaml

    path = Path(path).expanduser()
    if not path.is_file():
        raise ParameterError(f"Parameter file {path} not found: give a YAML file of notebook parameters, "
                             "e.g. params/offline-minilm.yaml.")
    given = yaml.safe_load(path.read_text()) or {}
    if not isinstance(given, dict):
        raise ParameterError(f"{path} must hold a mapping of notebook parameters (name: value), not {type(given).__name__}.")
    return given


def print_versions(*packages: str) -> None:
    """Print the installed release of each package: what a notebook ran with, to compare with requirements.txt."""
    from importlib.metadata import version

    print("  ".join(f"{package} {version(package)}" for package in packages))
