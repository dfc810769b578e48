"""The numpy encoder computes the bundled model's vectors as sentence-transformers does, and
small calls never import torch (which is what made a cold start slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qualkit.assist.bert_numpy import NumpyBert, supports
from qualkit.assist.embed import FAST_MAX_TEXTS, SentenceTransformerEmbedder, bundled_model_path

TEXTS = [
    "How did you first hear about the group?",
    "Support from [team member] was great; the crèche too. [laughs]",
    "No.",
    "",
    "Ça m'a aidée — vraiment. 我们 🙂",
    # longer than the model's 256 tokens: both must cut it at the same place
    " ".join(f"word{i} waiting list referral letter health visitor" for i in range(120)),
]


@pytest.fixture(scope="module")
def folder() -> Path:
    return bundled_model_path()


def test_numpy_vectors_equal_sentence_transformers(folder: Path) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(folder), device="cpu", local_files_only=True).encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    ours = NumpyBert(folder).encode(TEXTS)
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.abs(ours - reference).max() < 1e-5
    # the long text was truncated, not refused, and differs from a short one
    assert float(ours[-1] @ ours[0]) < 0.99


def _copy_config(folder: Path, to: Path) -> Path:
    to.mkdir()
    for name in ("config.json", "modules.json", "tokenizer.json"):
        shutil.copy(folder / name, to / name)
    (to / "1_Pooling").mkdir()
    shutil.copy(folder / "1_Pooling" / "config.json", to / "1_Pooling" / "config.json")
    (to / "model.safetensors").write_bytes(b"")  # only its presence is checked here
    return to


def test_only_folders_it_computes_exactly_are_supported(folder: Path, tmp_path: Path) -> None:
    assert supports(folder)
    assert supports(_copy_config(folder, tmp_path / "same"))
    other = _copy_config(folder, tmp_path / "cls")
    pooling = json.loads((other / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (other / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert not supports(other)
    roberta = _copy_config(folder, tmp_path / "roberta")
    config = json.loads((roberta / "config.json").read_text())
    (roberta / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert not supports(roberta)
    dense = _copy_config(folder, tmp_path / "dense")
    modules = json.loads((dense / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "x.models.Dense"})
    (dense / "modules.json").write_text(json.dumps(modules))
    assert not supports(dense)


def test_small_calls_use_numpy_large_calls_torch(folder: Path) -> None:
    embedder = SentenceTransformerEmbedder(device="cpu")
    assert embedder._fast_for(10) is not None
    assert embedder._fast_for(FAST_MAX_TEXTS + 1) is None
    embedder.prefer_fast = True  # the workbench's embedding thread
    assert embedder._fast_for(FAST_MAX_TEXTS + 1) is not None
    assert SentenceTransformerEmbedder(device="cuda").fast_model is None


def test_a_small_encode_never_imports_torch() -> None:
    """The cold start: a first suggestion needs a few hundred texts, and must not wait for
    torch, transformers and sentence-transformers to import."""
    code = (
        "import sys\n"
        "from qualkit.assist.embed import SentenceTransformerEmbedder\n"
        "v = SentenceTransformerEmbedder(device='cpu').encode(['How did you hear?', 'No.'])\n"
        "assert v.shape == (2, 384), v.shape\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
