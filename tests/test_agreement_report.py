"""The two-coder agreement report: figures worked out by hand, a fixed-seed bootstrap interval
recomputed naively, the methods paragraph's facts, and [brackets] in every format."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from projects import qualkit as run_qualkit
from second_project import ANSWERS, code_both, make_second_project

from qualkit.agreement import stats
from qualkit.agreement.blinding import open_session
from qualkit.agreement.methods import num
from qualkit.agreement.render import render
from qualkit.agreement.report import Estimate, agreement_report, coefficients_of_tables
from qualkit.project import Project

# Hand-worked, 10 units:
# referral: both 3 (units 0-2), only ana 1 (unit 3), only ben 1 (unit 4), neither 5.
#   Po = 8/10; pA = pB = 0.4; Pe(κ) = .4·.4 + .6·.6 = .52; κ = .28/.48
#   α: n_yes = 2·3+2 = 8, n_no = 2·5+2 = 12 of 20 values; α = 1 − 19·2/(8·12)
#   AC1: π = .4, Pe = 2·.4·.6 = .48; AC1 = .32/.52
# support (named "Support from [team member]"): only ana on unit 5; neither 9.
#   Po = .9; Pe(κ) = 0·.1 + 1·.9 = .9; κ = 0; α = 1 − 19·1/(1·19) = 0
#   AC1: π = .05, Pe = .095; AC1 = .805/.905  -> the prevalence paradox
# waiting: nobody used it -> left out unless --all-codes.
# pooled (referral + support): both 3, only ana 2, only ben 1, neither 14 (20 decisions)
#   Po = .85; pA = .25, pB = .2; Pe = .05 + .6 = .65; κ = .2/.35
#   α: n_yes = 9, n_no = 31 of 40; α = 1 − 39·3/(9·31)
EXPECTED = {
    "referral": ((3, 1, 1, 5), 0.8, 0.28 / 0.48, 1 - 38 / 96, 0.32 / 0.52),
    "support": ((0, 1, 0, 9), 0.9, 0.0, 0.0, 0.805 / 0.905),
}
POOLED = ((3, 2, 1, 14), 0.85, 0.2 / 0.35, 1 - 117 / 279)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.open(make_second_project(tmp_path / "study"))
    code_both(p)
    yield p
    p.close()


def test_per_code_tables_and_pooled_figures(project: Project) -> None:
    report = agreement_report(project, ["ana", "ben"], resamples=200, seed=7)
    assert report.n_units == len(ANSWERS)
    assert [r.code for r in report.rows] == ["referral", "support"]  # waiting: unused
    for row in report.rows:
        table, po, kappa, alpha, ac1 = EXPECTED[row.code]
        assert (row.both, row.only_a, row.only_b, row.neither) == table
        got = {k: e.value for k, e in row.estimates.items()}
        assert got == pytest.approx({"po": po, "kappa": kappa, "alpha": alpha, "ac1": ac1})
    table, po, kappa, alpha = POOLED
    assert report.pooled_table == table
    assert report.pooled["po"].value == pytest.approx(po)
    assert report.pooled["kappa"].value == pytest.approx(kappa)
    assert report.pooled["alpha"].value == pytest.approx(alpha)
    spread = report.spread["kappa"]
    assert (spread.mean, spread.low, spread.high) == pytest.approx((0.28 / 0.96, 0.0, 0.28 / 0.48))
    assert [r.code for r in report.paradox] == ["support"]
    every = agreement_report(project, ["ana", "ben"], all_codes=True, resamples=200)
    assert [r.code for r in every.rows] == ["referral", "support", "waiting"]
    assert every.pooled_table == table  # pooled over the codes used either way


def test_vectorised_formulas_match_the_published_implementations() -> None:
    for table in ([3, 1, 1, 5], [0, 1, 0, 9], [7, 3, 3, 91], [10, 0, 0, 0], [2, 5, 6, 1]):
        got = coefficients_of_tables(np.array(table))
        t = [[table[0], table[1]], [table[2], table[3]]]
        for name, fn in (
            ("po", stats.pair_percent_agreement),
            ("kappa", stats.cohen_kappa),
            ("alpha", stats.pair_krippendorff_alpha),
            ("ac1", stats.pair_gwet_ac1),
        ):
            want = fn(t).value
            if math.isnan(want):
                assert math.isnan(float(got[name])), (table, name)
            else:
                assert float(got[name]) == pytest.approx(want), (table, name)


def test_fixed_seed_bootstrap_interval_worked_out_naively(project: Project) -> None:
    seed, resamples = 11, 300
    report = agreement_report(project, ["ana", "ben"], resamples=resamples, seed=seed)
    # The same draws, then one loop per resample through the published κ implementation.
    ana = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    ben = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    n = len(ana)
    draws = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    kappas = []
    for weights in draws:
        t = [[0, 0], [0, 0]]
        for u in range(n):
            t[1 - ana[u]][1 - ben[u]] += int(weights[u])
        value = stats.cohen_kappa(t).value
        if not math.isnan(value):
            kappas.append(value)
    low, high = np.percentile(kappas, [2.5, 97.5])
    ref = report.rows[0].estimates["kappa"]
    assert (ref.low, ref.high) == pytest.approx((low, high))
    assert ref.low <= ref.value <= ref.high
    again = agreement_report(project, ["ana", "ben"], resamples=resamples, seed=seed)
    assert again.rows[0].estimates["kappa"] == ref


def test_methods_paragraph_states_every_fact(project: Project) -> None:
    open_session(project, "ana")  # ana coded in a blind workbench session... (logged after
    # her codings here, so her codings count as outside the workbench)
    report = agreement_report(project, ["ana", "ben"], resamples=150, seed=3)
    text = render(report, "json")
    methods = json.loads(text)["methods"]
    for fact in (
        "ana and ben",
        "one segment per participant turn",
        "interviewer turns excluded",
        "10 units from 1 transcript(s) (t1)",
        "marked done",
        "Cohen's kappa",
        "Pe = pA·pB + (1 − pA)(1 − pB)",
        "Krippendorff's alpha",
        "α = 1 − Do / De",
        "Gwet's AC1",
        "Pe = 2π(1 − π)",
        "Cohen, 1960",
        "Krippendorff, 2011",
        "Gwet, 2008",
        "150 bootstrap resamples of units (seed 3",
        "the 2 codes applied by at least one coder (of 3)",
        "20 code × unit decisions",
        "κ = 0.57",
    ):
        assert fact in methods, fact
    # blinding, from the log: ana had one blind session, ben none
    assert "ana: coded blind (1 workbench session(s) blind" in methods
    assert "ben: blinding not recorded (no workbench session logged" in methods
    data = json.loads(text)
    assert data["blind"]["ana"]["blind"] is True and data["blind"]["ben"]["blind"] is None
    assert "Support from [team member]" in data["paradox_explanation"]


def test_report_says_not_blind_after_viewing_the_other_layer(tmp_path: Path) -> None:
    with Project.open(make_second_project(tmp_path / "s", blind="false")) as p:
        units = code_both(p)
        open_session(p, "ben")  # blind: false -> an open session
        p.code(units[9], "waiting", "ben")
        report = agreement_report(p, ["ana", "ben"], resamples=100)
        ben = next(r for r in report.blinding if r.coder == "ben")
        assert ben.blind is False and ben.sessions_open == 1 and ben.codings_not_blind == 1


def test_the_first_coder_working_alone_coded_blind(tmp_path: Path) -> None:
    """With automatic blinding the first coder's sessions are not blind, but there was nobody
    else's coding to see: the methods paragraph said "did not code blind"."""
    from second_project import ANA, BEN, unit_ids

    with Project.open(make_second_project(tmp_path / "s")) as p:
        units = unit_ids(p)
        assert open_session(p, "ana")[0] is False  # alone: not blind
        for index, codes in ANA.items():
            for code in codes:
                p.code(units[index], code, "ana")
        assert open_session(p, "ben")[0] is True  # the second coder codes blind
        for index, codes in BEN.items():
            for code in codes:
                p.code(units[index], code, "ben")
        for coder in ("ana", "ben"):
            p.mark_done("t1", coder)
        report = agreement_report(p, ["ana", "ben"], resamples=100)
        ana, ben = report.blinding
        assert ana.blind is True and ana.sessions_alone == 1 and ana.codings_not_blind == 0
        assert ben.blind is True and ben.sessions_blind == 1
        methods = json.loads(render(report, "json"))["methods"]
        assert "ana: coded blind (0 workbench session(s) blind and 0 showing other" in methods
        assert "1 before any other coder had coded" in methods
        # once ben has coded, ana coding in a window that is not blind is not blind
        p.store.log_event("ana", "workbench-open", {"blind": False, "setting": "false"})
        p.code(units[9], "waiting", "ana")
        ana = agreement_report(p, ["ana", "ben"], resamples=100).blinding[0]
        assert ana.blind is False and ana.sessions_open == 1 and ana.codings_not_blind == 1


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json", "csv"])
def test_brackets_and_names_in_every_format(project: Project, fmt: str) -> None:
    out = render(agreement_report(project, ["ana", "ben"], resamples=100), fmt)
    if fmt == "json":
        rows = json.loads(out)["rows"]
        assert [r["code"] for r in rows] == ["referral", "support"]
        assert rows[1]["name"] == "Support from [team member]"
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows[1]["name"] == "Support from [team member]"
        assert float(rows[0]["kappa"]) == pytest.approx(0.28 / 0.48)
    elif fmt == "text":
        assert "[team member]" in out.replace("\n", " ")
    else:
        assert "Support from [team member]" in out


