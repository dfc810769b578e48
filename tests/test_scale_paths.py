"""The paths that keep large projects cheap give the same answers as the plain ones: progress for
a few transcripts, the ingest check that skips unchanged folders, the agreement bootstrap drawn in
blocks, the neighbour prior over a window, suggestion reasons searched per code, the codebook's
counts read from the index of live codings, and the file journal of a killed import."""

from __future__ import annotations

import os
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from projects import CODEBOOK, PARTICIPANTS, write_tiny_project
from second_project import code_both, make_second_project

from qualkit import file_journal
from qualkit.agreement import report as agreement
from qualkit.assist.context import neighbour_prior, neighbour_priors
from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.evidence import snippet
from qualkit.assist.suggest import Suggester
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


# Fictional words for generated answers: every answer differs, so no two similarities tie.
WORDS = (
    "wait clinic letter nursery bus leaflet visitor sister weeks calm group songs room baby "
    "sleep tired phone midwife doctor hospital spring tuesday warm small kind slow long short"
).split()


def write_random_study(root: Path, transcripts: int = 6, answers: int = 10) -> Path:
    """A fictional study of generated answers (turn segmentation: one unit per answer)."""
    rng = random.Random(11)
    folder = root / "transcripts"
    folder.mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    for t in range(transcripts):
        lines = [f"---\nid: r{t}\nspeakers:\n  Interviewer: interviewer\n  Maya: P01\n---\n"]
        for a in range(answers):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 16)))
            lines.append(f"Interviewer: Question {a}?\n\nMaya: Answer {t}.{a}: {words}.\n")
        (folder / f"r{t}.txt").write_text("\n".join(lines), encoding="utf-8")
    return root


def reasons_from_every_exemplar(s: Suggester, sid: int, code: str) -> dict | None:
    """The nearest exemplar as reasons found it before: one product with every exemplar, then
    the best of the code's columns, the segment itself left out."""
    row = s.table.row_of[sid]
    li = s.space.index[code]
    sims = s.table.emb[row] @ s.table.emb[s.train_rows].T
    cols = [j for j in np.flatnonzero(s.Y[:, li] > 0) if s.train_rows[j] != row]
    if not cols:
        return None
    j = cols[int(np.argmax(sims[cols]))]
    nearest_row = int(s.train_rows[j])
    return {
        "segment_id": int(s.table.frame["segment_id"].iloc[nearest_row]),
        "snippet": snippet(s.table.frame["text"].iloc[nearest_row]),
        "similarity": round(float(sims[j]), 4),
    }


def test_reasons_searched_per_code_name_the_exemplar_a_search_of_all_would(
    tmp_path: Path,
) -> None:
    rng = random.Random(5)
    with Project.init(write_random_study(tmp_path)) as p:
        p.ingest()
        ids = p.segments()["segment_id"].astype(int).tolist()
        for sid in ids[:-1]:
            for code in rng.sample(["access", "referral", "waiting", "impact"], rng.randrange(3)):
                p.code(sid, code, "ana")
        p.code(ids[0], "bonding", "ana")  # a code whose only exemplar is one segment
        s = Suggester(p, embedder=HashingEmbedder(), coder="ana")
        every = len(s.space.labels)
        compared = 0
        # one segment at a time (the workbench) and in chunks (the CLI) give the same reasons
        alone = [s.suggest([sid], top_k=every)[0] for sid in ids]
        for answers in (alone, s.suggest(ids, top_k=every, chunk=7)):
            for sid, suggestions in zip(ids, answers, strict=True):
                for suggestion in suggestions:
                    want = reasons_from_every_exemplar(s, sid, suggestion.code_id)
                    got = suggestion.because.get("nearest")
                    if want is None:
                        assert got is None, (sid, suggestion.code_id)
                        continue
                    compared += 1
                    assert got["segment_id"] == want["segment_id"], (sid, suggestion.code_id)
                    assert got["snippet"] == want["snippet"]
                    # the same dot product, maybe summed in another order: the 4th digit at most
                    assert abs(got["similarity"] - want["similarity"]) <= 1e-4
        assert compared > 100
        bonding = next(x for x in s.suggest([ids[0]], top_k=every)[0] if x.code_id == "bonding")
        assert bonding.because["exemplars"] == 1 and "nearest" not in bonding.because


def counts_from_every_coding(p: Project, coder: str | None) -> dict[str, int]:
    """The codebook's counts as they were read before: every live coding into Python."""
    book = p.codebook
    segments: dict[str, set[int]] = {}
    for segment_id, code_id, _ in p.store.coded_pairs(coder):
        for code in [code_id, *book.ancestors(code_id)] if code_id in book else [code_id]:
            segments.setdefault(code, set()).add(segment_id)
    return {code: len(ids) for code, ids in segments.items()}


def test_the_codebook_counts_from_the_index_match_a_pass_over_every_coding(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        first, second, third, *_ = p.segments()["segment_id"].astype(int).tolist()
        p.code(first, "referral", "ana")
        p.code(first, "waiting", "ana")  # two sub-codes of one theme on one segment
        p.code(first, "waiting", "ben")  # a second coder on the same segment
        p.code(second, "access", "ana")  # the theme itself
        p.code(second, "bonding", "ben")
        p.code(third, "impact", "ana")
        p.uncode(third, "impact", "ana")  # removed: counts nowhere
        p.code(third, "bonding", "ana")
        book = tmp_path / "codebook.yaml"  # bonding removed from the codebook by hand
        kept = book.read_text("utf-8").split("    children:\n      - id: bonding")[0]
        book.write_text(kept, "utf-8")
        for coder in ("ana", "ben", None):
            assert p.code_counts(coder) == counts_from_every_coding(p, coder)
        assert p.code_counts("ana") == {"referral": 1, "waiting": 1, "access": 2, "bonding": 1}
        assert p.code_counts(None)["access"] == 2 and p.code_counts(None)["bonding"] == 2
        # text gone from the transcript: its segment is orphaned, its codings count nowhere
        p1 = tmp_path / "transcripts" / "p1.txt"
        segment = p.segment_row(first)
        p1.write_text(p1.read_text("utf-8").replace(segment.text, "Something else."), "utf-8")
        p.ingest()
        assert p.segment_row(first).orphaned
        for coder in ("ana", "ben", None):
            assert p.code_counts(coder) == counts_from_every_coding(p, coder)
        assert "referral" not in p.code_counts("ana")


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
    # killed while replacing participants.csv: its temporary copy is left beside it (a CI kill
    # once left an empty participants.csv.tmp in the user's transcripts folder)
    leftover = participants.with_name(".participants.csv.k3x9.tmp")
    leftover.write_bytes(b"")
    # its writer still holds the journal: nobody else may touch the files
    assert not file_journal.recover(state, tmp_path, committed_token=None)
    assert new.exists()
    journal.handle.close()  # the writer dies without finishing (its lock goes with it)
    assert file_journal.recover(state, tmp_path, committed_token=None)
    assert (codebook.read_bytes(), participants.read_bytes()) == before
    assert not new.exists() and not leftover.exists()
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
