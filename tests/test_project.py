"""The Project façade: ingest, segments, coding layers, undo/redo, memos, re-ingest anchoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import INTERVIEW_1, snapshot, write_tiny_project

from qualkit.errors import CodebookError, HistoryError, ProjectError, TranscriptError
from qualkit.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_tiny_project(tmp_path)
    p = Project.open(tmp_path)
    p.ingest()
    yield p
    p.close()


def seg_id(p: Project, needle: str) -> int:
    frame = p.segments()
    hits = frame[frame.text.str.contains(needle, regex=False)]
    assert len(hits) == 1, (needle, hits.text.tolist())
    return int(hits.segment_id.iloc[0])


def test_ingest_builds_segments_with_participants_and_attributes(project: Project) -> None:
    frame = project.segments()
    assert list(frame.transcript.unique()) == ["p1", "p2"]
    assert len(frame) == 5  # participant turns only; the interviewer is context
    first = frame.iloc[0]
    assert first.speaker == "Maya" and first.participant == "P01"
    assert first.attributes == {"group": "Parent", "service": "psychotherapy"}
    text = project.transcript_text("p1")
    for r in frame.itertuples():
        if r.transcript == "p1":
            assert text[r.start : r.end] == r.text  # offsets index the normalised text
    with_interviewer = project.segments(include_interviewer=True)
    assert with_interviewer.is_interviewer.sum() == 5
    kinds = project.transcripts().set_index("transcript").kind.to_dict()
    assert kinds == {"p1": "interview", "p2": "focus group"}


def test_unchanged_reingest_changes_nothing(project: Project, tmp_path: Path) -> None:
    project.code(seg_id(project, "health visitor. She"), "referral", "ana")
    before = snapshot(tmp_path)
    report = project.ingest()
    assert report.unchanged == ["p1", "p2"] and not report.updated
    assert snapshot(tmp_path) == before


def test_code_uncode_undo_redo(project: Project) -> None:
    sid = seg_id(project, "The wait was long")
    project.code(sid, "waiting", "ana")
    assert project.codes_of(sid) == ["waiting"]
    project.uncode(sid, "waiting", "ana")
    assert project.codes_of(sid) == []
    project.undo("ana")  # undo the removal
    assert project.codes_of(sid) == ["waiting"]
    project.undo("ana")  # undo the coding
    assert project.codes_of(sid) == []
    assert project.undo("ana") is None
    project.redo("ana")
    assert project.codes_of(sid) == ["waiting"]
    project.redo("ana")
    assert project.codes_of(sid) == []
    assert project.redo("ana") is None
    removed = project.codings(include_removed=True)
    assert len(removed) == 1 and removed.removed.all()  # never deleted, only marked


def test_new_action_clears_redo_and_layers_are_separate(project: Project) -> None:
    sid = seg_id(project, "closer to her")
    project.code(sid, "bonding", "ana")
    project.code(sid, "bonding", "ben")
    project.undo("ana")
    project.code(sid, "impact", "ana")
    assert project.redo("ana") is None  # the new coding ended ana's redo stack
    assert sorted(project.codes_of(sid, "ana")) == ["impact"]
    assert project.codes_of(sid, "ben") == ["bonding"]  # ben's layer untouched by ana's undo
    frame = project.codings()
    assert set(frame.coder) == {"ana", "ben"}
    assert project.codings(transcript="p2").empty
    assert len(project.codings(transcript="p1")) == 2  # ana's undone coding is not live


def test_coding_is_idempotent_and_validates_ids(project: Project) -> None:
    sid = seg_id(project, "closer to her")
    first = project.code(sid, "bonding", "ana")
    assert project.code(sid, "bonding", "ana") == first
    with pytest.raises(CodebookError, match="unknown code"):
        project.code(sid, "no-such-code", "ana")
    with pytest.raises(ProjectError, match="unknown segment id 9999"):
        project.code(9999, "bonding", "ana")
    with pytest.raises(ProjectError, match="coder name is required"):
        project.code(sid, "bonding", " ")


def test_star_span_memo_and_undo_of_star(project: Project) -> None:
    sid = seg_id(project, "closer to her")
    text = project.segment(sid)["text"]
    project.code(sid, "bonding", "ana", span=(0, text.index(".")), memo="lovely quote")
    row = project.codings("ana").iloc[0]
    assert row.quote == "I feel closer to her now" and row.memo == "lovely quote"
    project.star(sid, "bonding", "ana")
    assert bool(project.codings("ana").iloc[0].starred)
    project.undo("ana")
    assert not bool(project.codings("ana").iloc[0].starred)
    project.set_memo("segment", sid, "ana", "Check tone in audio.")
    project.set_memo("code", "bonding", "ana", "Includes attunement.")
    memos = project.memos()
    assert set(memos.kind) == {"segment", "code"}
    project.undo("ana")
    assert project.memo("code", "bonding", "ana") is None
    with pytest.raises(ProjectError, match="outside segment"):
        project.code(sid, "impact", "ana", span=(0, 10_000))


def test_progress_and_done(project: Project) -> None:
    project.code(seg_id(project, "closer to her"), "bonding", "ana")
    project.mark_done("p1", "ana")
    prog = project.progress("ana").set_index("transcript")
    assert prog.loc["p1", "coded"] == 1 and prog.loc["p1", "segments"] == 3
    assert prog.loc["p1", "done"] and not prog.loc["p2", "done"]
    status = project.status()
    assert status["codings_by_coder"] == {"ana": 1}
    # removed codings do not count, and status's progress is progress()'s
    project.code(seg_id(project, "The wait was long"), "bonding", "ben")
    project.uncode(seg_id(project, "The wait was long"), "bonding", "ben")
    status = project.status()
    assert status["codings_by_coder"] == {"ana": 1}
    assert status["progress"] == project.progress().to_dict(orient="records")
    assert status["participants_by_attribute"]["group"] == {"Parent": 2, "Stakeholder": 1}


def test_edit_and_reingest_codings_follow_their_text(project: Project, tmp_path: Path) -> None:
    wait = seg_id(project, "The wait was long")
    close = seg_id(project, "closer to her")
    gone = seg_id(project, "health visitor. She")
    project.code(wait, "waiting", "ana")
    project.code(close, "bonding", "ana", span=(0, 24))
    project.code(gone, "referral", "ana")
    # The transcriber fixes a typo, inserts a new exchange before, and deletes an answer.
    edited = (
        INTERVIEW_1.replace("maybe six weeks", "maybe seven weeks")
        .replace(
            "Interviewer: What changed",
            "Interviewer: Anything else?\n\nMaya: Parking was hard.\n\nInterviewer: What changed",
        )
        .replace("Maya: It was my health visitor. She mentioned it when the baby was small.\n", "")
    )
    (tmp_path / "transcripts" / "p1.txt").write_text(edited, encoding="utf-8")
    report = project.ingest()
    assert report.updated == ["p1"] and report.orphaned == 1
    segments = project.segments().set_index("segment_id")
    assert "seven weeks" in segments.loc[wait, "text"]  # same id, corrected text
    assert segments.loc[close, "text"].startswith("I feel closer")
    codings = project.codings("ana").set_index("code")
    assert codings.loc["waiting", "segment_id"] == wait
    assert codings.loc["bonding", "quote"] == "I feel closer to her now"
    assert bool(codings.loc["referral", "orphaned"])  # kept, reported, never dropped
    status = project.status()
    assert [o["segment_id"] for o in status["orphaned_segments"]] == [gone]
    text = project.transcript_text("p1")
    for r in project.segments("p1").itertuples():
        assert text[r.start : r.end] == r.text


def test_an_orphan_whose_words_come_back_gets_its_codings_back(
    project: Project, tmp_path: Path
) -> None:
    """Deleting a coded answer and pasting it back left the codings orphaned for good, beside
    a new uncoded copy of the same words."""
    answer = "Maya: It was my health visitor. She mentioned it when the baby was small.\n"
    gone = seg_id(project, "health visitor. She")
    project.code(gone, "referral", "ana")
    path = tmp_path / "transcripts" / "p1.txt"
    path.write_text(INTERVIEW_1.replace(answer, ""), encoding="utf-8")
    assert project.ingest().orphaned == 1
    units_before = len(project.segments())
    path.write_text(INTERVIEW_1, encoding="utf-8")  # the same words, back where they were
    report = project.ingest()
    assert report.revived == 1 and "found their text again" in report.summary()
    assert seg_id(project, "health visitor. She") == gone  # the old id, not a new segment
    assert len(project.segments()) == units_before + 1
    coding = project.codings("ana").set_index("code").loc["referral"]
    assert coding["segment_id"] == gone and not bool(coding["orphaned"])
    assert project.status()["orphaned_segments"] == []
    text = project.transcript_text("p1")
    for r in project.segments("p1").itertuples():
        assert text[r.start : r.end] == r.text


def test_resegmentation_when_turn_grows_keeps_codings(project: Project, tmp_path: Path) -> None:
    sid = seg_id(project, "closer to her")
    project.code(sid, "bonding", "ana")
    long_tail = " ".join(f"Sentence number {i} is here." for i in range(60))
    edited = INTERVIEW_1.replace(
        "I notice when she is tired.", "I notice when she is tired. " + long_tail
    )
    (tmp_path / "transcripts" / "p1.txt").write_text(edited, encoding="utf-8")
    project.ingest()
    frame = project.segments("p1")
    assert len(frame) > 3  # the long turn was split at sentence boundaries
    coding = project.codings("ana").iloc[0]
    assert coding.segment_id == sid and "closer to her" in coding.text


def test_turn_mode_keeps_one_segment_per_turn(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    long_tail = " ".join(f"Sentence number {i} is here." for i in range(60))
    text = INTERVIEW_1.replace("I notice when she is tired.", long_tail)
    (tmp_path / "transcripts" / "p1.txt").write_text(text, encoding="utf-8")
    (tmp_path / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    with Project.open(tmp_path) as p:
        p.ingest()
        assert len(p.segments("p1")) == 3
    (tmp_path / "qualkit.yaml").write_text("segmentation: sentences\nmax_words: 40\n")
    with Project.open(tmp_path) as p:
        p.ingest()
        assert len(p.segments("p1")) > 3


def test_bad_transcript_changes_nothing(project: Project, tmp_path: Path) -> None:
    project.code(seg_id(project, "closer to her"), "bonding", "ana")
    before = snapshot(tmp_path)
    bad = tmp_path / "transcripts" / "p3.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(TranscriptError, match="p3.txt"):
        project.ingest()
    bad.write_text("Interviewer: Hello?\n\nStranger: Who are you?\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"p3.txt: line 3: unknown speaker 'Stranger'"):
        project.ingest()
    bad.unlink()
    assert snapshot(tmp_path) == before


def test_missing_transcript_file_is_kept(project: Project, tmp_path: Path) -> None:
    project.code(seg_id(project, "Tuesdays"), "access", "ana")
    (tmp_path / "transcripts" / "p2.txt").unlink()
    report = project.ingest()
    assert report.missing == ["p2"]
    assert len(project.codings("ana")) == 1
    assert project.status()["missing_transcripts"] == ["transcripts/p2.txt"]


def test_import_and_export_codings(project: Project, tmp_path: Path) -> None:
    a, b = seg_id(project, "closer to her"), seg_id(project, "Tuesdays")
    good = tmp_path / "good.csv"
    good.write_text(f"segment_id,code,memo\n{a},bonding,warm\n{b},access,\n")
    assert project.import_codings(good, "ben") == 2
    out = tmp_path / "out.csv"
    assert project.export_codings(out, "ben") == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel then reads it as UTF-8
    import pandas as pd

    frame = pd.read_csv(out)
    assert {"transcript", "participant", "group", "service", "code", "theme", "text"} <= set(
        frame.columns
    )
    assert frame.set_index("code").loc["bonding", "theme"] == "impact"
    project.undo("ben")  # an import is one undoable action
    assert project.codings("ben").empty


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("segment_id,code\n{a},bonding\n999,bonding\n", "line 3: unknown segment_id 999"),
        ("segment_id,code\n{a},nope\n", "line 2: unknown code id 'nope'"),
        ("segment_id,code\nabc,bonding\n", "line 2: segment_id 'abc' is not a whole number"),
        ("seg,code\n{a},bonding\n", "line 1: missing column(s) segment_id"),
        ("segment_id,code\n{a},bonding,extra\n", "line 2: 3 values but 2 columns"),
        ("", "empty file"),
    ],
)
def test_import_codings_bad_rows_store_nothing(
    project: Project, tmp_path: Path, content: str, message: str
) -> None:
    a = seg_id(project, "closer to her")
    bad = tmp_path / "bad.csv"
    bad.write_text(content.format(a=a))
    with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        project.import_codings(bad, "ben")
    assert project.codings().empty


def test_import_codings_reads_a_semicolon_csv(project: Project, tmp_path: Path) -> None:
    """Excel in many European locales saves CSV with ';': participants.csv was read, a codings
    CSV refused ("missing column(s) segment_id")."""
    a, b = seg_id(project, "closer to her"), seg_id(project, "Tuesdays")
    path = tmp_path / "excel.csv"
    path.write_bytes(
        f"segment_id;code;memo\r\n{a};bonding;warm, and calm\r\n{b};access;\r\n".encode("utf-8-sig")
    )
    assert project.import_codings(path, "ben") == 2
    memos = project.codings("ben").set_index("code")
    assert memos.loc["bonding", "segment_id"] == a


def test_import_codings_refuses_what_code_refuses(project: Project, tmp_path: Path) -> None:
    """An interviewer turn (context, not a coding unit) was imported without a word, though
    `qualkit code` refuses it."""
    frame = project.segments(include_interviewer=True)
    question = int(frame[frame["is_interviewer"]]["segment_id"].iloc[0])
    a = seg_id(project, "closer to her")
    bad = tmp_path / "interviewer.csv"
    bad.write_text(f"segment_id,code\n{a},bonding\n{question},bonding\n")
    with pytest.raises(ProjectError, match=f"line 3: segment {question} is an interviewer turn"):
        project.import_codings(bad, "ben")
    assert project.codings().empty


def test_merge_and_delete_codes_repoint_codings(project: Project, tmp_path: Path) -> None:
    sid = seg_id(project, "closer to her")
    project.code(sid, "bonding", "ana")
    project.code(sid, "impact", "ana")
    project.code(seg_id(project, "The wait"), "waiting", "ana")
    assert project.merge_codes("bonding", "impact", actor="ana") == 1
    assert "bonding" not in project.codebook
    assert project.codes_of(sid, "ana") == ["impact"]  # the duplicate merged into one
    with pytest.raises(CodebookError, match="has 1 coding"):
        project.delete_code("waiting")
    project.delete_code("waiting", remap_to="access")
    assert "access" in project.codes_of(seg_id(project, "The wait"), "ana")
    assert "This comment must survive writes" in (tmp_path / "codebook.yaml").read_text()


def test_a_code_whose_codings_were_all_removed_can_just_be_deleted(project: Project) -> None:
    """The editor offered "0 coding(s)" and "just delete", then the core refused: it counted
    the removed coding kept for undo."""
    sid = seg_id(project, "The wait")
    project.code(sid, "waiting", "ana")
    project.uncode(sid, "waiting", "ana")
    assert project.code_usage().get("waiting", 0) == 0
    project.delete_code("waiting", actor="ana")
    assert "waiting" not in project.codebook
    # undoing the removal cannot bring back a coding of a code that has gone
    with pytest.raises(HistoryError):
        project.undo("ana")
    assert project.codes_of(sid, "ana") == []
    assert project.codes_missing_from_codebook() == {}


def test_remembered_coder_and_backup(project: Project, tmp_path: Path) -> None:
    assert project.remembered_coder is None
    project.remember_coder("ana")
    assert Project.open(tmp_path).remembered_coder == "ana"
    path = project.backup(keep=2)
    import sqlite3

    con = sqlite3.connect(path)
    assert con.execute("select count(*) from segments").fetchone()[0] > 0
    for _ in range(3):
        project.backup(keep=2)
    assert len(list((tmp_path / ".qualkit" / "backups").glob("*.db"))) == 2


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a qualkit project"):
        Project.open(tmp_path)
    with pytest.raises(ProjectError, match="no such folder"):
        Project.open(tmp_path / "nope")


def test_every_format_through_ingest(tmp_path: Path) -> None:
    import shutil

    import docx
    from projects import REPO

    (tmp_path / "transcripts").mkdir()
    for fixture in (REPO / "tests" / "fixtures" / "transcripts").iterdir():
        shutil.copy(fixture, tmp_path / "transcripts" / fixture.name)
    document = docx.Document()
    document.add_paragraph("FICTIONAL TRANSCRIPT for qualkit tests.")
    document.add_paragraph("Sam Carter: What did the group give you?")
    document.add_paragraph("Dee: Somewhere to go on a Tuesday. People who got it.")
    document.save(tmp_path / "transcripts" / "word_interview.docx")
    (tmp_path / "codebook.yaml").write_text("codes: []\n")
    (tmp_path / "qualkit.yaml").write_text(
        "interviewer_labels: [Interviewer, Facilitator, Sam Carter]\n"
    )
    with Project.open(tmp_path) as p:
        report = p.ingest()
        assert len(report.added) == 6
        frame = p.segments()
        for tid, group in frame.groupby("transcript"):
            text = p.transcript_text(tid)
            for r in group.itertuples():
                assert text[r.start : r.end] == r.text
        word = frame[frame.transcript == "word_interview"]
        assert word.speaker.tolist() == ["Dee"] and word.participant.tolist() == ["Dee"]
        teams = frame[frame.transcript == "staff_teams"]
        # Consecutive cues of one speaker become one turn.
        assert teams.text.iloc[0].startswith("Sure. I'm one of the parent-infant")
        assert "six-week group" in teams.text.iloc[0]
        assert not frame.speaker.eq("Sam Carter").any()


def test_reviewed_segments_count_towards_progress(project: Project, tmp_path: Path) -> None:
    nothing = seg_id(project, "health visitor. She")
    project.code(seg_id(project, "closer to her"), "bonding", "ana")
    project.mark_reviewed(nothing, "ana")
    row = project.progress("ana").set_index("transcript").loc["p1"]
    assert (row.coded, row.coded_or_reviewed, row.segments, row.percent) == (1, 2, 3, 66.7)
    assert project.reviewed("ana") == {nothing}
    project.undo("ana")
    assert project.reviewed("ana") == set()
    project.redo("ana")
    assert project.reviewed("ana", transcript="p1") == {nothing}
    # The reviewed answer is deleted from the transcript: the mark goes with it.
    edited = INTERVIEW_1.replace(
        "Maya: It was my health visitor. She mentioned it when the baby was small.\n", ""
    )
    (tmp_path / "transcripts" / "p1.txt").write_text(edited, encoding="utf-8")
    project.ingest()
    assert project.reviewed("ana") == set()
    assert project.progress("ana").set_index("transcript").loc["p1", "coded_or_reviewed"] == 1


def test_a_changed_transcript_id_is_refused(project: Project, tmp_path: Path) -> None:
    project.code(seg_id(project, "closer to her"), "bonding", "ana")
    before = snapshot(tmp_path)
    (tmp_path / "transcripts" / "p1.txt").write_text(INTERVIEW_1.replace("id: p1", "id: maya"))
    with pytest.raises(ProjectError, match="id changed from 'p1' to 'maya'"):
        project.ingest()
    assert snapshot(tmp_path)["<database>"] == before["<database>"]


def test_a_folder_of_transcripts_gets_a_codebook_when_first_needed(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    (tmp_path / "codebook.yaml").unlink()
    with Project.open(tmp_path) as p:
        p.ingest()
        assert len(p.codebook.codes) == 0
        code_id = p.add_code("Parking", actor="ana")
        p.code(int(p.segments().segment_id.iloc[0]), code_id, "ana")
    assert "Parking" in (tmp_path / "codebook.yaml").read_text()


def test_a_project_made_with_init_behaves_like_one_made_without(tmp_path: Path) -> None:
    """`qualkit init` writes qualkit.yaml; its values must be the defaults, not a subset."""
    from qualkit.settings import Settings, load_settings

    made = Project.init(tmp_path / "made")
    made.close()
    assert (tmp_path / "made" / "qualkit.yaml").exists()
    assert load_settings(tmp_path / "made") == Settings()
