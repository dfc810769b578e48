"""Inter-coder agreement: published worked examples, edge cases, project level, CLI.

Published values from ../shared/agreement/REFERENCE.md (Krippendorff 2011; irrCAC README;
Fleiss 1971 via Wikipedia; Cohen 1960 via Wikipedia).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from projects import qualkit as run_qualkit
from projects import write_tiny_project
from typer.testing import CliRunner

from qualkit.agreement import stats as ag
from qualkit.agreement import tables as report
from qualkit.agreement.consensus import adopt_consensus
from qualkit.errors import CodebookError, ProjectError, QualkitError
from qualkit.project import Project

NA = np.nan

# Krippendorff (2011): coders A-D (rows) × 12 units (columns), NaN = missing.
KRIPPENDORFF = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    ]
)

FLEISS_1971 = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


# -- A. Krippendorff (2011) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_alpha(metric: str, expected: float) -> None:
    alpha = ag.krippendorff_alpha(KRIPPENDORFF, metric)  # type: ignore[arg-type]
    assert round(alpha.value, 3) == expected
    assert alpha.n_units == 11  # unit 12 has one value: not pairable
    assert alpha.reason is None


def test_krippendorff_2011_alpha_nominal_five_places() -> None:
    alpha = ag.krippendorff_alpha(KRIPPENDORFF)
    assert round(alpha.value, 5) == 0.74342
    # Krippendorff's worked terms: n = 40 pairable values, Do = 8/40, De = 1 - sum n_c^2 ...
    assert alpha.observed == pytest.approx(0.2)
    assert 1 - alpha.observed / alpha.expected == pytest.approx(alpha.value)


def test_krippendorff_2011_irrcac_coefficients() -> None:
    counts, values = ag.rating_counts(KRIPPENDORFF)
    assert values.tolist() == [1, 2, 3, 4, 5]
    assert counts.shape == (12, 5)
    assert round(ag.percent_agreement(counts).value, 7) == 0.8181818
    assert round(ag.gwet_ac1(counts).value, 5) == 0.77544
    assert round(ag.fleiss_kappa(counts).value, 5) == 0.76117
    assert round(ag.brennan_prediger(counts).value, 5) == 0.77273


def test_krippendorff_2011_conger_with_irrcac_layout() -> None:
    # Conger's kappa depends on which coder gave which value. irrCAC's cac.raw4raters records
    # unit 12's lone rating (3) under the third rater; every per-unit count is the same, so
    # Po, AC1, Fleiss and alpha do not change, but Conger's chance term does.
    irrcac = KRIPPENDORFF.copy()
    irrcac[1, 11], irrcac[2, 11] = NA, 3
    assert round(ag.conger_kappa(irrcac).value, 5) == 0.76282
    assert ag.fleiss_kappa(ag.rating_counts(irrcac)[0]).value == pytest.approx(
        ag.fleiss_kappa(ag.rating_counts(KRIPPENDORFF)[0]).value
    )


# -- C. Fleiss (1971) -------------------------------------------------------------------------


def test_fleiss_1971() -> None:
    kappa = ag.fleiss_kappa(FLEISS_1971)
    assert round(kappa.observed, 3) == 0.378  # P_bar
    assert round(kappa.expected, 3) == 0.213  # Pe_bar
    assert round(kappa.value, 3) == 0.210
    assert kappa.n_units == 10


# -- E. Cohen (1960) --------------------------------------------------------------------------


def test_cohen_first_table_all_coefficients() -> None:
    table = [[20, 5], [10, 15]]
    kappa = ag.cohen_kappa(table)
    assert round(kappa.observed, 2) == 0.70
    assert round(kappa.expected, 2) == 0.50
    assert round(kappa.value, 4) == 0.4000
    assert round(ag.scott_pi(table).value, 4) == 0.3939
    assert round(ag.pair_gwet_ac1(table).value, 4) == 0.4059
    assert ag.pair_percent_agreement(table).value == pytest.approx(0.70)


@pytest.mark.parametrize(
    ("table", "expected"), [([[45, 15], [25, 15]], 0.1304), ([[25, 35], [5, 35]], 0.2593)]
)
def test_cohen_other_tables(table: list[list[int]], expected: float) -> None:
    assert round(ag.cohen_kappa(table).value, 4) == expected


def test_cohen_general_k_categories() -> None:
    # 3 categories: Po = 0.70, Pe = 0.60*0.65 + 0.30*0.25 + 0.10*0.10 = 0.475.
    table = [[53, 5, 2], [11, 14, 5], [1, 6, 3]]
    kappa = ag.cohen_kappa(table)
    assert kappa.expected == pytest.approx(0.475)
    assert kappa.value == pytest.approx(0.225 / 0.525)
    ac1 = ag.pair_gwet_ac1(table)
    pi = (np.array([60, 30, 10]) + np.array([65, 25, 10])) / 200
    assert ac1.expected == pytest.approx(np.sum(pi * (1 - pi)) / 2)


# -- consistency between the two-coder and multi-coder forms ----------------------------------


def test_pair_forms_agree_with_multi_coder_forms() -> None:
    a = ["x", "y", "x", "z", "z", "x", "y", "y", "x", "z", "x"]
    b = ["x", "y", "y", "z", "x", "x", "y", "z", "x", "z", "x"]
    table, cats = ag.contingency_table(a, b)
    assert cats == ["x", "y", "z"]
    data = np.array([[cats.index(v) for v in a], [cats.index(v) for v in b]], dtype=float)
    counts, _ = ag.rating_counts(data)
    assert ag.pair_krippendorff_alpha(table).value == pytest.approx(
        ag.krippendorff_alpha(data).value
    )
    assert ag.pair_gwet_ac1(table).value == pytest.approx(ag.gwet_ac1(counts).value)
    assert ag.scott_pi(table).value == pytest.approx(ag.fleiss_kappa(counts).value)
    assert ag.pair_percent_agreement(table).value == pytest.approx(
        ag.percent_agreement(counts).value
    )
    assert ag.cohen_kappa(table).value == pytest.approx(ag.conger_kappa(data).value)


def test_binary_table_layout() -> None:
    t = ag.binary_table([True, True, False, False, True], [True, False, True, False, True])
    assert t.tolist() == [[2, 1], [1, 1]]


# -- edge cases -------------------------------------------------------------------------------


def test_perfect_agreement() -> None:
    table = [[3, 0], [0, 7]]
    for f in (ag.cohen_kappa, ag.scott_pi, ag.pair_gwet_ac1, ag.pair_krippendorff_alpha):
        assert f(table).value == pytest.approx(1.0)
    data = np.array([[1, 2, 3, 1], [1, 2, 3, 1], [1, 2, 3, NA]])
    for metric in ag.METRICS:
        assert ag.krippendorff_alpha(data, metric).value == pytest.approx(1.0)  # type: ignore[arg-type]
    counts, _ = ag.rating_counts(data)
    assert ag.fleiss_kappa(counts).value == pytest.approx(1.0)
    assert ag.gwet_ac1(counts).value == pytest.approx(1.0)


def test_no_variation_is_nan_with_a_reason() -> None:
    table = [[0, 0], [0, 12]]  # nobody ever applied the code
    kappa = ag.cohen_kappa(table)
    assert math.isnan(kappa.value) and not kappa.defined
    assert "Pe = 1" in (kappa.reason or "")
    alpha = ag.pair_krippendorff_alpha(table)
    assert math.isnan(alpha.value) and "De = 0" in (alpha.reason or "")
    assert math.isnan(ag.scott_pi(table).value)
    # AC1 stays defined: Pe = 2*0*(1-0) = 0, so AC1 = Po = 1.
    assert ag.pair_gwet_ac1(table).value == pytest.approx(1.0)
    assert ag.pair_percent_agreement(table).value == 1.0
    counts = np.array([[3, 0], [3, 0]])
    assert math.isnan(ag.fleiss_kappa(counts).value)
    assert math.isnan(ag.krippendorff_alpha(np.ones((3, 4))).value)


def test_single_unit() -> None:
    agree = ag.cohen_kappa([[1, 0], [0, 0]])
    assert agree.n_units == 1 and math.isnan(agree.value)
    differ = ag.cohen_kappa([[0, 1], [0, 0]])
    assert differ.value == pytest.approx(0.0)
    assert ag.pair_krippendorff_alpha([[0, 1], [0, 0]]).value == pytest.approx(0.0)
    single = ag.krippendorff_alpha([[1.0], [2.0], [NA]])
    assert single.n_units == 1 and single.value == pytest.approx(0.0)
    lonely = ag.krippendorff_alpha([[1.0, NA], [NA, 2.0]])  # no unit has two values
    assert math.isnan(lonely.value) and "pairable" in (lonely.reason or "")


@pytest.mark.parametrize(
    "bad",
    [[[1, 2, 3]], [1, 2], [[0, 0], [0, 0]], [[1, -1], [0, 2]], [[1, NA], [0, 2]], []],
)
def test_bad_tables_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        ag.cohen_kappa(bad)


def test_bad_multi_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="metric"):
        ag.krippendorff_alpha(KRIPPENDORFF, "cosine")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing"):
        ag.krippendorff_alpha(np.full((2, 3), NA))
    with pytest.raises(ValueError, match="whole"):
        ag.fleiss_kappa([[1.5, 0.5]])
    with pytest.raises(ValueError, match="two or more"):
        ag.fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="2-D"):
        ag.fleiss_kappa([1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        ag.krippendorff_alpha([[1, -2], [1, 3]], "ratio")
    with pytest.raises(ValueError, match="numeric"):
        ag.krippendorff_alpha([["a", "b"], ["a", "b"]])
    with pytest.raises(ValueError, match="different numbers"):
        ag.contingency_table([1, 2], [1])
    with pytest.raises(ValueError):
        ag.pair_gwet_ac1([[4]])
    with pytest.raises(ValueError, match="2 coders"):
        ag.conger_kappa([[1, 2, 3]])


# -- project level ----------------------------------------------------------------------------


def seg(p: Project, needle: str) -> int:
    frame = p.segments()
    hits = frame[frame.text.str.contains(needle, regex=False)]
    assert len(hits) == 1, needle
    return int(hits.segment_id.iloc[0])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Tiny fictional project, 5 units (3 in p1, 2 in p2), coded by ana and ben."""
    write_tiny_project(tmp_path)
    p = Project.open(tmp_path)
    p.ingest()
    s = {k: seg(p, k) for k in ("health visitor", "six weeks", "closer", "Tuesdays", "refer")}
    for key, code in [
        ("health visitor", "referral"),
        ("six weeks", "waiting"),
        ("closer", "bonding"),
        ("Tuesdays", "impact"),
        ("refer", "referral"),
    ]:
        p.code(s[key], code, "ana")
    for key, code in [
        ("health visitor", "referral"),
        ("six weeks", "waiting"),
        ("six weeks", "referral"),
        ("closer", "impact"),
        ("refer", "referral"),
    ]:
        p.code(s[key], code, "ben")
    p.ids = s  # type: ignore[attr-defined]
    yield p
    p.close()


