"""The transcript as a Line-API ScrollView: one header line and the wrapped text per segment.

Only the lines on screen are rendered (``render_line``), and rendered lines are kept in an LRU
cache, so a transcript of 10,000 segments scrolls and codes as fast as one of ten (the Toolong
pattern). Layout (wrapping every segment to the width) runs once per width change.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from qualkit.tui.model import SegmentItem
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

INDENT = 2


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap to `width` cells; paragraphs (newlines) kept; long words split."""
    width = max(width, 8)
    lines: list[str] = []
    ascii_text = text.isascii()
    measure: Callable[[str], int] = len if ascii_text else cell_len
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current: list[str] = []
        used = 0
        for word in words:
            size = measure(word)
            while size > width:  # a word longer than the line: hard split
                if current:
                    lines.append(" ".join(current))
                    current, used = [], 0
                head = word[:width]
                lines.append(head)
                word = word[width:]
                size = measure(word)
            if not current:
                current, used = [word], size
            elif used + 1 + size <= width:
                current.append(word)
                used += 1 + size
            else:
                lines.append(" ".join(current))
                current, used = [word], size
        if current:
            lines.append(" ".join(current))
    return lines or [""]


def contrast_text(color: str) -> str:
    """Black or white, whichever reads better on the hex colour `color`."""
    try:
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#000000"
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


