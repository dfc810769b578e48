"""`qualkit merge`: two diverged copies of one project, one with a corrected transcript."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from second_project import ANA, BEN, make_second_project, unit_ids

from qualkit.merging import merge_project
from qualkit.project import Project


def diverged_copies(tmp_path: Path) -> tuple[Path, Path]:
    """ana codes on her copy; ben on a copy made before, where he also corrected a typo in t1."""
    ours = make_second_project(tmp_path / "ana-laptop")
    theirs = tmp_path / "ben-laptop"
    shutil.copytree(ours, theirs)
    with Project.open(ours) as p:
        units = unit_ids(p)
        for index, codes in ANA.items():
            for code in codes:
                p.code(units[index], code, "ana")
        p.mark_done("t1", "ana")
    # ben's copy: "Tuesdays" was mistyped in his file; he fixed it and re-ingested
    t1 = theirs / "transcripts" / "t1.txt"
    t1.write_text(t1.read_text("utf-8").replace("on Tuesdays", "on Tuesday mornings"), "utf-8")
    with Project.open(theirs) as p:
        p.ingest()
        units = unit_ids(p)
        for index, codes in BEN.items():
            for code in codes:
                p.code(units[index], code, "ben")
        p.code(units[6], "waiting", "ben")  # the corrected segment
        p.set_memo("segment", units[6], "ben", "Is a [weekly] slot 'waiting'?")
        p.mark_reviewed(units[7], "ben")
        p.mark_done("t1", "ben")
        p.code(unit_ids(p, "t2")[0], "support", "ben")
    return ours, theirs


def test_merge_twice_brings_in_everything_once(tmp_path: Path) -> None:
    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        before = len(p.transcript_ids()), len(p.codebook.codes)
        report = merge_project(p, theirs, actor="ana")
        assert report.transcripts == {"t1": "t1", "t2": "t2"}
        assert report.corrected == ["t1"]  # matched by alignment, not identical text
        assert report.added["codings"] == 6 and report.added["done marks"] == 1
        assert report.backup and Path(report.backup).exists()
        assert not report.conflicts
        units = unit_ids(p)
        assert p.codes_of(units[6], "ben") == ["waiting"]  # followed the corrected text
        assert p.memo("segment", units[6], "ben") == "Is a [weekly] slot 'waiting'?"
        assert units[7] in p.reviewed("ben")
        assert ("t1", "ben") in {(r.transcript, r.coder) for r in p.progress().itertuples()}
        assert bool(p.progress("ben").set_index("transcript").loc["t1", "done"])
        assert (len(p.transcript_ids()), len(p.codebook.codes)) == before  # no duplicates
        ben_codings = len(p.coding_rows("ben"))
        events = len(p.events())
        again = merge_project(p, theirs, actor="ana")
        assert sum(again.added.values()) == 0 and again.backup is None
        assert len(p.coding_rows("ben")) == ben_codings and len(p.events()) == events
        # ben's events came along with their own times (the agreement report reads them),
        # naming this project's codings and segments, not ids of his database
        coded = [e for e in p.events("ben") if e.action == "code"]
        assert {s for e in coded for s in e.segments} == {
            r.segment_id for r in p.coding_rows("ben")
        }
        described = {p.describe_event(e) for e in coded}
        assert f"code Waiting on segment {units[6]} (ben)" in described
        memo = next(e for e in p.events("ben") if e.action == "memo")
        assert memo.segments == frozenset({units[6]})


def test_merging_an_identical_copy_adds_nothing(tmp_path: Path) -> None:
    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        merge_project(p, theirs)
    twin = tmp_path / "twin"
    shutil.copytree(ours, twin)
    with Project.open(ours) as p:
        events = len(p.events())
        report = merge_project(p, twin)
        assert sum(report.added.values()) == 0 and report.backup is None
        assert len(p.events()) == events


def test_conflicts_are_reported_not_guessed(tmp_path: Path) -> None:
    ours, theirs = diverged_copies(tmp_path)
    book = theirs / "codebook.yaml"
    book.write_text(book.read_text("utf-8").replace("name: Waiting", "name: Delays"), "utf-8")
    with Project.open(theirs) as p:
        p.code(unit_ids(p)[9], "referral", "ana")  # ana coded on ben's laptop too
    with Project.open(ours) as p:
        report = merge_project(p, theirs)
        assert any("code id 'waiting' is 'Delays' there" in c for c in report.conflicts)
        assert any("coder 'ana' has different work" in c for c in report.conflicts)
        assert p.codes_of(unit_ids(p)[6], "ben") == []  # 'waiting' was not guessed


def test_cli_prints_what_it_could_not_match(tmp_path: Path) -> None:
    ours, theirs = diverged_copies(tmp_path)
    (theirs / "transcripts" / "t3.txt").write_text(
        "---\nid: t3\n---\nInterviewer: Hello?\n\nJo: Hello there.\n", "utf-8"
    )
    with Project.open(theirs) as p:
        p.ingest()
    proc = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "merge", str(theirs), "--project", str(ours)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "not matched: transcript t3" in proc.stdout
    assert "transcript t1 -> t1 (text differs: aligned)" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "merge", str(tmp_path), "--project", str(ours)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "error:" in bad.stderr


def _layers(p: Project) -> list[tuple[int, str, str, bool, str]]:
    return sorted((r.segment_id, r.code, r.coder, r.starred, r.memo or "") for r in p.coding_rows())


def test_second_merge_carries_removals_stars_and_memos_and_reports_clashes(
    tmp_path: Path,
) -> None:
    """After a first merge both copies go on: ben uncodes, stars, rewrites memos and undoes on
    his laptop (whose t1 was corrected); ana's copy changes one of the same codings. The
    second merge carries ben's changes, keeps ana's, reports the clash; a third adds nothing."""
    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        merge_project(p, theirs, actor="ana")
        units = unit_ids(p)
        p.uncode(units[1], "referral", "ben")  # removed here: not to come back from there
        p.set_coding_memo(units[2], "referral", "ben", "ana's reading: [GP] letter")
    with Project.open(theirs) as p:
        their_units = unit_ids(p)
        p.uncode(their_units[0], "referral", "ben")
        p.uncode(their_units[6], "waiting", "ben")  # the segment whose text was corrected
        p.star(their_units[4], "referral", "ben")
        p.set_coding_memo(their_units[2], "referral", "ben", "ben's reading")
        p.set_memo("segment", their_units[6], "ben", "Not 'waiting' after all [weekly].")
        p.code(their_units[8], "waiting", "ben")
        p.undo("ben")  # ...and took that last one back
    with Project.open(ours) as p:
        units = unit_ids(p)
        report = merge_project(p, theirs, actor="ana")
        assert report.changed["codings removed"] == 2
        assert report.changed["stars or coding memos"] == 1
        assert report.changed["memos"] == 1
        changed_line = next(line for line in report.lines() if line.startswith("changed:"))
        assert "2 codings removed" in changed_line and "1 star or coding memo," in changed_line
        assert "1 memo" in changed_line and "1 memos" not in changed_line
        assert report.backup and Path(report.backup).exists()
        ben = {r.segment_id: r for r in p.coding_rows("ben")}
        assert units[0] not in ben and units[6] not in ben  # removed there, so here
        assert units[1] not in ben  # removed here, not resurrected from there
        assert units[8] not in ben  # coded and undone there: nothing to bring
        assert ben[units[4]].starred
        assert ben[units[2]].memo == "ana's reading: [GP] letter"  # both changed it: ours kept
        assert p.memo("segment", units[6], "ben") == "Not 'waiting' after all [weekly]."
        clash = [c for c in report.conflicts if f"segment {units[2]} with 'referral'" in c]
        assert len(clash) == 1 and "changed in both copies (memo differs)" in clash[0]
        assert len(report.conflicts) == 1
        assert sorted(p.codes_of(units[0])) == ["referral"]  # ana's own coding untouched
        state = _layers(p)
        events = len(p.events())
        again = merge_project(p, theirs, actor="ana")
        assert sum(again.added.values()) == 0 and sum(again.changed.values()) == 0
        assert again.backup is None and len(p.events()) == events
        assert again.conflicts == report.conflicts  # still differs, still not guessed
        assert _layers(p) == state
    # ben goes on once more: undo takes back all five of his changes since the first merge,
    # each a change to codings or memos the merges brought, so each is his alone to carry
    with Project.open(theirs) as p:
        for _ in range(5):
            p.undo("ben")
    with Project.open(ours) as p:
        units = unit_ids(p)
        third = merge_project(p, theirs, actor="ana")
        ben = {r.segment_id: r for r in p.coding_rows("ben")}
        assert units[0] in ben and units[6] in ben and not ben[units[4]].starred
        assert third.changed["codings restored"] == 2
        assert p.memo("segment", units[6], "ben") == "Is a [weekly] slot 'waiting'?"
        assert len(third.conflicts) == 1  # only the coding memo both changed
        assert ben[units[2]].memo == "ana's reading: [GP] letter"


def test_merging_back_the_other_way_sees_no_clash(tmp_path: Path) -> None:
    """ben merges ana's copy after she merged his: his own changes came back to him through
    her copy's merge event, which names them as his, so nothing is a conflict."""
    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        merge_project(p, theirs, actor="ana")
    with Project.open(theirs) as p:
        p.uncode(unit_ids(p)[0], "referral", "ben")
    with Project.open(ours) as p:
        merge_project(p, theirs, actor="ana")
    with Project.open(theirs) as p:
        report = merge_project(p, ours, actor="ben")
        assert not report.conflicts, report.conflicts
        assert report.added["codings"] == 5  # ana's layer
        assert sum(report.changed.values()) == 0
        assert "referral" not in p.codes_of(unit_ids(p)[0], "ben")


