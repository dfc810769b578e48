# ruff: noqa: E501  (transcript turns are long lines, as in real files)
"""A small fictional evaluation for the report tests, with codings whose matrix is worked out
by hand in tests/test_reports_matrix.py (plain functions, so any test can use them)."""

from __future__ import annotations

from pathlib import Path

from qualkit.project import Project

CODEBOOK = """\
# Fictional codebook for the report tests.
codes:
  - id: access
    name: Access
    children:
      - id: referral
        name: Referral
      - id: waiting
        name: Waiting
  - id: impact
    name: Impact
    children:
      - id: bonding
        name: Bonding
"""

PARTICIPANTS = """\
participant_id,group,service
P01,Parent,Together Time
P02,Parent,Together Time
P03,Parent,Baby Steps
T01,Team member,
S01,Stakeholder,
S02,Stakeholder,
"""

FOCUS_GROUP = """\
---
id: t1
kind: focus group
speakers:
  Facilitator: interviewer
  Rosa: P01
  Dee: P02
---
FICTIONAL TRANSCRIPT for qualkit tests.

Facilitator: How did you come to the group?

Rosa: My health visitor told me about it, and then the wait felt endless [laughs] because nobody rang back for weeks.

Facilitator: And then?

Rosa: Anna's group was the first place I felt listened to. [team member] called me every week after that, even when I missed a session.

Dee: We waited nearly three months before anyone from the service called us back about a place.

Dee: I hold [my baby] differently now, I notice when she wants to be close to me.
"""

INTERVIEW = """\
---
id: t2
speakers:
  Interviewer: interviewer
  Lou: P03
---
FICTIONAL TRANSCRIPT for qualkit tests.

Interviewer: What changed for you?

Lou: Since the sessions I feel much closer to him and I can read what he needs before he cries.

Interviewer: Anything else?

Lou: It changed everything for our family, my partner says I am calmer now at home with him.

Interviewer: Would you recommend it?

Lou: Yes.
"""

STAFF = """\
---
id: t3
speakers:
  Interviewer: interviewer
  Sam: T01
  Kit: S01
---
FICTIONAL TRANSCRIPT for qualkit tests.

Interviewer: How do referrals reach you?

Sam: Most referrals come from health visitors who ring us to talk a family through first.

Kit: From the health visiting side the waiting list is the thing families ask me about most.
"""

# The speakers' names are kept (mapped to themselves); Anna becomes a role.
PSEUDONYMS = """\
Anna: "[team member]"
Rosa: Rosa
Dee: Dee
Lou: Lou
Sam: Sam
Kit: Kit
Baby Steps: Baby Steps
"""

# segment key -> (needle in its text, codes given by ana)
CODINGS = {
    "a": ("wait felt endless", ["referral", "waiting"]),
    "b": ("first place I felt listened", ["referral"]),
    "c": ("nearly three months", ["waiting"]),
    "d": ("[my baby]", ["bonding"]),
    "e": ("closer to him", ["bonding"]),
    "f": ("changed everything", ["impact"]),
    "y": ("Yes.", ["bonding"]),
    "g": ("Most referrals", ["referral"]),
    "h": ("waiting list is the thing", ["waiting"]),
}


def write_report_project(root: Path, pseudonyms: bool = True) -> Path:
    (root / "transcripts").mkdir(parents=True, exist_ok=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "qualkit.yaml").write_text(
        # min_words: 0 keeps the one-word answer "Yes." a coding unit: the reports must
        # handle a quote that short.
        'segmentation: turn\nmin_words: 0\nquote_attribution: "({group}, {service})"\n',
        encoding="utf-8",
    )
    (root / "transcripts" / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "transcripts" / "t1.txt").write_text(FOCUS_GROUP, encoding="utf-8")
    (root / "transcripts" / "t2.txt").write_text(INTERVIEW, encoding="utf-8")
    (root / "transcripts" / "t3.txt").write_text(STAFF, encoding="utf-8")
    if pseudonyms:
        (root / "pseudonyms.yaml").write_text(PSEUDONYMS, encoding="utf-8")
    return root


def segment_ids(p: Project) -> dict[str, int]:
    """Segment key (as in CODINGS) -> segment id."""
    frame = p.segments()
    found = {}
    for key, (needle, _) in CODINGS.items():
        if needle == "Yes.":
            hits = frame[frame.text == "Yes."]
        else:
            hits = frame[frame.text.str.contains(needle, regex=False)]
        assert len(hits) == 1, (needle, hits.text.tolist())
        found[key] = int(hits.segment_id.iloc[0])
    return found


def coded_report_project(root: Path, pseudonyms: bool = True) -> Project:
    """The project ingested and coded by ana as in CODINGS; b is starred and trimmed."""
    write_report_project(root, pseudonyms)
    p = Project.open(root)
    p.ingest()
    ids = segment_ids(p)
    for key, (_, codes) in CODINGS.items():
        for code in codes:
            p.code(ids[key], code, "ana")
    p.star(ids["b"], "referral", "ana")
    text = p.segment(ids["b"])["text"]
    start = text.index("[team member] called")
    p.trim_quote(ids["b"], "referral", "ana", (start, len(text)))
    return p
