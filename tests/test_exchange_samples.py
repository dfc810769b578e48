"""Every real REFI-QDA export in ../shared/interop/samples imports, with the right counts and
the per-origin offset rules (checked against the selected text where the file gives it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import SHARED

from qualkit.exchange.offsets import UTF16_CRLF, detect, normalise_newlines
from qualkit.exchange.refi_file import load_qdc, load_qdpx
from qualkit.project import Project

SAMPLES = SHARED / "interop" / "samples"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/interop not available")

# file -> (transcripts imported, codes in the codebook, codings of the file carried, coders)
EXPECTED = {
    "atlasti23-win_blank-atlas-project.qdpx": (0, 0, 0, []),
    "atlasti23-win_target-atlas-project.qdpx": (0, 3, 0, []),
    # A bare .qde: its 14 codes come in (three of them as Coke::... hierarchy), its texts are
    # not in the file, so no source can.
    "atlasti8-mac_refi-standard-project.qde": (0, 14, 0, []),
    "nvivo12-win_oltas0517.qdpx": (2, 152, 303, ["Gergo"]),
    "nvivo15-mac_qc-project.qdpx": (0, 262, 0, []),  # its two texts are empty
    "qc-1.3.2_demo.qdpx": (2, 262, 205, ["cp"]),
    "qualcoder-4.0b-head_synthetic.qdpx": (2, 6, 4, ["alice", "bob"]),
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Project, object]]:
    found = {}
    for name in EXPECTED:
        root = tmp_path_factory.mktemp(name.split("_")[0].replace(".", "-"))
        project = Project.init(root)
        found[name] = (project, project.import_qdpx(SAMPLES / name))
    return found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_with_expected_counts(imported, name: str) -> None:
    project, report = imported[name]
    transcripts, codes, carried, coders = EXPECTED[name]
    assert len(project.transcript_ids()) == transcripts
    assert len(project.codebook) == codes
    assert report.codings_carried == carried
    assert sorted(project.codings()["coder"].unique()) == coders
    # Every coding sits on a live segment and its quote is that segment's exact text slice.
    for row in project.codings().itertuples():
        if row.span_start is not None and row.span_start == row.span_start:
            assert row.quote == row.text[int(row.span_start) : int(row.span_end)]


def test_qualcoder_selected_text_equals_the_slice_and_the_quote(imported) -> None:
    project, report = imported["qualcoder-4.0b-head_synthetic.qdpx"]
    loaded = load_qdpx(SAMPLES / "qualcoder-4.0b-head_synthetic.qdpx")
    names = set()
    for source in loaded.model.sources:
        if source.raw_text is None or not source.selections:
            continue
        assert source.had_bom  # QualCoder writes a BOM; its offsets do not count it
        conv = detect(source.raw_text, source.selections, loaded.model.origin)
        text = normalise_newlines(source.raw_text)
        for sel in source.selections:
            start, end = conv.convert(sel.start, sel.end)
            assert text[start:end] == sel.name
            names.add(sel.name)
    assert report.names_checked == report.names_matched == 4
    quotes = {r.quote if r.quote is not None else r.text for r in project.codings().itertuples()}
    assert quotes == names  # each selection lies inside one segment: its exact span is kept
    assert {"café ☕", "emoji 😀 and more"} <= quotes


def test_qualcoder_people_notes_and_hierarchy(imported) -> None:
    project, _ = imported["qualcoder-4.0b-head_synthetic.qdpx"]
    book = project.codebook
    assert book.get("espresso").parent == "coffee"
    assert book.get("anger-rage").parent == "negative"  # inside a non-codable category
    assert book.get("joy").description == "happy things"
    assert book.get("coffee").color == "#d0a9f5"
    assert "Participant A" in set(project.participants()["participant_id"])
    memos = project.memos()
    assert "coding memo" in set(project.codings()["memo"].dropna())
    assert any("Reflexive journal" in t for t in memos[memos.kind == "project"]["text"])
    assert any("source memo é" in t for t in memos[memos.kind == "transcript"]["text"])
    # Texts without speaker labels are documents: no participants, paragraphs as units.
    assert set(project.transcripts()["kind"]) == {"document"}
    assert project.segments()["participant"].isna().all()


def test_nvivo_windows_offsets_are_utf16_units_over_crlf(imported) -> None:
    _, report = imported["nvivo12-win_oltas0517.qdpx"]
    assert set(report.conventions.values()) == {UTF16_CRLF}
    loaded = load_qdpx(SAMPLES / "nvivo12-win_oltas0517.qdpx")
    source = next(s for s in loaded.model.sources if s.selections)
    conv = detect(source.raw_text, source.selections, "unknown tool")  # detected, not told
    assert conv.convention == UTF16_CRLF
    text = normalise_newlines(source.raw_text)
    on_breaks = 0
    for sel in source.selections:
        start, end = conv.convert(sel.start, sel.end)
        on_breaks += start == 0 or text[start - 1] == "\n"
        on_breaks += end == len(text) or text[end] == "\n"
    assert on_breaks >= 500  # of 606 boundaries; code points would put ~49 there


def test_atlas_names_become_hierarchy_and_a_bare_qde_says_what_is_missing(imported) -> None:
    project, report = imported["atlasti8-mac_refi-standard-project.qde"]
    book = project.codebook
    assert book.get("diet-coke").parent == "coke"
    assert book.get("coke").description == "the breakfast of champions"
    assert any("bare .qde" in line for line in report.skipped)
    assert any("PictureSource" in line for line in report.skipped)


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "p")
    first = project.import_qdpx(SAMPLES / "qualcoder-4.0b-head_synthetic.qdpx")
    second = project.import_qdpx(SAMPLES / "qualcoder-4.0b-head_synthetic.qdpx")
    assert first.codings_added == 4
    assert second.codings_added == 0 and second.codes_added == 0
    assert len(second.transcripts_reused) == 2 and not second.transcripts_added
    assert len(project.codings()) == 4


@pytest.mark.parametrize(
    "name, codes",
    [
        ("taguette-1.4.1_codebook.qdc", 3),
        ("taguette-1.5.2_generated_codebook.qdc", 4),  # interesting\places nests
        ("qualcoder-4.0b-head_synthetic_codebook.qdc", 6),
    ],
)
def test_codebook_samples_import(tmp_path: Path, name: str, codes: int) -> None:
    assert len(load_qdc(SAMPLES / name).all_codes()) >= codes - 1
    project = Project.init(tmp_path / "p")
    report = project.import_qdc(SAMPLES / name)
    assert len(project.codebook) == codes
    assert len(report.added) == codes
    again = project.import_qdc(SAMPLES / name)
    assert again.added == []


def test_taguette_backslash_names_nest(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "p")
    project.import_qdc(SAMPLES / "taguette-1.5.2_generated_codebook.qdc")
    book = project.codebook
    assert book.get("places").parent == "interesting"
    assert any(c.name == 'émotions & <ÿ> "quotes"' for c in book)


def test_imported_spans_reach_the_quote_bank_without_a_group_attribute(imported) -> None:
    """A project from another tool has no `group`: the default attribution steps aside, and
    each quote is the selection's exact span, not its whole segment."""
    from qualkit.reports.quotes import build_quote_bank

    project, _ = imported["qualcoder-4.0b-head_synthetic.qdpx"]
    bank = build_quote_bank(project, layer="alice", per_theme=0)
    texts = {q.words for q in bank.quotes}
    spans = {r.quote for r in project.codings("alice").itertuples()}
    assert texts == spans and all(q.attribution == "" for q in bank.quotes)