def mark_all_done(p: Project, coders: list[str]) -> None:
    for t in ("p1", "p2"):
        for c in coders:
            p.mark_done(t, c)


def test_agreement_table_two_coders(project: Project) -> None:
    mark_all_done(project, ["ana", "ben"])
    t = report.agreement_table(project, ["ana", "ben"]).set_index("code")
    assert t.attrs["basis"] == "done" and t.attrs["n_units"] == 5
    assert list(t.index) == ["access", "referral", "waiting", "impact", "bonding"]
    r = t.loc["referral"]
    assert (r.both, r.only_a, r.only_b, r.neither) == (2, 0, 1, 2)
    # Po = 4/5; pA = .4, pB = .6, Pe = .4*.6 + .6*.4 = .48; kappa = .32/.52
    assert r.percent_agreement == pytest.approx(0.8)
    assert r.kappa == pytest.approx(0.32 / 0.52)
    # pi = .5 -> Pe = .5 -> AC1 = .6; alpha: o = [[4,1],[1,4]], Do = .2, De = 50/90
    assert r.ac1 == pytest.approx(0.6)
    assert r.alpha == pytest.approx(1 - 0.2 / (50 / 90))
    w = t.loc["waiting"]
    assert (w.kappa, w.alpha, w.ac1, w.percent_agreement) == (1.0, 1.0, 1.0, 1.0)
    a = t.loc["access"]  # nobody applied the parent code itself
    assert a.neither == 5 and math.isnan(a.kappa) and math.isnan(a.alpha)
    assert "Pe = 1" in a.note
    assert t.loc["bonding"].only_a == 1 and t.loc["impact"].only_a == 1
    assert t.loc["impact"].only_b == 1


