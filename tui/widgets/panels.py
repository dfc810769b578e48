"""The coding screen's side panels: transcript list, codebook tree, suggestions (with the short
line saying why each was suggested)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qualkit.tui import model
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

    def show(
        self,
        entries: list[model.TranscriptEntry],
        current: str | None,
        above: int = 0,
        below: int = 0,
    ) -> None:
        """Show `entries`: all of a short list, or a window of a long one with how many
        transcripts lie `above` and `below` it (moving to one of them shows its window)."""
        self.clear_options()
        options: list[Option] = []
        if above:
            options.append(
                Option(Text(f"… {above:,} transcripts above", style="dim"), disabled=True)
            )
        group = None
        for entry in entries:
            if entry.group != group:
                group = entry.group
                options.append(Option(Text(group, style="bold underline"), disabled=True))
            options.append(Option(self.prompt(entry), id=entry.transcript))
        if below:
            options.append(
                Option(Text(f"… {below:,} transcripts below", style="dim"), disabled=True)
            )
        self.add_options(options)
        if current:
            self.highlight_transcript(current)

    @staticmethod
    def prompt(entry: model.TranscriptEntry) -> Text:
        # Long names wrap (the percentage comes first, so it is never cut).
        text = Text(" ")
        text.append("✓" if entry.done else " ", style="bold green")
        text.append(f"{entry.percent:4.0f}% " if entry.counted else "    · ", style="dim")
        text.append(entry.transcript)
        return text

    def update_entry(self, entry: model.TranscriptEntry) -> None:
        try:
            self.replace_option_prompt(entry.transcript, self.prompt(entry))
        except Exception:  # noqa: BLE001 - the option may be gone after a reload
            pass

    def highlight_transcript(self, transcript: str) -> bool:
        """Highlight the transcript's option; False when it is not in the list shown."""
        try:
            self.highlighted = self.get_option_index(transcript)
        except Exception:  # noqa: BLE001 - not shown (outside the window, or gone)
            return False
        return True


class CodebookTree(Tree[str]):
    """Codes with their key and rolled-up counts; a name too long for the pane is shortened
    with "…" (the pane below the tree shows the highlighted code's full name), and the counts
    are never cut."""

    nodes: dict[str, Any] = {}  # each code's node, once shown
    _shown: tuple = ()  # (book, mine, everyone, blind) last shown, to relabel on resize

    def show(self, book: Any, mine: dict, everyone: dict, blind: bool) -> None:
        self._shown = (book, mine, everyone, blind)
        self.clear()
        self.root.expand()
        self.nodes = add_codes(
            self.root,
            book,
            lambda code: self.label_for(
                code, mine, everyone, blind, self._room(len(book.ancestors(code.id)))
            ),
        )

    def _room(self, depth: int) -> int:
        """Cells a label has at this depth: the width less guides and the expand icon."""
        width = self.scrollable_content_region.width or self.size.width
        if not width:
            return 0  # not laid out yet: no shortening (relabelled on the first resize)
        return max(8, width - (depth + 1) * self.guide_depth - 3)

    @staticmethod
    def counts_text(code: Any, mine: dict, everyone: dict, blind: bool) -> str:
        if blind:
            return f" {mine.get(code.id, 0)}"
        return f" {mine.get(code.id, 0)}/{everyone.get(code.id, 0)}"

    @classmethod
    def label_for(cls, code: Any, mine: dict, everyone: dict, blind: bool, room: int = 0) -> Text:
        counts = cls.counts_text(code, mine, everyone, blind)
        key = f"[{code.key}] " if code.key else ""
        name = code.name
        if room:
            fit = room - 2 - len(key) - len(counts)
            if len(name) > fit:
                name = name[: max(1, fit - 1)].rstrip() + "…"
        text = Text(no_wrap=True)
        text.append("● ", style=code.color or "#888888")
        if key:
            text.append(key, style="bold")
        text.append(name)
        text.append(counts, style="dim")
        return text

    def update_code(self, code: Any, mine: dict, everyone: dict, blind: bool) -> None:
        if self._shown:
            # these counts are the ones to show again on a resize (or when a tab shows it)
            self._shown = (self._shown[0], mine, everyone, blind)
        node = self.nodes.get(code.id)
        if node is not None:
            depth = len(self._shown[0].ancestors(code.id)) if self._shown else 0
            node.set_label(self.label_for(code, mine, everyone, blind, self._room(depth)))

    def relabel(self, book: Any, mine: dict, everyone: dict, blind: bool) -> None:
        """New counts (or a new width) for every code already shown."""
        self._shown = (book, mine, everyone, blind)
        for code_id, node in self.nodes.items():
            if code_id in book:
                code = book.codes[code_id]
                room = self._room(len(book.ancestors(code_id)))
                node.set_label(self.label_for(code, mine, everyone, blind, room))

    def on_resize(self) -> None:
        if self._shown:
            self.relabel(*self._shown)


