"""A tiny random DistilBERT sentence classifier saved locally (the real one is on the Hub)."""

from __future__ import annotations

from pathlib import Path

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "show", "is", "over", "and", "then", "we"]
WORDS += [".", "?", "!", ",", "that", "'", "s", "all"]


def save_tiny_distilbert(folder: Path) -> Path:
    """Tokenizer + 2-class DistilBERT of a few kB in `folder` (saved as transformers saves models)."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    DistilBertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=len(WORDS),
        dim=16,
        hidden_dim=32,
        n_layers=1,
        n_heads=2,
        max_position_embeddings=128,
        num_labels=2,
    )
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    return folder
