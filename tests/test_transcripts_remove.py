"""`qualkit transcripts remove`: a transcript whose file has gone can leave the project, with a
backup first, a question first, and everything else untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import qualkit, write_tiny_project

from qualkit.errors import ProjectError
from qualkit.project import Project


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path, create=True) as p:
        p.ingest()
        seg = p.segments()
        for sid in seg[seg.transcript == "p1"].segment_id:
            p.code(int(sid), "access", "ana")
        p.code(int(seg[seg.transcript == "p2"].segment_id.iloc[0]), "impact", "ben")
        p.set_memo("segment", int(seg[seg.transcript == "p1"].segment_id.iloc[0]), "ana", "hm")
    return tmp_path


def test_remove_a_missing_transcript_after_asking_with_a_backup(coded: Path) -> None:
    (coded / "transcripts" / "p1.txt").unlink()
    assert qualkit("ingest", cwd=coded).returncode == 0
    listed = qualkit("transcripts", cwd=coded)
    assert "p1" in listed.stdout and "file missing" in listed.stdout
    # Not on a terminal and no --yes: it asks in one line, and nothing changes.
    refused = qualkit("transcripts", "remove", "p1", cwd=coded)
    assert refused.returncode == 1 and "add --yes" in refused.stderr
    assert "Traceback" not in refused.stderr
    with Project.open(coded) as p:
        assert "p1" in p.transcript_ids()
    done = qualkit("transcripts", "remove", "p1", "--yes", "--coder", "ana", cwd=coded)
    assert done.returncode == 0, done.stderr
    assert "coding(s)" in done.stdout and "backup:" in done.stdout
    with Project.open(coded) as p:
        assert p.transcript_ids() == ["p2"]
        assert set(p.codings().coder) == {"ben"}  # the other transcript's codings stay
        assert p.memos().empty
        assert p.events(limit=1)[0].action == "remove-transcript"
        assert p.status()["missing_transcripts"] == []
    backup = Path(done.stdout.split("backup: ")[1].strip())
    # The backup holds what was removed: restoring it brings p1 back.
    restored = qualkit("restore", str(backup), cwd=coded)
    assert restored.returncode == 0, restored.stderr
    with Project.open(coded) as p:
        assert sorted(p.transcript_ids()) == ["p1", "p2"]
        assert set(p.codings().coder) == {"ana", "ben"}


def test_a_transcript_whose_file_is_there_or_unknown_is_refused(coded: Path) -> None:
    with Project.open(coded) as p:
        with pytest.raises(ProjectError, match="still in transcripts/"):
            p.remove_transcript("p1")
        with pytest.raises(ProjectError, match="unknown transcript 'p9'"):
            p.remove_transcript("p9")
        assert sorted(p.transcript_ids()) == ["p1", "p2"]


def test_what_would_be_refused_is_refused_before_asking(coded: Path) -> None:
    """Both used to answer "add --yes to confirm", and only with --yes said why not."""
    unknown = qualkit("transcripts", "remove", "p9", cwd=coded)
    assert unknown.returncode == 1 and "unknown transcript 'p9'" in unknown.stderr
    present = qualkit("transcripts", "remove", "p1", cwd=coded)
    assert present.returncode == 1 and "still in transcripts/" in present.stderr
    assert "--yes" not in unknown.stderr + present.stderr
