"""A tiny BERT, a tiny DistilBERT and their WordPiece tokenizer built from local text, for tests and the CI
notebook runs.

Nothing is downloaded: the tokenizer is trained on the given CoNLL files and the model weights
are random. `python tests/tiny_model.py OUT_DIR --data-dir tests/data/sample_wnut17 [--distilbert]`
(tests/conftest.py builds both for the tests, `make expected-notebooks` the BERT for the nbval copies).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable, Sequence

from ner_helpers.conll import read_conll
from ner_helpers.data import WNUT17_LABELS


def build_tiny_tokenizer(words: Iterable[str], vocab_size: int = 400, model_input_names: Sequence[str] | None = None) -> object:
    """A fast uncased WordPiece tokenizer (BERT style) with a vocabulary drawn from `words`.

    `model_input_names`: what it returns (and saves in tokenizer_config.json); None keeps transformers'
    default, which in transformers 5 has no token_type_ids although a real BERT tokenizer returns them.

    The vocabulary is every character (alone and as a `##` continuation) plus the words seen at
    least twice, most frequent first, ties broken alphabetically: rarer words split into pieces, as
    in a real vocabulary, and unlike a trained vocabulary it is the same on every run, so the
    notebooks' tokenized examples can be checked against stored outputs.
    """
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    pieces = Counter(
        piece for word in words for piece, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(word))
    )
    chars = sorted({c for piece in pieces for c in piece})
    vocab = specials + chars + ["##" + c for c in chars]
    frequent = sorted((p for p in pieces if len(p) > 1 and pieces[p] > 1), key=lambda p: (-pieces[p], p))
    vocab += frequent[: max(0, vocab_size - len(vocab))]

    backend = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizer
    backend.decoder = decoders.WordPiece()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab.index("[CLS]")), ("[SEP]", vocab.index("[SEP]"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
        **({} if model_input_names is None else {"model_input_names": list(model_input_names)}),
    )


def sample_words(data_dir: str | Path) -> list[str]:
    """Every token of the CoNLL files (.conll, .annotated) in `data_dir`, the tiny tokenizer's training text."""
    return [
        token
        for path in sorted(Path(data_dir).iterdir())
        if path.is_file() and path.suffix in (".conll", ".annotated")
        for tokens, _ in read_conll(path)[0]
        for token in tokens
    ]


# The tiny encoders' size: 2 layers of width 32 with 2 heads and 64 positions, in each family's own config names.
TINY_BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
TINY_DISTILBERT = dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=64, sinusoidal_pos_embds=False)


def build_tiny_model(out_dir: str | Path, data_dir: str | Path, seed: int = 0) -> Path:
    """Save a tiny token-classification BERT (random weights, 64 positions) and its tokenizer, which returns
    `token_type_ids` as a real BERT's does (the DistilBERT one does not: the tests see both)."""
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    tokenizer = build_tiny_tokenizer(sample_words(data_dir), model_input_names=BertTokenizer.model_input_names)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        **TINY_BERT,
        num_labels=len(WNUT17_LABELS),
        id2label=dict(enumerate(WNUT17_LABELS)),
        label2id={label: i for i, label in enumerate(WNUT17_LABELS)},
        pad_token_id=tokenizer.pad_token_id,
    )
    return save_tiny(BertForTokenClassification(config), tokenizer, out_dir)


def build_tiny_distilbert(out_dir: str | Path, data_dir: str | Path, seed: int = 0) -> Path:
    """Save a tiny DistilBERT (random weights, 64 positions) the way distilbert/distilbert-base-uncased is saved:
    a `DistilBertForMaskedLM` without labels, and a tokenizer without token_type_ids. Loaded for token
    classification it reports what the guide's checkpoint does: the masked-LM head (`vocab_transform`,
    `vocab_layer_norm`, `vocab_projector`) UNEXPECTED, the `classifier` MISSING, and no pooler."""
    import torch
    from transformers import DistilBertConfig, DistilBertForMaskedLM, DistilBertTokenizer

    # DistilBERT's own tokenizer class names its inputs: input_ids and attention_mask, no token_type_ids.
    tokenizer = build_tiny_tokenizer(sample_words(data_dir), model_input_names=DistilBertTokenizer.model_input_names)
    torch.manual_seed(seed)
    config = DistilBertConfig(vocab_size=len(tokenizer), **TINY_DISTILBERT, pad_token_id=tokenizer.pad_token_id)
    return save_tiny(DistilBertForMaskedLM(config), tokenizer, out_dir)


def save_tiny(model: object, tokenizer: object, out_dir: str | Path) -> Path:
    """Save a model and its tokenizer in one folder, as a checkpoint is published."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--data-dir", required=True, help="folder of CoNLL files to train the tokenizer on")
    parser.add_argument("--distilbert", action="store_true", help="a DistilBERT (as distilbert-base-uncased is saved) instead of a BERT")
    args = parser.parse_args()
    build = build_tiny_distilbert if args.distilbert else build_tiny_model
    print(build(args.out_dir, args.data_dir))


if __name__ == "__main__":
    main()