def test_reviewed_and_done_marks_cleared_there_are_cleared_here(tmp_path: Path) -> None:
    """ben clears a reviewed mark and his done mark on his laptop after the first merge; ana
    has since marked a segment reviewed in ben's layer that ben cleared too: a conflict."""
    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        merge_project(p, theirs, actor="ana")
        units = unit_ids(p)
        assert units[7] in p.reviewed("ben")
        p.mark_reviewed(units[8], "ben")  # here only: stays
        p.mark_reviewed(units[9], "ben")  # here, and cleared there too...
    with Project.open(theirs) as p:
        their_units = unit_ids(p)
        p.mark_reviewed(their_units[7], "ben", reviewed=False)
        p.mark_done("t1", "ben", done=False)
        p.mark_reviewed(their_units[9], "ben")
        p.mark_reviewed(their_units[9], "ben", reviewed=False)  # ...so both changed it
    with Project.open(ours) as p:
        units = unit_ids(p)
        report = merge_project(p, theirs, actor="ana")
        assert report.changed["reviewed marks cleared"] == 1
        assert report.changed["done marks cleared"] == 1
        reviewed = p.reviewed("ben")
        assert units[7] not in reviewed and units[8] in reviewed and units[9] in reviewed
        assert not bool(p.progress("ben").set_index("transcript").loc["t1", "done"])
        assert report.conflicts == [
            f"reviewed mark by ben on {units[9]} was changed in both copies; this copy's was kept"
        ]
        again = merge_project(p, theirs, actor="ana")
        assert sum(again.added.values()) == 0 and sum(again.changed.values()) == 0
        assert again.conflicts == report.conflicts
    with Project.open(theirs) as p:  # and back: ana's copy has nothing new of ben's for him
        back = merge_project(p, ours, actor="ben")
        assert units[7] not in p.reviewed("ben") and units[8] in p.reviewed("ben")
        assert len(back.conflicts) == 1 and "on " in back.conflicts[0]


