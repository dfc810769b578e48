"""Store discipline: pragmas, migrations with a backup first, audit log, storage warnings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from projects import write_tiny_project

from qualkit import store as store_module
from qualkit.errors import ProjectError
from qualkit.project import Project
from qualkit.store import SQLiteStore
from qualkit.store import schema as schema_module


def test_connection_policy(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "p.db", create=True)
    pragma = {
        name: s.conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,
        "busy_timeout": store_module.BUSY_TIMEOUT_MS,
    }
    assert s.schema_version == store_module.SCHEMA_VERSION


def test_migration_takes_a_backup_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        sid = int(p.segments().segment_id.iloc[0])
        p.code(sid, "referral", "ana")
    current = schema_module.SCHEMA_VERSION
    following = current + 1
    migrations = {
        **schema_module.MIGRATIONS,
        following: "ALTER TABLE codings ADD COLUMN confidence REAL",
    }
    monkeypatch.setattr(schema_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", following)
    with Project.open(tmp_path) as p:
        assert p.store.schema_version == following
        assert len(p.codings("ana")) == 1
        columns = [r[1] for r in p.store.conn.execute("PRAGMA table_info(codings)")]
        assert "confidence" in columns
    pattern = f"*before-migration-{current}-to-{following}.db"
    backups = list((tmp_path / ".qualkit" / "backups").glob(pattern))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == current
    assert old.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "p.db")
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(ProjectError, match="newer qualkit"):
        SQLiteStore(tmp_path / "p.db")


def test_audit_log_records_who_did_what(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        sid = int(p.segments().segment_id.iloc[0])
        p.code(sid, "referral", "ana")
        p.rename_code("referral", "Referral routes", actor="ana")
        p.undo("ana")
        actions = [(e.coder, e.action) for e in reversed(p.store.events())]
    assert actions == [
        ("system", "ingest"),
        ("ana", "code"),
        ("ana", "rename-code"),
        ("ana", "undo"),
    ]


def test_cloud_folder_warning(tmp_path: Path) -> None:
    root = tmp_path / "Dropbox" / "study"
    root.mkdir(parents=True)
    write_tiny_project(root)
    with Project.open(root) as p:
        assert any("cloud-synced" in w for w in p.storage_warnings())
    with Project.open(write_tiny_project(tmp_path / "local")) as p:
        assert not any("cloud-synced" in w for w in p.storage_warnings())


def test_a_version_1_project_is_migrated_with_a_backup(tmp_path: Path) -> None:
    """A database written by the first release (schema 1) opens in this one."""
    write_tiny_project(tmp_path)
    (tmp_path / ".qualkit").mkdir()
    db = tmp_path / ".qualkit" / "project.db"
    con = sqlite3.connect(db)
    con.executescript(schema_module.MIGRATIONS[1])
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO meta(key, value) VALUES ('coder', 'ana')")
    con.commit()
    con.close()
    with Project.open(tmp_path) as p:
        assert p.store.schema_version == schema_module.SCHEMA_VERSION
        assert p.remembered_coder == "ana"
        p.ingest()
        sid = int(p.segments().segment_id.iloc[0])
        p.mark_reviewed(sid, "ana")
    assert list((tmp_path / ".qualkit" / "backups").glob("*before-migration-1-to-*.db"))


def test_a_version_2_project_moves_its_vectors_to_the_cache_file(tmp_path: Path) -> None:
    """Schema 3 keeps the embedding vectors out of project.db (and so out of its backups):
    the ones a schema-2 project cached come across, and the file gives back their space."""
    write_tiny_project(tmp_path)
    (tmp_path / ".qualkit").mkdir()
    db = tmp_path / ".qualkit" / "project.db"
    con = sqlite3.connect(db)
    con.executescript(schema_module.MIGRATIONS[1] + schema_module.MIGRATIONS[2])
    con.execute("PRAGMA user_version = 2")
    rng = np.random.default_rng(0)
    vectors = {f"h{i}": rng.random(384, dtype=np.float32) for i in range(3000)}
    con.executemany(
        "INSERT INTO embeddings(model_id, text_hash, dim, vector) VALUES (?,?,?,?)",
        [("m", h, 384, v.astype("<f4").tobytes()) for h, v in vectors.items()],
    )
    con.commit()
    con.close()
    size_before = db.stat().st_size
    with Project.open(tmp_path) as p:
        assert p.store.schema_version == schema_module.SCHEMA_VERSION
        got = p.store.get_embeddings("m", ["h0", "h2999", "absent"])
        assert set(got) == {"h0", "h2999"}
        assert np.array_equal(got["h2999"], vectors["h2999"])
        assert p.store.embedding_count("m") == 3000
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert "embeddings" not in tables
    assert db.stat().st_size < size_before / 4  # 4.6 MB of vectors given back
    assert (tmp_path / ".qualkit" / "cache.db").exists()


def test_a_damaged_cache_file_is_set_aside_and_started_again(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        p.store.put_embeddings("m", {"a": np.ones(4, dtype=np.float32)})
    cache = tmp_path / ".qualkit" / "cache.db"
    for extra in (Path(f"{cache}-wal"), Path(f"{cache}-shm")):
        extra.unlink(missing_ok=True)
    cache.write_bytes(b"this is not a database" * 100)
    with Project.open(tmp_path) as p:
        assert p.store.get_embeddings("m", ["a"]) == {}  # computed again later, no error
        p.store.put_embeddings("m", {"a": np.ones(4, dtype=np.float32)})
        assert set(p.store.get_embeddings("m", ["a"])) == {"a"}
        assert len(p.segments()) > 0  # the project itself untouched
    assert list(cache.parent.glob("cache.db.unreadable-*"))


def test_automatic_backups_before_reanchoring_and_daily(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    write_tiny_project(tmp_path)
    backups = tmp_path / ".qualkit" / "backups"
    with Project.open(tmp_path) as p:
        p.ingest()
        assert not backups.exists()  # first ingest: nothing to protect yet
        p.ingest()
        assert not backups.exists()  # unchanged: nothing written
        text = (tmp_path / "transcripts" / "p1.txt").read_text()
        (tmp_path / "transcripts" / "p1.txt").write_text(text.replace("six", "seven"))
        p.ingest()
        assert len(list(backups.glob("*-before-ingest.db"))) == 1
        first = p.daily_backup()
        assert first is not None and p.daily_backup() is None  # at most one a day
        yesterday = datetime.now() - timedelta(days=1)
        first.rename(first.with_name(f"project-{yesterday:%Y%m%d-%H%M%S-%f}-daily.db"))
        assert p.daily_backup() is not None
        for _ in range(12):
            p.backup(keep=10)
        # Rotation is per kind: manual backups never push out the others.
        assert len(list(backups.glob("*-manual.db"))) == 10
        assert len(list(backups.glob("*-before-ingest.db"))) == 1