def test_theme_level_rolls_up_descendants(project: Project) -> None:
    mark_all_done(project, ["ana", "ben"])
    t = report.agreement_table(project, ["ana", "ben"], level="theme").set_index("code")
    assert list(t.index) == ["access", "impact"]
    acc = t.loc["access"]  # referral/waiting roll up: both coders have it on the same 3 units
    assert (acc.both, acc.only_a, acc.only_b, acc.neither) == (3, 0, 0, 2)
    assert acc.kappa == pytest.approx(1.0)
    imp = t.loc["impact"]  # ana: bonding on "closer" + impact on "Tuesdays"; ben: impact "closer"
    assert (imp.both, imp.only_a, imp.only_b, imp.neither) == (1, 1, 0, 3)


def test_units_are_transcripts_every_coder_finished(project: Project) -> None:
    project.mark_done("p1", "ana")
    project.mark_done("p1", "ben")
    project.mark_done("p2", "ana")  # ben has not finished p2
    t = report.agreement_table(project, ["ana", "ben"])
    assert t.attrs["transcripts"] == ["p1"] and t.attrs["n_units"] == 3
    assert set(t.n_units) == {3}
    given = report.agreement_table(project, ["ana", "ben"], transcripts=["p2"])
    assert given.attrs["basis"] == "given" and given.attrs["n_units"] == 2


