"""The coding screen's transcript list: the entries with this coder's progress, grouped by a
participant attribute, and the window of a long list that is shown (model.list_window)."""

from __future__ import annotations

from typing import Any

from qualkit.tui import model
from qualkit.tui.widgets.panels import TranscriptList


class TranscriptListing:
    """Mixed into CodingScreen: reading the entries and showing the list."""

    project: Any
    coder: str
    group_by: str | None
    transcript: str | None
    entries: list[model.TranscriptEntry]
    _entry_index: dict[str, int]
    group_attributes: list[str]

    def _load_entries(self) -> None:
        people = self.project.participant_attributes()
        self.entries = model.transcript_entries(self.project, self.coder, self.group_by, people)
        self._entry_index = {e.transcript: i for i, e in enumerate(self.entries)}
        self.group_attributes = model.attribute_names(people)

    def _entry(self, transcript: str) -> model.TranscriptEntry | None:
        index = self._entry_index.get(transcript)
        return None if index is None else self.entries[index]

    def show_transcript_list(self, current: str | None) -> None:
        """Show the transcript list (a window of it when long) with `current` highlighted;
        only the shown entries' counts are read."""
        start, stop = model.list_window(self.entries, current)
        shown = self.entries[start:stop]
        self.guard(lambda: model.count_entries(self.project, self.coder, shown))
        self.query_one(TranscriptList).show(shown, current, start, len(self.entries) - stop)

    def group_transcripts_by(self, attribute: str) -> None:
        """Group the transcript list by another participant attribute (remembered)."""
        self.group_by = attribute
        self.attempt(lambda: self.project.remember("workbench.group_by", attribute))
        self._load_entries()
        self.show_transcript_list(self.transcript)
        self.notify(f"Transcripts grouped by {attribute}.", timeout=2)