def strength_bar(score: float) -> str:
    """Five cells for how far a code stands out from the other codes for this segment: the raw
    score is in standard deviations above their mean (about 1 = weak, 3 or more = strong)."""
    filled = max(0, min(5, round(float(score) * 5 / 4)))
    return "█" * filled + "░" * (5 - filled)


def strength_word(score: float) -> str:
    value = float(score)
    return "strong" if value >= 3 else "fair" if value >= 1.5 else "weak"


def describe_reason(because: dict) -> str:
    """One short line saying why a code was suggested."""
    parts = []
    # The cosine similarity of the evidence is shown so a weak match looks weak: the score
    # itself is relative to the other codes for this segment.
    nearest = because.get("nearest") if isinstance(because, dict) else None
    if nearest:
        sim = _similarity(nearest)
        parts.append(f"like #{nearest.get('segment_id')}{sim}: “{nearest.get('snippet', '')}”")
    field = because.get("codebook") if isinstance(because, dict) else None
    if field and not parts:
        if isinstance(field, dict):
            name = field.get("field") or field.get("name") or ""
            text = field.get("text") or ""
            parts.append(f"codebook {name}{_similarity(field)}: {text}".strip())
        else:
            parts.append(f"codebook: {field}")
    if not parts and isinstance(because, dict) and "exemplars" in because:
        parts.append(f"{because['exemplars']} coded example(s)")
    if isinstance(because, dict) and because.get("neighbours"):
        parts.append("also on the segments around it")
    text = "; ".join(parts)
    # the core marks a reason weak when its best similarity is low: say so first
    return f"weak: {text}" if isinstance(because, dict) and because.get("weak") else text


def _similarity(evidence: dict) -> str:
    value = evidence.get("similarity")
    return f" ({float(value):.2f})" if isinstance(value, int | float) else ""


class SuggestionsPanel(Static):
    """The ranked suggestions for the segment under the cursor, or a note saying why none."""

    _shown: object = None  # what is on screen now: a note, or the list of suggestions

    def show_note(self, note: str | None) -> None:
        if self._shown != note:
            self._shown = note
            self.tooltip = None
            self.update(Text(note or "…", style="dim"), layout=False)

    def show(
        self,
        suggestions: list,
        code_color: Callable[[str], str | None],
        code_label: Callable[[str], str],
        applied: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """``applied``: the codes the coder has on this segment already, marked as such."""
        self._shown = suggestions
        text = Text()
        raw = []
        for n, s in enumerate(suggestions, start=1):
            if n > 1:
                text.append("\n")
            text.append(f"{n} ", style="bold")
            text.append(strength_bar(s.score), style="green")
            text.append(f" {strength_word(s.score):<6} ", style="dim")
            text.append("● ", style=code_color(s.code_id) or "#888888")
            text.append(code_label(s.code_id), style="dim" if s.code_id in applied else "")
            if s.code_id in applied:
                text.append(" ✓ applied", style="dim italic")
            raw.append(f"{n} {code_label(s.code_id)}: {float(s.score):.2f}")
            reason = describe_reason(getattr(s, "because", {}) or {}) if n <= 3 else ""
            if reason:
                text.append(f"\n  {reason}", style="dim italic")
        # The raw scores, for the curious: hover the panel (the help screen says what they mean).
        self.tooltip = "Raw scores (standard deviations above the mean code):\n" + "\n".join(raw)
        self.update(text, layout=False)
