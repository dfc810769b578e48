"""The real corpora in ../shared/corpora, ingested through the real parsers and store."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import pytest
from projects import REPO, SHARED

from qualkit.project import Project

sys.path.insert(0, str(REPO / "bench"))
from corpora import build_interviewer_project, interviewer_turns  # noqa: E402

pytestmark = pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason="no ../shared")
PDPILOT = SHARED / "corpora" / "pdpilot"


@pytest.fixture(scope="module")
def interviewer(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = build_interviewer_project(tmp_path_factory.mktemp("interviewer"))
    p = Project.open(root)
    report = p.ingest()
    assert len(report.added) == 250
    return p


def test_interviewer_corpus_turn_counts_match_turns_csv(interviewer: Project) -> None:
    expected = interviewer_turns()
    frame = interviewer.segments(include_interviewer=True)
    turns = frame.groupby("transcript").turn.nunique().to_dict()
    assert len(turns) == 250
    for interview_id, rows in expected.items():
        # A label with no words after it (`AI: ` in a few interviews) is not a turn.
        spoken = [r for r in rows if r["text"].strip()]
        assert turns[interview_id] == len(spoken), interview_id
    assert sum(turns.values()) == sum(
        1 for rows in expected.values() for r in rows if r["text"].strip()
    )


def test_interviewer_corpus_participant_words_survive_exactly(interviewer: Project) -> None:
    expected = interviewer_turns()
    frame = interviewer.segments(include_interviewer=True)
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    for r in frame.itertuples():  # a long turn is several segments: take first start, last end
        start, _ = spans.get((r.transcript, r.turn), (r.start, r.end))
        spans[(r.transcript, r.turn)] = (start, r.end)
    for interview_id, rows in expected.items():
        text = interviewer.transcript_text(interview_id)
        spoken = [r for r in rows if r["text"].strip()]
        for index, row in enumerate(spoken):
            start, end = spans[(interview_id, index)]
            words = " ".join(text[start:end].split())
            assert words == " ".join(row["text"].split()), (interview_id, index)
    participants = interviewer.participants().set_index("participant_id")
    assert Counter(participants.group) == {"creatives": 125, "scientists": 125}
    coded_units = frame[~frame.is_interviewer]
    assert set(coded_units.participant) == set(expected)  # every User turn is its interviewee


def test_pdpilot_826_turns(tmp_path: Path) -> None:
    (tmp_path / "transcripts").mkdir()
    for source in sorted((PDPILOT / "transcripts_txt").glob("P*.txt")):
        body = source.read_text(encoding="utf-8")
        front = (
            f"---\nid: {source.stem}\nspeakers:\n  Dan: interviewer\n"
            f"  Participant: {source.stem}\n  Particpant: {source.stem}\n---\n"
        )
        (tmp_path / "transcripts" / source.name).write_text(front + body, encoding="utf-8")
    (tmp_path / "qualkit.yaml").write_text("segmentation: turn\n")
    (tmp_path / "codebook.yaml").write_text("codes: []\n")
    with Project.open(tmp_path) as p:
        p.ingest()
        frame = p.segments(include_interviewer=True)
    with (PDPILOT / "transcript_turns.csv").open(encoding="utf-8") as f:
        expected = Counter(row["document"] for row in csv.DictReader(f))
    assert sum(expected.values()) == 826
    assert frame.groupby("transcript").size().to_dict() == dict(expected)
