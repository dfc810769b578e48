"""The paths that keep large projects cheap give the same answers as the plain ones: progress for
a few transcripts, the ingest check that skips unchanged folders, the agreement bootstrap drawn in
blocks, the neighbour prior over a window, and the file journal of a killed import."""

from __future__ import annotations

import os
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from projects import write_tiny_project
from second_project import code_both, make_second_project

from qualkit import file_journal
from qualkit.agreement import report as agreement
from qualkit.assist.context import neighbour_prior, neighbour_priors
from qualkit.project import Project


def test_progress_for_some_transcripts_matches_the_whole_table(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        units = p.segments()
        p.code(int(units.segment_id.iloc[0]), "access", "ana")
        p.mark_reviewed(int(units.segment_id.iloc[-1]), "ana")
        p.mark_done("p2", "ana")
        whole = p.progress("ana").set_index("transcript")
        for tid in p.transcript_ids():
            part = p.progress("ana", transcripts=[tid]).set_index("transcript")
            assert part.loc[tid].to_dict() == whole.loc[tid].to_dict()
        assert p.done_transcripts("ana") == {"p2"}


def test_the_ingest_check_skips_an_unchanged_folder_and_sees_any_change(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        first = p.ingest_if_changed()
        assert first is not None and first.added
        assert p.ingest_if_changed() is None  # nothing changed: no file read
        p1 = tmp_path / "transcripts" / "p1.txt"
        p1.write_text(p1.read_text("utf-8").replace("six weeks", "seven weeks"), "utf-8")
        changed = p.ingest_if_changed()
        assert changed is not None and changed.updated == ["p1"]
        (tmp_path / "transcripts" / "p3.txt").write_text(
            "---\nid: p3\nspeakers:\n  Maya: P01\n---\nMaya: A new fictional answer.\n", "utf-8"
        )
        assert p.ingest_if_changed().added == ["p3"]
        # same size, a new modified time: still read
        stat = p1.stat()
        os.utime(p1, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert p.ingest_if_changed() is not None


def test_the_bootstrap_drawn_in_small_blocks_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Project.open(make_second_project(tmp_path / "study")) as p:
        code_both(p)
        whole = agreement.agreement_report(p, ["ana", "ben"], resamples=300, seed=5)
        monkeypatch.setattr(agreement, "WEIGHT_CELLS", 25)  # 2 resamples per block
        blocks = agreement.agreement_report(p, ["ana", "ben"], resamples=300, seed=5)
    assert [r.estimates for r in blocks.rows] == [r.estimates for r in whole.rows]
    assert blocks.pooled == whole.pooled


def test_the_windowed_neighbour_prior_equals_a_full_scan() -> None:
    rng = random.Random(3)
    cfg = SimpleNamespace(neighbours=2.0, neighbour_window=3, neighbour_decay=0.5)
    n, labels = 400, 6
    transcripts = np.array(sorted(rng.randrange(8) for _ in range(n)))
    coded = np.array(rng.sample(range(n), 150))  # unsorted on purpose
    gold = (np.random.default_rng(3).random((150, labels)) > 0.6).astype(np.float32)
    rows = np.array(rng.sample(range(n), 60))
    fast = neighbour_priors(rows, coded, gold, transcripts, cfg)
    slow = np.stack([neighbour_prior(int(r), coded, gold, transcripts, cfg) for r in rows])
    assert np.array_equal(fast, slow)
    assert fast.any()


def test_a_journal_left_by_a_killed_import_puts_the_files_back(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    state = tmp_path / ".qualkit"
    state.mkdir()
    codebook = tmp_path / "codebook.yaml"
    participants = tmp_path / "transcripts" / "participants.csv"
    new = tmp_path / "transcripts" / "imported.txt"
    before = codebook.read_bytes(), participants.read_bytes()
    journal = file_journal.FileJournal.begin(state, tmp_path, [codebook, participants], [new])
    codebook.write_text("codes: []\n", encoding="utf-8")
    participants.write_text("participant_id\nX1\n", encoding="utf-8")
    new.write_text("Imported: fictional.\n", encoding="utf-8")
    # its writer still holds the journal: nobody else may touch the files
    assert not file_journal.recover(state, tmp_path, committed_token=None)
    assert new.exists()
    journal.handle.close()  # the writer dies without finishing (its lock goes with it)
    assert file_journal.recover(state, tmp_path, committed_token=None)
    assert (codebook.read_bytes(), participants.read_bytes()) == before
    assert not new.exists()
    assert not (state / file_journal.JOURNAL_FILE).exists()


def test_a_journal_of_a_committed_import_is_only_removed(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    state = tmp_path / ".qualkit"
    state.mkdir()
    codebook = tmp_path / "codebook.yaml"
    journal = file_journal.FileJournal.begin(state, tmp_path, [codebook], [])
    codebook.write_text("codes: []\n", encoding="utf-8")
    journal.handle.close()  # killed after its commit, before removing the journal
    assert not file_journal.recover(state, tmp_path, committed_token=journal.token)
    assert codebook.read_text("utf-8") == "codes: []\n"
    assert not (state / file_journal.JOURNAL_FILE).exists()