def test_without_done_marks_uses_transcripts_both_coded_and_says_so(project: Project) -> None:
    t = report.agreement_table(project, ["ana", "ben"])
    assert t.attrs["basis"] == "coded"
    assert "marked done" in t.attrs["note"]
    assert t.attrs["transcripts"] == ["p1", "p2"]


def test_three_coders(project: Project) -> None:
    s = project.ids  # type: ignore[attr-defined]
    project.code(s["health visitor"], "referral", "cat")
    project.code(s["refer"], "referral", "cat")
    mark_all_done(project, ["ana", "ben", "cat"])
    t = report.agreement_table(project, ["ana", "ben", "cat"]).set_index("code")
    assert "fleiss_kappa" in t.columns and "kappa" not in t.columns
    r = t.loc["referral"]
    assert (r.all_yes, r.all_no, r.mixed) == (2, 2, 1)
    counts = np.array([[3, 0], [1, 2], [0, 3], [0, 3], [3, 0]])  # units in segment order
    assert r.fleiss_kappa == pytest.approx(ag.fleiss_kappa(counts).value)
    assert r.alpha == pytest.approx(ag.alpha_from_counts(counts).value)
    assert r.ac1 == pytest.approx(ag.gwet_ac1(counts).value)
    assert r.percent_agreement == pytest.approx(ag.percent_agreement(counts).value)


