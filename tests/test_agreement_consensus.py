"""`qualkit agreement --coders ana,consensus`: each coder against the adjudicated layer, on the
transcripts consensus has decisions in (it has no done marks), said so in the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from second_project import code_both, make_second_project, unit_ids

from qualkit.agreement.consensus import decide
from qualkit.project import Project


def _qualkit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qualkit.cli", *args, "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_coder_against_consensus_as_a_user_runs_it(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "study")
    with Project.open(root) as p:
        units = code_both(p)  # ana: referral 0-3, support 5; ben: referral 0-2 and 4
        p.code(unit_ids(p, "t2")[0], "support", "ana")
        p.mark_done("t2", "ana")  # done by ana, but nothing adjudicated there
    before = _qualkit(root, "agreement", "--coders", "ana,consensus")
    assert before.returncode == 1
    assert before.stderr.count("\n") == 1 and "no consensus layer yet" in before.stderr
    seeded = _qualkit(
        root, "adjudicate", "--coders", "ana,ben", "--accept-agreed", "--coder", "cat"
    )
    assert seeded.returncode == 0, seeded.stderr  # referral on units 0-2
    with Project.open(root) as p:
        decide(p, units[3], "referral", "a", "ana", "ben", "cat")  # in
        decide(p, units[4], "referral", "neither", "ana", "ben", "cat")  # out
        decide(p, units[5], "support", "b", "ana", "ben", "cat")  # out

    ana = _qualkit(root, "agreement", "--coders", "ana,consensus", "--format", "json")
    assert ana.returncode == 0, ana.stderr
    report = json.loads(ana.stdout)
    assert report["transcripts"] == ["t1"] and report["basis"] == "consensus"
    assert report["n_units"] == 10
    rows = {r["code"]: r for r in report["rows"]}
    # referral: consensus kept all four of ana's; support: ana's one was not kept
    assert [rows["referral"][k] for k in ("both", "only_a", "only_b", "neither")] == [4, 0, 0, 6]
    assert [rows["support"][k] for k in ("both", "only_a", "only_b", "neither")] == [0, 1, 0, 9]
    assert rows["referral"]["kappa"]["value"] == 1.0
    assert list(report["blind"]) == ["ana"]  # consensus is nobody's coding session
    assert report["consensus"] == {
        "transcripts": ["t1"],
        "decisions": 4,
        "adjudicators": ["cat"],
        "pairs": [["ana", "ben"]],
    }
    methods = report["methods"]
    assert "ana compared with the consensus layer" in methods
    assert "4 standing decision(s) by cat, on ana vs ben" in methods
    assert "not agreement between independent coders" in methods
    assert "where the consensus layer holds adjudication decisions and the other coder" in methods
    assert "Two coders" not in methods and "10 units from 1 transcript(s) (t1)" in methods

    ben = _qualkit(root, "agreement", "--coders", "ben,consensus", "--resamples", "200")
    assert ben.returncode == 0, ben.stderr
    text = ben.stdout
    assert "Inter-coder agreement: ben and consensus, 10 units" in text
    assert "3/1/1/5" in text  # referral: both 3, only ben (unit 4), only consensus (unit 3)
    assert "ben compared with the consensus layer" in " ".join(text.split())

    # undoing decisions changes what consensus holds: the report follows
    for _ in range(3):  # support on 5, neither on 4, then the 'take A's' on unit 3
        undo = _qualkit(root, "undo", "--coder", "cat")
        assert undo.returncode == 0, undo.stderr
    again = json.loads(_qualkit(root, "agreement", "--coders", "ana,consensus", "--json").stdout)
    assert again["consensus"]["decisions"] == 1  # the seeding
    referral = next(r for r in again["rows"] if r["code"] == "referral")
    assert [referral[k] for k in ("both", "only_a", "only_b", "neither")] == [3, 1, 0, 6]


def test_exports_of_consensus_carry_the_date_of_the_last_decision(tmp_path: Path) -> None:
    """Decisions are logged under the adjudicator's name, so exports of the consensus layer
    said "data as of no changes"."""
    from datetime import UTC, datetime

    from qualkit.agreement.consensus import open_disagreements
    from qualkit.reports.layers import CONSENSUS, layer_date

    with Project.open(make_second_project(tmp_path / "s")) as p:
        code_both(p)
        first = open_disagreements(p, "ana", "ben")[0]
        decide(p, first.segment_id, first.code, "a", "ana", "ben", actor="cat")
        today = datetime.now(UTC).date().isoformat()
        assert layer_date(p, CONSENSUS) == today
