"""A tiny BERT and WordPiece tokenizer built from local text, for tests and the CI notebook run.

Nothing is downloaded: the tokenizer is trained on the given CoNLL files and the model weights
are random. `python tests/tiny_model.py OUT_DIR --data-dir tests/data/sample_wnut17`
(tests/conftest.py builds it for the tests, `make expected-notebooks` for the nbval copies).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable

from ner_helpers.conll import read_conll
from ner_helpers.data import WNUT17_LABELS


def build_tiny_tokenizer(words: Iterable[str], vocab_size: int = 400) -> object:
    """A fast uncased WordPiece tokenizer (BERT style) with a vocabulary drawn from `words`.

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
    )


def build_tiny_model(out_dir: str | Path, data_dir: str | Path, seed: int = 0) -> Path:
    """Save a tiny token-classification BERT (random weights, 64 positions) and its tokenizer."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    words = [
        token
        for path in sorted(Path(data_dir).iterdir())
        if path.is_file() and path.suffix in (".conll", ".annotated")
        for tokens, _ in read_conll(path)[0]
        for token in tokens
    ]
    tokenizer = build_tiny_tokenizer(words)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=len(WNUT17_LABELS),
        id2label=dict(enumerate(WNUT17_LABELS)),
        label2id={label: i for i, label in enumerate(WNUT17_LABELS)},
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForTokenClassification(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--data-dir", required=True, help="folder of CoNLL files to train the tokenizer on")
    args = parser.parse_args()
    print(build_tiny_model(args.out_dir, args.data_dir))


if __name__ == "__main__":
    main()
