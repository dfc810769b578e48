"""Pseudonymisation at export and `qualkit anonymise check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_project import coded_report_project

from qualkit.errors import ReportError
from qualkit.reports.anonymise import anonymise_check, capitalised_words
from qualkit.reports.pseudonyms import Pseudonyms

MAP = Pseudonyms(
    {
        "Anna": "[team member]",
        "Anna Byrne": "[the psychotherapist]",
        "St Thomas'": "[hospital]",
        "little steps": "[the service]",
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna's group helped.", "[team member]'s group helped."),  # possessive kept
        ("Anna’s group helped.", "[team member]’s group helped."),  # curly apostrophe
        ("Anna said it first.", "[team member] said it first."),  # at a sentence start
        ("I told ANNA.", "I told [team member]."),  # capitals
        ("anna is a palindrome", "anna is a palindrome"),  # case-aware: not a name here
        ("Annabel and Hannah came.", "Annabel and Hannah came."),  # never inside a word
        ("Anna-Marie came too.", "Anna-Marie came too."),  # a different, joined name
        ("Anna- I mean Anna, yes.", "[team member]- I mean [team member], yes."),  # false start
        ("Anna Byrne rang, then Anna.", "[the psychotherapist] rang, then [team member]."),
        ("born at St Thomas' in May", "born at [hospital] in May"),
        ("born at St  Thomas’ in May", "born at [hospital] in May"),  # spacing, apostrophe
        ("Little Steps and little steps", "[the service] and [the service]"),
        ("[my baby] and [laughs]", "[my baby] and [laughs]"),  # brackets untouched
    ],
)
def test_replacements(text: str, expected: str) -> None:
    assert MAP.apply(text) == expected


def test_load_reports_bad_files_in_one_line(tmp_path: Path) -> None:
    assert not Pseudonyms.load(tmp_path)  # no file: nothing to replace
    (tmp_path / "pseudonyms.yaml").write_text("Anna: [team member\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"pseudonyms.yaml:\d+: invalid YAML"):
        Pseudonyms.load(tmp_path)
    (tmp_path / "pseudonyms.yaml").write_text("Anna: '[team member]'\nBen:\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"pseudonyms.yaml:2: 'Ben' needs a replacement"):
        Pseudonyms.load(tmp_path)
    (tmp_path / "pseudonyms.yaml").write_text("- Anna\n", encoding="utf-8")
    with pytest.raises(ReportError, match="expected a mapping"):
        Pseudonyms.load(tmp_path)


def test_capitalised_words_skip_sentence_starts_and_brackets() -> None:
    text = 'Yes. Then Priya rang. "Nobody" came, so [Trust] sent Jo... Okay, Jo’s fine. [laughs] No'
    assert list(capitalised_words(text)) == ["Priya", "Jo", "Jo"]
    assert list(capitalised_words("Rosa Lee", label=True)) == ["Rosa", "Lee"]


def test_check_lists_unmapped_words_with_count_and_first_place(tmp_path: Path) -> None:
    with coded_report_project(tmp_path, pseudonyms=False) as p:
        found = {f.word: f for f in anonymise_check(p)}
        # speaker labels count, every word of them
        # "Anna's group was ..." starts a sentence, but no lower-case word is "anna": a name
        assert set(found) == {"Anna", "Rosa", "Dee", "Lou", "Sam", "Kit", "Steps"}
        assert found["Rosa"].count == 1 and found["Rosa"].first_place == "speaker label in t1"
        # what attributions print counts too ("(Parent, Baby Steps)"); "Parent" is common
        assert found["Steps"].first_place == "participants.csv, P03 service"
        (tmp_path / "pseudonyms.yaml").write_text(
            'Anna: "[team member]"\nRosa: Rosa\nDee: Dee\nLou: Lou\nSam: Sam\nKit: Kit\n'
            "Baby Steps: Baby Steps\n",
            encoding="utf-8",
        )
        assert anonymise_check(p) == []
        p.set_memo("segment", int(p.codings("ana").segment_id.iloc[0]), "ana", "ask Bilal")
        assert [(f.word, f.count) for f in anonymise_check(p)] == [("Bilal", 1)]
        assert anonymise_check(p)[0].first_place.startswith("segment memo by ana on segment")


def test_exports_refuse_while_names_are_found(tmp_path: Path) -> None:
    from qualkit.reports.exports import export_matrix, export_quotes

    with coded_report_project(tmp_path, pseudonyms=False) as p:
        out = tmp_path / "m.csv"
        with pytest.raises(ReportError, match=r"export refused: \d+ capitalised word") as caught:
            export_matrix(p, out, by="group")
        assert "--allow-names" in str(caught.value) and "\n" not in str(caught.value)
        assert not out.exists()
        with pytest.raises(ReportError, match="export refused"):
            export_quotes(p, tmp_path / "q.md")
        export_matrix(p, out, by="group", allow_names=True)
        assert out.exists()


def test_codings_csv_is_pseudonymised_and_has_quote_and_memos(tmp_path: Path) -> None:
    import pandas as pd

    from qualkit.reports.exports import export_codings

    with coded_report_project(tmp_path) as p:
        b = int(p.codings("ana").query("starred").segment_id.iloc[0])
        p.set_coding_memo(b, "referral", "ana", "Anna again: check")
        p.set_memo("segment", b, "ana", "a turning point")
        out = tmp_path / "codings.csv"
        assert export_codings(p, out) == 10
        frame = pd.read_csv(out, keep_default_na=False)
        row = frame[(frame.segment_id == b)].iloc[0]
        assert row.text.startswith("[team member]'s group was the first place")
        assert row.quote.startswith("/.../ [team member] called me every week")
        assert row.memo == "[team member] again: check"
        assert row.segment_memo == "a turning point"
        whole = frame[frame.text.str.startswith("We waited")].iloc[0]
        assert whole.quote == whole.text  # untrimmed: the segment's words
        assert "Anna" not in out.read_text(encoding="utf-8-sig")
        stored = p.segment(b)["text"]
        assert stored.startswith("Anna's group")  # the transcript itself never changes
