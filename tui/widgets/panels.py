"""The coding screen's side panels: transcript list, codebook tree, suggestions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qualkit.tui import model
from qualkit.tui.workers import describe_reason
from rich.text import Text
from textual.widgets import OptionList, Static, Tree
from textual.widgets.option_list import Option


def add_codes(root: Any, book: Any, label: Callable[[Any], Text]) -> dict[str, Any]:
    """Add the codebook's codes under a tree node, parents expanded; returns each code's node."""
    nodes: dict[str, Any] = {}

    def add(parent: Any, code: Any) -> None:
        if code.children:
            node = parent.add(label(code), data=code.id, expand=True)
            for child in code.children:
                add(node, book.codes[child])
        else:
            node = parent.add_leaf(label(code), data=code.id)
        nodes[code.id] = node

    for code in book.roots():
        add(root, code)
    return nodes


class TranscriptList(OptionList):
    """Transcripts grouped by a participant attribute, with this coder's % and done mark."""

    def show(self, entries: list[model.TranscriptEntry], current: str | None) -> None:
        self.clear_options()
        options: list[Option] = []
        group = None
        for entry in entries:
            if entry.group != group:
                group = entry.group
                options.append(Option(Text(group, style="bold underline"), disabled=True))
            options.append(Option(self.prompt(entry), id=entry.transcript))
        self.add_options(options)
        if current:
            self.highlight_transcript(current)

    @staticmethod
    def prompt(entry: model.TranscriptEntry) -> Text:
        text = Text(" ", no_wrap=True, overflow="ellipsis")
        text.append("✓" if entry.done else " ", style="bold green")
        text.append(f"{entry.percent:4.0f}% ", style="dim")
        text.append(entry.transcript)
        return text

    def update_entry(self, entry: model.TranscriptEntry) -> None:
        try:
            self.replace_option_prompt(entry.transcript, self.prompt(entry))
        except Exception:  # noqa: BLE001 - the option may be gone after a reload
            pass

    def highlight_transcript(self, transcript: str) -> None:
        try:
            self.highlighted = self.get_option_index(transcript)
        except Exception:  # noqa: BLE001
            pass


class CodebookTree(Tree[str]):
    """Codes with their key and counts (mine / all)."""

    nodes: dict[str, Any] = {}  # each code's node, once shown

    def show(self, book: Any, mine: dict, everyone: dict, blind: bool) -> None:
        self.clear()
        self.root.expand()
        self.nodes = add_codes(
            self.root, book, lambda code: self.label_for(code, mine, everyone, blind)
        )

    @staticmethod
    def label_for(code: Any, mine: dict, everyone: dict, blind: bool) -> Text:
        text = Text()
        text.append("● ", style=code.color or "#888888")
        if code.key:
            text.append(f"[{code.key}] ", style="bold")
        text.append(code.name)
        counts = (
            f" {mine.get(code.id, 0)}"
            if blind
            else (f" {mine.get(code.id, 0)}/{everyone.get(code.id, 0)}")
        )
        text.append(counts, style="dim")
        return text

    def update_code(self, code: Any, mine: dict, everyone: dict, blind: bool) -> None:
        node = self.nodes.get(code.id)
        if node is not None:
            node.set_label(self.label_for(code, mine, everyone, blind))


class SuggestionsPanel(Static):
    """The ranked suggestions for the segment under the cursor, or a note saying why none."""

    _shown: object = None  # what is on screen now: a note, or the list of suggestions

    def show_note(self, note: str | None) -> None:
        if self._shown != note:
            self._shown = note
            self.update(Text(note or "…", style="dim"), layout=False)

    def show(
        self,
        suggestions: list,
        code_color: Callable[[str], str | None],
        code_label: Callable[[str], str],
    ) -> None:
        self._shown = suggestions
        text = Text()
        for n, s in enumerate(suggestions, start=1):
            if n > 1:
                text.append("\n")
            text.append(f"{n} ", style="bold")
            text.append("● ", style=code_color(s.code_id) or "#888888")
            text.append(code_label(s.code_id))
            text.append(f" {s.score:.2f}", style="dim")
            reason = describe_reason(getattr(s, "because", {}) or {}) if n <= 3 else ""
            if reason:
                if len(reason) > 38:
                    reason = reason[:37] + "…"
                text.append(f"\n  {reason}", style="dim italic")
        self.update(text, layout=False)