def test_text_fits_80_columns_and_wraps_names_by_word(project: Project) -> None:
    out = render(agreement_report(project, ["ana", "ben"], resamples=100), "text")
    assert max(len(line) for line in out.splitlines()) <= 80
    words = "Referral routes into the service and how families heard".split()
    # each word of the long name is whole on some line: wrapped at spaces, not letter by letter
    first_col = " ".join(line[:30] for line in out.splitlines())
    for word in words:
        assert word in first_col, word


def test_text_keeps_long_words_and_every_number_whole(project: Project) -> None:
    """At 80 columns, with pooled counts as wide as a real study's, a 14-letter word
    ("Sustainability") stays whole and no number column is cropped or cut to an ellipsis."""
    import dataclasses

    from qualkit.agreement.render import render_text

    report = agreement_report(project, ["ana", "ben"], resamples=100)
    long_name = "Sustainability and commissioning arrangements"
    report = dataclasses.replace(
        report,
        rows=[
            dataclasses.replace(
                r,
                name=long_name,
                # intervals as wide as they get: a negative low bound in every column
                estimates={k: Estimate(e.value, -0.01, 0.91) for k, e in r.estimates.items()},
            )
            for r in report.rows
        ],
        pooled_table=(193, 66, 66, 8849),
    )
    width = 80
    out = render_text(report, width=width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in out
    assert any(line.startswith("Sustainability ") for line in lines)
    for row in report.rows:  # every interval printed in full
        for estimate in row.estimates.values():
            if not math.isnan(estimate.low):
                assert f"{num(estimate.low)}–{num(estimate.high)}" in out


def test_cli_formats_and_output_file(project: Project, tmp_path: Path) -> None:
    project.close()
    root = str(project.root)

    def qualkit(*args: str) -> subprocess.CompletedProcess[str]:
        return run_qualkit(*args, "--project", root, cwd=tmp_path)

    text = qualkit("agreement", "--coders", "ana,ben", "--resamples", "200")
    assert text.returncode == 0, text.stderr
    assert "Support from [team member]" in text.stdout.replace("\n", " ")
    assert "200 resamples" in text.stdout
    target = tmp_path / "out" / "agreement.html"
    html = qualkit("agreement", "--coders", "ana,ben", "--format", "html", "-o", str(target))
    assert html.returncode == 0, html.stderr
    assert "<td>Support from [team member]</td>" in target.read_text(encoding="utf-8")
    bad = qualkit("agreement", "--coders", "ana,ben", "--format", "pdf")
    assert bad.returncode == 1 and bad.stderr.strip().startswith("error: --format must be")


def test_disagreements_at_80_columns_keep_ids_whole_and_every_word(project: Project) -> None:
    """Piped (80 columns), the ids stay on one line and every word of each quote, brackets
    included, is in the text column: none folded letter by letter, none dropped."""
    project.close()
    proc = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "disagreements", "--coders", "ana,ben"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project.root,
        env={k: v for k, v in os.environ.items() if k != "COLUMNS"},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("segment"))
    column = lines[header].index("text")
    words = " ".join(line[column:] for line in lines[header + 2 :] if len(line) > column).split()
    for quote in (ANSWERS[3], ANSWERS[4], ANSWERS[5]):  # the three disagreements
        for word in quote.split():
            assert word in words, word
    rows = [line.split() for line in lines[header + 2 :] if line[:1].isdigit()]
    codes = [row[2] for row in rows if row[1] == "t1"]
    assert codes == ["referral", "referral", "support"]


