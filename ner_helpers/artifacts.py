"""What each notebook leaves under `artifacts_dir`, and a clear error when it is missing."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import MissingArtifactError

# artifact name (relative to artifacts_dir) -> notebook that writes it
PRODUCED_BY: dict[str, str] = {
    "dataset": "01_load_data.ipynb",
    "tokenized": "02_preprocess.ipynb",
    "preprocess.json": "02_preprocess.ipynb",
    "model": "03_train.ipynb",
    "log_history.json": "03_train.ipynb",
    "test_metrics.json": "04_evaluate.ipynb",
}


def require_artifact(artifacts_dir: str | os.PathLike, name: str) -> Path:
    """The path of an earlier notebook's output, or an error naming the notebook to run first."""
    path = Path(artifacts_dir) / name
    if not path.exists():
        notebook = PRODUCED_BY.get(name, "the earlier notebooks")
        raise MissingArtifactError(
            f"{path} not found: it is written by notebooks/{notebook}. Run that notebook first "
            f"(with the same artifacts_dir={str(artifacts_dir)!r}), then run this one again."
        )
    return path
