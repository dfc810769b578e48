"""Memos imported from another tool show in the workbench where memos made there are shown:
a note on a coding beside the segment's memo (and as ✎ on its chip), a note on a source as
the transcript's memo, a note on a selection as the segment's memo, a note on a code as the
code's memo. Driven through the real app with Pilot, from a real .qdpx."""

from __future__ import annotations

from pathlib import Path

from qualkit.tui.app import QualkitApp
from qualkit.tui.widgets.dialogs import MemoScreen
from qualkit.tui.widgets.panels import CodebookTree, TranscriptList
from qualkit.tui.widgets.transcript_view import TranscriptView
from textual.widgets import Static, TextArea

from qualkit.exchange.qdpx_export import qdpx_bytes
from qualkit.exchange.refi_model import (
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
)
from qualkit.project import Project

SIZE = (120, 40)
# Fictional field notes: two one-sentence paragraphs, no speaker labels (a document).
TEXT = (
    "The waiting room was full and [team member] kept apologising to everyone\n"
    "\n"
    "Later the bus was late again so the visit started without the family\n"
)
FIRST = TEXT.index("The")
FIRST_END = TEXT.index("\n")
SECOND = TEXT.index("Later")
SECOND_END = len(TEXT) - 1


def other_tool_export(path: Path) -> None:
    """A .qdpx as another tool writes it: notes on a coding, a selection, a source, a code."""
    alice = RefiUser("0b1f0c9e-0000-4000-8000-000000000001", "alice")
    code = RefiCode(
        "0b1f0c9e-0000-4000-8000-000000000002",
        "Waiting",
        note_refs=["0b1f0c9e-0000-4000-8000-0000000000c3"],
    )
    source = RefiSource(
        "0b1f0c9e-0000-4000-8000-000000000010",
        "field notes",
        TEXT,
        "internal://0b1f0c9e-0000-4000-8000-000000000010.txt",
        user_guid=alice.guid,
        note_refs=["0b1f0c9e-0000-4000-8000-0000000000c2"],
    )
    source.selections = [
        RefiSelection(
            "0b1f0c9e-0000-4000-8000-000000000011",
            FIRST,
            FIRST_END,
            name=TEXT[FIRST:FIRST_END],
            user_guid=alice.guid,
            codings=[
                RefiCoding(
                    "0b1f0c9e-0000-4000-8000-000000000012",
                    code.guid,
                    alice.guid,
                    note_refs=["0b1f0c9e-0000-4000-8000-0000000000c1"],
                )
            ],
        ),
        RefiSelection(
            "0b1f0c9e-0000-4000-8000-000000000013",
            SECOND,
            SECOND_END,
            name=TEXT[SECOND:SECOND_END],
            user_guid=alice.guid,
            note_refs=["0b1f0c9e-0000-4000-8000-0000000000c4"],
        ),
    ]
    notes = [
        RefiNote(
            "0b1f0c9e-0000-4000-8000-0000000000c1", "n1", "Coding note [team member]", alice.guid
        ),
        RefiNote(
            "0b1f0c9e-0000-4000-8000-0000000000c2", "n2", "Source note: noisy day", alice.guid
        ),
        RefiNote("0b1f0c9e-0000-4000-8000-0000000000c3", "n3", "Code note: lists only", alice.guid),
        RefiNote("0b1f0c9e-0000-4000-8000-0000000000c4", "n4", "Selection note: buses", alice.guid),
    ]
    model = RefiProject(
        name="field study",
        origin="QualCoder 3.6",
        creating_user=alice.guid,
        users=[alice],
        codes=[code],
        sources=[source],
        notes=notes,
    )
    path.write_bytes(qdpx_bytes(model))


def shown_text(widget: Static) -> str:
    return str(widget.render())


async def open_memo(app: QualkitApp, pilot) -> MemoScreen:
    await pilot.press("m")
    await pilot.pause()
    assert isinstance(app.screen, MemoScreen)
    return app.screen


async def test_imported_memos_show_where_local_memos_do(tmp_path: Path) -> None:
    other_tool_export(tmp_path / "other.qdpx")
    project = Project.init(tmp_path / "study")
    report = project.import_qdpx(tmp_path / "other.qdpx")
    assert report.transcripts_added == ["field-notes"] and report.codings_added == 1
    app = QualkitApp(project, "alice", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TranscriptView)
        await pilot.press("k")  # the workbench opens on the first uncoded segment: go up one
        await pilot.pause()
        item = view.current
        assert item is not None and item.text.startswith("The waiting room")
        chip = next(c for c in item.chips if c.coder == "alice")
        assert chip.memo == "Coding note [team member]"  # ✎ on the chip

        # The coding's note, beside this segment's memo (Text, so the brackets stay words).
        memo = await open_memo(app, pilot)
        beside = shown_text(memo.query_one("#beside", Static))
        assert "Waiting: Coding note [team member]" in beside
        assert memo.query_one(TextArea).text == ""
        await pilot.press("escape")
        await pilot.pause()

        # The selection's note without a coding: the next segment's memo.
        await pilot.press("j")
        await pilot.pause()
        assert view.current is not None and view.current.text.startswith("Later the bus")
        memo = await open_memo(app, pilot)
        assert memo.query_one(TextArea).text == "Selection note: buses"
        await pilot.press("escape")
        await pilot.pause()

        # The source's note: the transcript's memo, from the transcript list.
        transcripts = app.screen.query_one(TranscriptList)
        transcripts.focus()
        transcripts.highlight_transcript("field-notes")
        await pilot.pause()
        memo = await open_memo(app, pilot)
        assert "field-notes" in shown_text(memo.query_one("#title", Static))
        assert memo.query_one(TextArea).text == "Source note: noisy day"
        await pilot.press("escape")
        await pilot.pause()

        # The code's note: the code's memo, from the codebook tree.
        tree = app.screen.query_one(CodebookTree)
        tree.focus()
        code_id = next(c.id for c in project.codebook if c.name == "Waiting")
        tree.move_cursor(tree.nodes[code_id])
        await pilot.pause()
        memo = await open_memo(app, pilot)
        assert memo.query_one(TextArea).text == "Code note: lists only"
        # Edited here, it is saved like any local memo.
        memo.query_one(TextArea).text = "Code note: lists only; checked"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert project.memo("code", code_id, "alice") == "Code note: lists only; checked"