def test_markdown_and_html_use_the_exports_templates(project: Project) -> None:
    """The report renders through the exports' jinja2 environment: a project's own
    templates/agreement.md.j2 replaces the bundled one, as for the matrix and quote bank."""
    from qualkit.errors import ReportError

    report = agreement_report(project, ["ana", "ben"], resamples=100, seed=1)
    bundled = render(report, "md")
    assert bundled.startswith("# Inter-coder agreement: ana and ben")
    folder = project.root / "templates"
    folder.mkdir()
    (folder / "agreement.md.j2").write_text(
        "Lab report for {{ a }} and {{ b }}: {{ rows | length }} codes\n", encoding="utf-8"
    )
    assert render(report, "md") == "Lab report for ana and ben: 2 codes\n"
    assert "<h1>Inter-coder agreement" in render(report, "html")  # bundled html still
    (folder / "agreement.md.j2").write_text("{% for %}\n", encoding="utf-8")
    with pytest.raises(ReportError, match="agreement.md.j2:1: template error"):
        render(report, "md")


def test_a_tiny_negative_is_printed_as_zero_not_minus_zero() -> None:
    """A code one coder never used has κ 0 in every bootstrap resample, give or take 1e-17:
    its interval printed as "-0.00–0.00"."""
    assert num(-1e-17) == "0.00" and num(-0.004) == "0.00" and num(-0.0, 3) == "0.000"
    assert num(-0.006) == "-0.01" and num(0.5) == "0.50" and num(float("nan")) == "undefined"
