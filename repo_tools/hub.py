"""Whether a run needs the Hugging Face Hub, and whether the Hub answers: the runner's preflight uses these."""
from __future__ import annotations

import os
from pathlib import Path

from ner_helpers.data import offline_mode
from ner_helpers.models import resolve_checkpoint


def is_local_checkpoint(model_checkpoint: str) -> bool:
    """Whether the checkpoint is a folder on this machine (no Hub needed)."""
    return Path(resolve_checkpoint(model_checkpoint)).is_dir()


def hub_reachable(timeout: float = 5.0) -> bool:
    """Whether huggingface.co answers (False at once when HF_HUB_OFFLINE is set)."""
    if offline_mode():
        return False
    import requests

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        requests.head(endpoint, timeout=timeout)
    except requests.RequestException:
        return False
    return True