def test_project_errors(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="unknown coder 'zoe'"):
        report.agreement_table(project, ["ana", "zoe"])
    with pytest.raises(QualkitError, match="two coders"):
        report.agreement_table(project, ["ana"])
    with pytest.raises(QualkitError, match="twice"):
        report.agreement_table(project, ["ana", "ana"])
    with pytest.raises(ProjectError, match="unknown transcript"):
        report.agreement_table(project, ["ana", "ben"], transcripts=["p9"])
    project.code(project.ids["Tuesdays"], "impact", "dee")  # type: ignore[attr-defined]
    project.code(project.ids["closer"], "impact", "eve")  # type: ignore[attr-defined]
    with pytest.raises(ProjectError, match="no shared units"):
        report.agreement_table(project, ["dee", "eve"])


def test_disagreements(project: Project) -> None:
    mark_all_done(project, ["ana", "ben"])
    s = project.ids  # type: ignore[attr-defined]
    d = report.disagreements(project, "ana", "ben")
    assert list(d.columns) == [
        "segment_id",
        "transcript",
        "text",
        "code",
        "coder_a_has",
        "coder_b_has",
    ]
    got = {(r.segment_id, r.code, r.coder_a_has, r.coder_b_has) for r in d.itertuples()}
    assert got == {
        (s["six weeks"], "referral", False, True),
        (s["closer"], "impact", False, True),
        (s["closer"], "bonding", True, False),
        (s["Tuesdays"], "impact", True, False),
    }
    only = report.disagreements(project, "ana", "ben", code="referral")
    assert len(only) == 1 and "six weeks" in only.text.iloc[0]
    assert only.transcript.iloc[0] == "p1"
    with pytest.raises(ProjectError, match="unknown code"):
        report.disagreements(project, "ana", "ben", code="nope")


def test_adopt_consensus(project: Project) -> None:
    mark_all_done(project, ["ana", "ben"])
    sid = project.ids["six weeks"]  # type: ignore[attr-defined]
    out = adopt_consensus(project, sid, ["waiting", "referral"], actor="ana")
    assert out == {"added": ["waiting", "referral"], "removed": []}
    assert sorted(project.codes_of(sid, "consensus")) == ["referral", "waiting"]
    out = adopt_consensus(project, sid, ["waiting"], actor="ana")
    assert out == {"added": [], "removed": ["referral"]}
    layer = project.codings("consensus")
    assert layer.code.tolist() == ["waiting"]
    assert set(layer.source) == {"consensus"} and "ana" in layer.memo.iloc[0]
    assert project.codes_of(sid, "ana") == ["waiting"]  # other layers untouched
    with pytest.raises(CodebookError):
        adopt_consensus(project, sid, ["waiting", "nope"], actor="ana")
    assert project.codes_of(sid, "consensus") == ["waiting"]  # nothing written
    with pytest.raises(QualkitError, match="actor"):
        adopt_consensus(project, sid, ["waiting"], actor=" ")


# -- CLI --------------------------------------------------------------------------------------


def cli_app() -> typer.Typer:
    from qualkit.cli.app import app
    from qualkit.cli.main import main  # noqa: F401  (importing it registers every command)

    return app