class TranscriptView(ScrollView, can_focus=True, inherit_bindings=False):
    # No scrolling keys of its own: the coding screen's bindings move the cursor instead.
    """Segments of one transcript; the cursor is the current segment."""

    COMPONENT_CLASSES = {
        "transcript-view--speaker",
        "transcript-view--participant",
        "transcript-view--interviewer",
        "transcript-view--cursor",
        "transcript-view--other-coder",
        "transcript-view--empty",
    }

    DEFAULT_CSS = """
    TranscriptView {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
    }
    TranscriptView > .transcript-view--speaker { text-style: bold; color: $accent; }
    TranscriptView > .transcript-view--participant { color: $text-muted; }
    TranscriptView > .transcript-view--interviewer { color: $text-muted; text-style: italic; }
    TranscriptView > .transcript-view--cursor { background: $boost; }
    TranscriptView:focus > .transcript-view--cursor { background: $primary 25%; }
    TranscriptView > .transcript-view--other-coder { text-style: italic; }
    TranscriptView > .transcript-view--empty { color: $text-muted; text-style: italic; }
    """

    class CursorMoved(Message):
        """The current segment changed (or its codings did)."""

        def __init__(self, view: TranscriptView, index: int) -> None:
            super().__init__()
            self.view = view
            self.index = index

        @property
        def control(self) -> TranscriptView:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[SegmentItem] = []
        self.coder = ""
        self.code_color: Callable[[str], str | None] = lambda code: None
        self.code_label: Callable[[str], str] = lambda code: code
        self.cursor = 0
        self.empty_message = "No transcript selected."
        self._layout_width = -1
        self._wrapped: list[list[str]] = []
        self._starts: list[int] = []  # first virtual line of each segment
        self._header_rows: list[int] = []  # lines of each segment's header (chips wrap)
        self._total = 0
        # Keyed by what a line's look depends on besides the data; any change to the data
        # (codings, codebook colours, layout) clears it.
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(2000)

    # -- data --------------------------------------------------------------------------------

    def show(self, items: list[SegmentItem], cursor: int = 0) -> None:
        self.items = items
        self.cursor = max(0, min(cursor, len(items) - 1)) if items else 0
        self._layout_width = -1
        self._relayout()
        self.scroll_to(y=0, animate=False)
        self._scroll_cursor_visible()
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor))

    @property
    def current(self) -> SegmentItem | None:
        return self.items[self.cursor] if self.items else None

    def segment_changed(self, index: int) -> None:
        """Re-render one segment after its codings changed. A new chip may need another
        header line; then every later segment moves down."""
        self._line_cache.clear()
        if 0 <= index < len(self._header_rows) and self._layout_width > 0:
            rows = len(self._header_layout(self.items[index], self._layout_width))
            if rows != self._header_rows[index]:
                self._header_rows[index] = rows
                self._place_segments()
                self.refresh()
                return
        self._refresh_segment(index)

    def restyle(self) -> None:
        """Codebook colours or names changed: render everything again."""
        self._line_cache.clear()
        if self.items and self._layout_width > 0:
            self._header_rows = [
                len(self._header_layout(item, self._layout_width)) for item in self.items
            ]
            self._place_segments()
        self.refresh()

    # -- cursor ------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        if index == self.cursor:
            return
        old, self.cursor = self.cursor, index
        self._refresh_segment(old)
        self._refresh_segment(index)
        self._scroll_cursor_visible()
        self.post_message(self.CursorMoved(self, index))

    def find(self, predicate: Callable[[SegmentItem], bool], step: int) -> int | None:
        index = self.cursor + step
        while 0 <= index < len(self.items):
            if predicate(self.items[index]):
                return index
            index += step
        return None

    def _segment_lines(self, index: int) -> int:
        return self._header_rows[index] + len(self._wrapped[index]) + 1  # + blank separator

    def _refresh_segment(self, index: int) -> None:
        if 0 <= index < len(self._starts):
            self.refresh_lines(self._starts[index], self._segment_lines(index))

    def _scroll_cursor_visible(self) -> None:
        if not self.items or not self._starts:
            return
        top = self._starts[self.cursor]
        bottom = top + self._segment_lines(self.cursor) - 1
        height = self.scrollable_content_region.height or self.size.height
        y = self.scroll_offset.y
        if top < y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > y + height:
            self.scroll_to(y=min(top, bottom - height), animate=False, immediate=True)

    # -- layout ------------------------------------------------------------------------------

    def _text_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width or 80
        return max(10, width - INDENT - 1)

    def _relayout(self) -> None:
        width = self._text_width()
        if width == self._layout_width:
            return
        self._layout_width = width
        self._wrapped = [wrap(item.text, width) for item in self.items]
        self._header_rows = [len(self._header_layout(item, width)) for item in self.items]
        self._line_cache.clear()
        self._place_segments()

    def _place_segments(self) -> None:
        """Each segment's first line, from its header and text line counts."""
        starts = []
        total = 0
        for index in range(len(self.items)):
            starts.append(total)
            total += self._segment_lines(index)
        self._starts = starts
        self._total = total
        self.virtual_size = Size(self._layout_width + INDENT + 1, max(total, 1))

    def on_resize(self) -> None:
        self._relayout()
        self._scroll_cursor_visible()
        self.refresh()

    # -- rendering ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        if not self.items:
            # The message wraps: it says what to do, and must be readable at any width.
            lines = wrap(self.empty_message, max(10, width - 4))
            if 1 <= y <= len(lines):
                style = self.get_component_rich_style("transcript-view--empty")
                return Strip([Segment("  " + lines[y - 1], style)]).crop_extend(
                    0, width, self.rich_style
                )
            return Strip.blank(width, self.rich_style)
        if line >= self._total:
            return Strip.blank(width, self.rich_style)
        index = bisect_right(self._starts, line) - 1
        key = (
            index,
            line - self._starts[index],
            width,
            index == self.cursor,
            self.has_focus,
        )
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._render_segment_line(index, line - self._starts[index], width)
            self._line_cache[key] = strip
        return strip

    def _render_segment_line(self, index: int, offset: int, width: int) -> Strip:
        item = self.items[index]
        base = self.rich_style
        cursor = index == self.cursor
        if cursor:
            base = base + self.get_component_rich_style("transcript-view--cursor")
        lines = self._wrapped[index]
        header_rows = self._header_rows[index]
        marker = Segment("▌ " if cursor else "  ", base + Style(color="#f0a030", bold=True))
        if offset < header_rows:
            parts = self._header_layout(item, self._layout_width)[offset]
            segments = [marker, *self._header_segments(item, parts, base)]
        elif offset - header_rows < len(lines):
            style = base
            if not item.coding_unit:  # context: the interviewer, or a short turn
                style = base + self.get_component_rich_style("transcript-view--interviewer")
            segments = [marker, Segment(lines[offset - header_rows], style)]
        else:
            segments = []
            base = self.rich_style
        return Strip(segments).crop_extend(0, width, base)

    def _header_parts(self, item: SegmentItem) -> list[tuple[str, str, str | None]]:
        """(text, kind, chip's code) pieces of a segment's header: who speaks, then a chip per
        coding. Kinds: speaker, participant, note, chip."""
        who = item.speaker or "?"
        parts: list[tuple[str, str, str | None]] = [(who, "speaker", None)]
        if item.participant and item.participant != who:
            parts.append((f" ({item.participant})", "participant", None))
        if not item.coding_unit and not item.is_interviewer:
            parts.append((" · context (short turn)", "note", None))
        if item.reviewed and item.coding_unit:
            parts.append((" ✓ reviewed", "note", None))
        if item.memo:
            parts.append((" ✎ memo", "note", None))
        for chip in item.chips:
            label = self.code_label(chip.code)
            if chip.coder != self.coder:
                label = f"{label} · {chip.coder}"
            if chip.starred:
                label = "★ " + label
            if chip.memo:
                label += " ✎"  # a memo on this coding: `m` shows it
            kind = "chip" if chip.coder == self.coder else "other-chip"
            parts.append((f" {label} ", kind, chip.code))
        return parts

    def _header_layout(
        self, item: SegmentItem, width: int
    ) -> list[list[tuple[str, str, str | None]]]:
        """The header's pieces in lines of ``width`` cells: a chip that would run past the
        edge starts a new line (at 80 columns the third chip used to be cut off)."""
        rows: list[list[tuple[str, str, str | None]]] = [[]]
        used = 0
        for text, kind, code in self._header_parts(item):
            size = cell_len(text) + (1 if kind.endswith("chip") else 0)  # a space before
            if kind.endswith("chip") and used and used + size > width:
                rows.append([])
                used = 0
            rows[-1].append((text, kind, code))
            used += size
        return rows

    def _header_segments(
        self, item: SegmentItem, parts: list[tuple[str, str, str | None]], base: Style
    ) -> list[Segment]:
        out = []
        for n, (text, kind, code) in enumerate(parts):
            if kind == "speaker":
                name = "interviewer" if not item.coding_unit else "speaker"
                style = base + self.get_component_rich_style(f"transcript-view--{name}")
            elif kind == "participant":
                style = base + self.get_component_rich_style("transcript-view--participant")
            elif kind == "note":
                style = base + Style(dim=True, italic=True)
            else:
                color = self.code_color(code or "") or "#888888"
                style = Style(bgcolor=color, color=contrast_text(color))
                if kind == "other-chip":
                    style += Style(italic=True, dim=True)
                if n:  # a chip that starts a line needs no space before it
                    out.append(Segment(" ", base))
            out.append(Segment(text, style))
        return out

    # -- mouse -------------------------------------------------------------------------------

    def on_click(self, event) -> None:
        if not self.items:
            return
        line = self.scroll_offset.y + event.y
        if 0 <= line < self._total:
            self.move_to(bisect_right(self._starts, line) - 1)
