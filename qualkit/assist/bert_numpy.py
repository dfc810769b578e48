"""A sentence-transformers BERT model (such as the bundled MiniLM) run with numpy alone.

Importing sentence-transformers pulls in torch, transformers and scikit-learn: about 8 s on
two cores before the first vector, which is most of a cold start. The bundled model is a plain
BERT encoder with mean pooling and normalisation, a few matrix products per layer, so numpy
computes the same vectors (to float32 rounding) after reading the weights in well under a
second. `SentenceTransformerEmbedder` uses this on the CPU for folders it supports and keeps
sentence-transformers for everything else (other architectures, CUDA).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SUPPORTED_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def supports(folder: Path) -> bool:
    """True for a sentence-transformers folder this module computes exactly: a BERT encoder
    (absolute positions, GELU), mean pooling, then normalisation, with safetensors weights
    and a fast tokenizer file."""
    try:
        modules = [m["type"] for m in _read_json(folder / "modules.json")]
        config = _read_json(folder / "config.json")
        pooling = _read_json(folder / "1_Pooling" / "config.json")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    return (
        modules == SUPPORTED_MODULES
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and modes == ["pooling_mode_mean_tokens"]
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, x·Φ(x), as transformers computes it (not the tanh approximation)
    from scipy.special import erf

    # float32 throughout: a float64 constant here would double every later product's cost
    return x * (np.float32(0.5) * (np.float32(1.0) + erf(x * np.float32(1 / np.sqrt(2.0)))))


class NumpyBert:
    """The encoder of one sentence-transformers BERT folder; `encode` gives unit vectors."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _read_json(folder / "config.json")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        try:
            st_config = _read_json(folder / "sentence_bert_config.json")
            max_len = int(st_config.get("max_seq_length") or 512)
        except (OSError, ValueError):
            max_len = 512
        self.max_len = min(max_len, int(config.get("max_position_embeddings", 512)))
        weights = load_file(str(folder / "model.safetensors"))
        # Some checkpoints prefix every name with "bert."
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        # Transposed once, so each layer is x @ W without a copy per call.
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_len)
        self.tokenizer.no_padding()
        self.dim = int(config["hidden_size"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Similar lengths share a batch, so padding costs little.
        order = np.argsort([len(i) for i in ids], kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._batch([ids[i] for i in idx])
        return out

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        w = self.w
        n, length = len(ids), max(len(i) for i in ids)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(ids):
            tokens[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        ).reshape(n * length, self.dim)  # 2-D, so each dense layer is one matrix product
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        # Padding positions get a large negative score, so softmax gives them no weight.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        head = self.dim // self.heads
        scale = np.float32(1 / np.sqrt(head))

        def dense(t: np.ndarray, name: str) -> np.ndarray:
            return t @ w[name + ".weight"] + w[name + ".bias"]

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(n, length, self.heads, head).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q = split(dense(x, p + "attention.self.query"))
            k = split(dense(x, p + "attention.self.key"))
            v = split(dense(x, p + "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(n * length, self.dim)
            x = _layer_norm(
                dense(context, p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inner = _gelu(dense(x, p + "intermediate.dense"))
            x = _layer_norm(
                dense(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        x = x.reshape(n, length, self.dim)
        # Mean over the real tokens, then unit length: the folder's Pooling and Normalize.
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