def test_cli_agreement_table_footer_json_csv(project: Project, tmp_path: Path) -> None:
    mark_all_done(project, ["ana", "ben"])
    runner = CliRunner()
    app = cli_app()
    res = runner.invoke(
        app,
        ["agreement", "--coders", "ana,ben", "--project", str(tmp_path)],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    # names, not ids; the formulas are in the methods paragraph
    for fragment in ("Referral", "only ana", "Po =", "Pe =", "Do", "De", "AC1", "κ"):
        assert fragment in res.output, fragment
    out_csv = tmp_path / "exports" / "agreement.csv"
    res = runner.invoke(
        app,
        [
            "agreement",
            "--coders",
            "ana,ben",
            "--level",
            "theme",
            "--format",
            "csv",
            "-o",
            str(out_csv),
            "--project",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert out_csv.read_text(encoding="utf-8-sig").startswith("code,name,both,only_a")
    res = runner.invoke(
        app, ["agreement", "--coders", "ana,ben", "--level", "theme", "--json", "-p", str(tmp_path)]
    )
    data = json.loads(res.stdout)
    assert data["basis"] == "done" and data["n_units"] == 5
    assert [r["code"] for r in data["rows"]] == ["access", "impact"]
    assert "Pe = " in data["methods"]
    res = runner.invoke(
        app,
        [
            "disagreements",
            "--coders",
            "ana,ben",
            "--code",
            "referral",
            "--json",
            "--project",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    assert len(rows) == 1 and rows[0]["coder_b_has"] is True
    res = runner.invoke(app, ["agreement", "--coders", "ana,zoe", "--project", str(tmp_path)])
    assert isinstance(res.exception, QualkitError)


def test_cli_subprocess(project: Project, tmp_path: Path) -> None:
    mark_all_done(project, ["ana", "ben"])
    project.close()

    def qualkit(*args: str) -> subprocess.CompletedProcess[str]:
        return run_qualkit(*args, cwd=tmp_path)

    ok = qualkit("agreement", "--coders", "ana,ben", "--json", "--project", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    # only the codes used: nobody applied the parent code 'access'
    assert json.loads(ok.stdout)["rows"][0]["code"] == "referral"
    bad = qualkit("agreement", "--coders", "ana,zoe", "--project", str(tmp_path))
    assert bad.returncode == 1
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert lines == ["error: unknown coder 'zoe' (coders in this project: ana, ben)"]
    dis = qualkit("disagreements", "--coders", "ana,ben", "--project", str(tmp_path))
    assert dis.returncode == 0, dis.stderr
    assert "4 disagreement(s)" in dis.stdout


def test_three_coders_on_screen_list_the_codes_used_readably_at_80_columns(
    project: Project, tmp_path: Path
) -> None:
    """With three coders every code in the codebook was listed (used or not), and the note
    column folded each row into some twenty lines of a few letters."""
    ids = project.ids  # type: ignore[attr-defined]
    for key, code in [("health visitor", "referral"), ("six weeks", "waiting")]:
        project.code(ids[key], code, "cat")
    mark_all_done(project, ["ana", "ben", "cat"])
    project.close()
    env = {**os.environ, "COLUMNS": "80"}
    args = [sys.executable, "-m", "qualkit.cli", "agreement", "--coders", "ana,ben,cat"]
    args += ["--project", str(tmp_path)]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [line.split()[0] for line in out.stdout.splitlines() if " 5 " in line]
    assert sorted(rows) == ["bonding", "impact", "referral", "waiting"]  # not 'access'
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    every = subprocess.run([*args, "--all-codes"], capture_output=True, text=True, env=env)
    assert "access" in every.stdout and "(1) undefined" in every.stdout
    as_json = subprocess.run([*args, "--json"], capture_output=True, text=True, env=env)
    assert "access" not in {r["code"] for r in json.loads(as_json.stdout)["rows"]}


def test_disagreements_from_the_cli_log_that_the_remembered_coder_saw_the_other_layer(
    project: Project, tmp_path: Path
) -> None:
    """Blinding is reported from the log: looking at disagreements is looking at ben's layer."""
    from qualkit.agreement.blinding import VIEW_LAYER

    mark_all_done(project, ["ana", "ben"])
    project.remember_coder("ana")
    project.close()
    dis = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "disagreements", "--coders", "ana,ben", "--json"]
        + ["--project", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dis.returncode == 0, dis.stderr
    with Project.open(tmp_path) as p:
        seen = [e for e in p.events("ana") if e.action == VIEW_LAYER]
        assert [e.payload["layers"] for e in seen] == [["ben"]]
        assert seen[0].payload["where"] == "disagreements"
