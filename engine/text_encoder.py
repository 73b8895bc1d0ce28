"""Sentence embeddings at run time: MiniLM exported to ONNX, onnxruntime + tokenizers only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ModelFilesError

MAX_TOKENS = 128  # longer prompts are truncated by the tokenizer (the request says so)
EMBED_DIM = 384
BATCH = 64


class TextEncoder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings, cached per prompt."""

    def __init__(self, model_path: Path, tokenizer_path: Path, session_factory):
        from tokenizers import Tokenizer

        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:
            raise ModelFilesError(f"cannot load the tokenizer {tokenizer_path}: {exc}") from None
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.session = session_factory(model_path)
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        """(N, 384) float32 unit vectors; empty strings give zero vectors (the unconditional input)."""
        todo = sorted({t for t in texts if t and t not in self._cache})
        for i in range(0, len(todo), BATCH):  # bounded batches keep attention memory small
            chunk = todo[i : i + BATCH]
            enc = self.tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            (emb,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            for text, row in zip(chunk, emb, strict=True):
                self._cache[text] = row.astype(np.float32)
        zero = np.zeros(EMBED_DIM, dtype=np.float32)
        return np.stack([self._cache[t] if t else zero for t in texts])