def test_adjudication_on_the_other_copy_comes_with_its_decisions(tmp_path: Path) -> None:
    """cat adjudicates on ben's laptop: the consensus layer comes over with cat's decision
    events (the notes the adjudication screen shows), naming this copy's codings."""
    from qualkit.agreement.consensus import accept_agreed, decide, latest_decision

    ours, theirs = diverged_copies(tmp_path)
    with Project.open(ours) as p:
        merge_project(p, ours.parent / "ben-laptop", actor="ana")
    shutil.rmtree(theirs)
    shutil.copytree(ours, theirs)  # ben takes ana's merged copy home; cat adjudicates there
    with Project.open(theirs) as p:
        units = unit_ids(p)
        accept_agreed(p, "ana", "ben", "cat")
        decide(p, units[3], "referral", "a", "ana", "ben", "cat", note="a [leaflet] is a route")
    with Project.open(ours) as p:
        report = merge_project(p, theirs, actor="ana")
        assert report.added["codings"] == 4 and not report.conflicts  # consensus: units 0-3
        units = unit_ids(p)
        assert p.codes_of(units[3], "consensus") == ["referral"]
        standing = latest_decision(p, units[3], "referral")
        assert standing and standing["by"] == "cat" and standing["note"] == "a [leaflet] is a route"
        seeded = next(e for e in p.events("cat") if e.payload.get("decision") == "accept-agreed")
        assert seeded.segments == frozenset(units[:3])
        assert sum(merge_project(p, theirs, actor="ana").added.values()) == 0
