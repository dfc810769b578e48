"""The coding screen at any terminal size: three panes when wide, one pane at a time (tabs)
below `NARROW` columns, so the transcript always keeps a readable width."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.widgets import Static

# Below this many columns the side panes become tabs, so the transcript keeps its width.
NARROW = 120
# Tab name -> (key, label), in the order the tab line shows them.
TABS: dict[str, tuple[str, str]] = {
    "view": ("F3", "Transcript"),
    "transcripts": ("F2", "Transcripts"),
    "codebook": ("F4", "Codebook"),
    "suggestions": ("F6", "Suggestions"),
}


def empty_project_message(root: Any) -> str:
    """What to do when a project has no transcripts yet: where the files go, and the command."""
    return (
        f"No transcripts yet. Put interview files (.txt .md .docx .vtt .srt) in "
        f"{root / 'transcripts'}/ and run `qualkit ingest` there (or start qualkit again: "
        "it reads new files when it opens)."
    )


class AdaptiveLayout:
    """Tabs for the side panes on narrow terminals (a mixin: `self` is the coding screen;
    qualkit.tcss styles the -narrow and -tab-<name> classes it sets)."""

    tab = "view"  # the pane shown on a narrow terminal

    # -- adaptive layout: side panes beside the transcript, or tabs below NARROW columns --------

    def on_resize(self, event: Any) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            if not narrow:
                self._show_tab("view")
        self._update_tabs()
        self._update_status()

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def _show_tab(self, tab: str) -> None:
        """Narrow terminals show one pane at a time: the transcript, or one side pane."""
        self.tab = tab
        for name in TABS:
            self.set_class(name == tab and tab != "view", f"-tab-{name}")
        self._update_tabs()

    def _update_tabs(self) -> None:
        if not self.narrow:
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        for name, (key, label) in TABS.items():
            style = "reverse bold" if name == self.tab else "dim"
            text.append(f" {key} {label} ", style=style)
            text.append(" ")
        self.query_one("#tabs", Static).update(text)

    def toggle_tab(self, tab: str) -> None:
        """F2/F4/F6 on a narrow terminal: show that pane (again: back to the transcript)."""
        if self.tab == tab or tab == "view":
            self._show_tab("view")
            self.view.focus()
            return
        self._show_tab(tab)
        target = {"transcripts": "#transcripts", "codebook": "#codebook"}.get(tab)
        if target:
            self.query_one(target).focus()

    def _update_status(self) -> None:
        """One line that says what each number counts: the cursor's place among the
        transcript's coding units, and how many of them this coder coded or reviewed."""
        view = self.view
        item = view.current
        parts = []
        short = self.narrow
        if self.transcript:
            entry = self._entry(self.transcript)
            parts.append(self.transcript)
            if item is not None:
                who = item.participant or item.speaker
                if not item.coding_unit:
                    kind = "interviewer" if item.is_interviewer else "short turn"
                    parts.append(f"{item.speaker} ({kind}: context)")
                else:
                    units = [i for i in view.items if i.coding_unit]
                    place = units.index(item) + 1 if item in units else 0
                    label = "unit" if short else "coding unit"
                    parts.append(f"{who} · {label} {place} of {len(units)}")
            if entry is not None:
                label = "yours" if short else "coded or reviewed by you"
                parts.append(
                    f"{label} {entry.coded_or_reviewed}/{entry.segments} units "
                    f"({entry.percent:.0f}%)"
                )
                if entry.done:
                    parts.append("done ✓")
        if self.blind:
            parts.append("blind")
        if self._embed_note:
            parts.append(self._embed_note)
        line = " · ".join(parts)
        if line != self._status_line:
            self._status_line = line
            self.query_one("#status", Static).update(escape(line), layout=False)
