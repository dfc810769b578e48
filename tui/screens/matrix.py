"""The matrix screen (`g`): codes × participant groups for the coder's layer; Enter on a cell
lists the segments counted there, and Enter on one opens it in the coding screen."""

from __future__ import annotations

import math
from typing import Any

from qualkit.tui.model import attribute_names
from qualkit.tui.problems import problem_text
from qualkit.tui.widgets.dialogs import move_highlight
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from qualkit.agreement.blinding import log_layer_view
from qualkit.errors import QualkitError
from qualkit.project import Project
from qualkit.reports.layers import workbench_layers
from qualkit.reports.matrix import MEASURE_LABELS, MEASURES, TOTAL
from qualkit.reports.matrix_cells import CellSegment, cell_segments
from qualkit.reports.matrix_view import format_value

DEFAULT_ATTRIBUTE = "group"
CELL_WORDS = {  # what the highlighted cell's number means, under the table
    "participants": "{} participant(s) raised it",
    "segments": "{} coded segment(s)",
    "percent": "{} of these participants raised it",
}
QUOTE_CHARS = 240  # a long monologue is cut in the list; the coding screen shows it all

# What a chosen segment is: (transcript, segment id), for CodingScreen.open_transcript.
Hit = tuple[str, int]


def label_width(terminal_width: int) -> int:
    """Code names are cut to a third of the terminal, so the counts stay in view at 80 columns
    (the highlighted cell's line below the table gives the full name)."""
    return max(14, min(48, terminal_width // 3))


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def default_attribute(attributes: list[str]) -> str | None:
    """Split by `group` when participants have one (the report's usual table), else the first."""
    if DEFAULT_ATTRIBUTE in attributes:
        return DEFAULT_ATTRIBUTE
    return attributes[0] if attributes else None


class MatrixScreen(Screen[Hit | None]):
    """Codes × the values of one participant attribute, for the coder's current layer."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="matrix-close"),
        Binding("m", "measure", "Measure", id="matrix-measure"),
        Binding("b", "split_by", "Split by", id="matrix-by"),
        Binding("l", "next_layer", "Layer", id="matrix-layer"),
    ]
    DEFAULT_CSS = """
    MatrixScreen #matrix-title { padding: 0 1; text-style: bold; }
    MatrixScreen #matrix-table { height: 1fr; }
    MatrixScreen #matrix-cell { padding: 0 1; height: auto; max-height: 2; }
    MatrixScreen #matrix-note { padding: 0 1; color: $text-muted; height: auto; max-height: 2; }
    """

    def __init__(self, project: Project, coder: str, blind: bool | None = None) -> None:
        super().__init__()
        self.project = project
        self.coder = coder
        self.blind = blind  # the coding window's state; None: the project's rule
        self.layer_name: str | None = None
        self.layer_choices: list[str] = []  # the layers this coder may count, the default first
        self._logged: set[str] = set()  # other layers whose view is logged this visit
        self.attributes: list[str] = []
        self.by: str | None = None
        self.measure = "participants"
        self.frame: Any = None
        self.row_codes: list[str] = []
        self.column_values: list[str] = []  # one per table column; the last is TOTAL

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static("", id="matrix-title")
        table: DataTable = DataTable(id="matrix-table", cursor_type="cell", zebra_stripes=True)
        table.header_height = 2
        yield table
        yield Static("", id="matrix-cell")
        yield Static("", id="matrix-note")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"qualkit · {self.project.root.name}"
        self.sub_title = f"coder: {self.coder} · matrix"
        try:
            self.layer_choices = workbench_layers(self.project, self.coder, self.blind)
            self.layer_name = self.layer_choices[0]
            people = self.project.participant_attributes()
        except QualkitError as exc:
            self._show_problem(problem_text(exc))
            return
        # Attributes that group people (not a pseudonym or an age), else any there is.
        self.attributes = attribute_names(people) or sorted(
            {a for attrs in people.values() for a in attrs}
        )
        self.by = default_attribute(self.attributes)
        if self.by is None:
            self._show_problem(
                "No participant attributes to split by: add transcripts/participants.csv "
                "(participant_id,group,...) and ingest."
            )
            return
        self.show_matrix()
        self.query_one(DataTable).focus()

    def _show_problem(self, message: str) -> None:
        self.query_one("#matrix-title", Static).update(Text(message))
        self.query_one(DataTable).display = False

    def show_matrix(self) -> None:
        """Build the matrix from the core again and lay it out in the table."""
        table = self.query_one(DataTable)
        try:
            layer = self.layer_name or ""
            if layer != self.coder and layer not in self._logged:
                # Counting someone else's codings is a look at their layer: the agreement
                # report's methods paragraph says whether coders looked before coding.
                log_layer_view(self.project, self.coder, [layer], "matrix")
                self._logged.add(layer)
            frame = self.project.matrix(
                by=self.by or "", measure=self.measure, layer=self.layer_name
            )
        except QualkitError as exc:
            self._show_problem(problem_text(exc))
            return
        self.frame = frame
        info = frame.attrs["info"]
        depth: dict[str, int] = frame.attrs["depth"]
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        self.column_values = [str(c) for c in frame.columns]
        for value, n in zip(self.column_values, info.denominators, strict=True):
            label = Text(value, style="bold" if value == TOTAL else "")
            label.append(f"\nn={n}", style="dim")
            table.add_column(label, key=value)
        self.row_codes = []
        width = label_width(self.app.size.width)
        for (code, name), values in zip(frame.index, frame.to_numpy(), strict=True):
            indent = "  " * depth.get(code, 0)
            label = Text(indent + cut(str(name), width - len(indent)))
            if depth.get(code, 0) == 0:
                label.stylize("bold")
            cells = [_cell(v, self.measure, i == len(values) - 1) for i, v in enumerate(values)]
            table.add_row(*cells, key=code, label=label)
            self.row_codes.append(code)
        table.show_row_labels = True
        table.display = True
        if frame.shape[0] and frame.shape[1]:
            table.cursor_coordinate = cursor if table.is_valid_coordinate(cursor) else (0, 0)
        self.query_one("#matrix-title", Static).update(
            Text(f"Codes × {self.by} · {info.measure} · layer {info.layer}")
        )
        coded = len(info.transcripts)
        note = Text(
            f"{MEASURE_LABELS[info.measure]}; {coded} of {info.transcripts_total} transcripts "
            f"coded; data as of {info.date or 'no changes'}"
        )
        keys = "Enter: its segments · m: measure · b: split by · l: layer · Esc: back"
        note.append(f"\n{keys}", style="dim")
        self.query_one("#matrix-note", Static).update(note)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        """Say in full what the highlighted cell counts (code names are cut in the table)."""
        if self.frame is None or not self.row_codes:
            return
        row, column = event.coordinate.row, event.coordinate.column
        code, value = self.cell_at(row, column)
        name = self.frame.index[row][1]
        n = self.frame.attrs["denominators"][column]
        where = "everyone" if value == TOTAL else f"{self.by} {value}"
        count = format_value(self.frame.iat[row, column], self.measure)
        line = Text(f"{name} · {where} (n={n}): ", style="bold")
        line.append(CELL_WORDS[self.measure].format(count))
        self.query_one("#matrix-cell", Static).update(line)

    def cell_at(self, row: int, column: int) -> tuple[str, str]:
        """(code id, column value) of a table cell; the value is TOTAL for the last column."""
        return self.row_codes[row], self.column_values[column]

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        code, column = self.cell_at(event.coordinate.row, event.coordinate.column)
        try:
            found = cell_segments(
                self.project,
                code,
                None if column == TOTAL else column,
                self.by or "",
                self.layer_name,
            )
        except QualkitError as exc:
            self.notify(problem_text(exc), severity="error", timeout=8)
            return
        book = self.project.codebook
        if not found:
            self.notify("No coded segments in this cell.", timeout=2)
            return
        where = "everyone" if column == TOTAL else f"{self.by} {column}"
        title = f"{book.codes[code].name} · {where}: {len(found)} segment(s)"
        names = {c.id: c.name for c in book.codes.values()}
        self.app.push_screen(CellSegmentsScreen(title, found, names), self._opened)

    def _opened(self, hit: Hit | None) -> None:
        if hit is not None:
            self.dismiss(hit)

    def action_measure(self) -> None:
        if self.frame is None:
            return
        self.measure = MEASURES[(MEASURES.index(self.measure) + 1) % len(MEASURES)]
        self.show_matrix()

    def action_split_by(self) -> None:
        if self.frame is None or len(self.attributes) < 2 or self.by is None:
            return
        self.by = self.attributes[(self.attributes.index(self.by) + 1) % len(self.attributes)]
        self.show_matrix()

    def action_next_layer(self) -> None:
        if self.frame is None or len(self.layer_choices) < 2 or self.layer_name is None:
            if self.frame is not None:
                self.notify("Only your own layer can be counted here.", timeout=3)
            return
        at = self.layer_choices.index(self.layer_name)
        self.layer_name = self.layer_choices[(at + 1) % len(self.layer_choices)]
        self.show_matrix()

    def action_close(self) -> None:
        self.dismiss(None)


def _cell(value: Any, measure: str, total: bool) -> Text:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    style = "bold" if total else ("dim" if missing or not value else "")
    return Text(format_value(value, measure), style=style, justify="right")


class CellSegmentsScreen(ModalScreen[Hit | None]):
    """The segments behind one matrix cell: participant and quote; Enter opens one."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="cell-close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]
    DEFAULT_CSS = """
    CellSegmentsScreen { align: center middle; }
    CellSegmentsScreen > Vertical {
        width: 96%; height: 90%; border: thick $primary; background: $panel; padding: 0 1;
    }
    CellSegmentsScreen #cell-title { text-style: bold; }
    CellSegmentsScreen #cell-help { color: $text-muted; }
    CellSegmentsScreen OptionList { height: 1fr; }
    """

    def __init__(self, title: str, segments: list[CellSegment], names: dict[str, str]) -> None:
        super().__init__()
        self.heading = title
        self.segments = segments
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.heading), id="cell-title")
            yield OptionList(*[self._option(s) for s in self.segments], id="cell-segments")
            yield Label("Enter opens the segment in the coding screen · Esc: back", id="cell-help")

    def _option(self, segment: CellSegment) -> Option:
        # Text, never markup: "[team member]" in a participant's words is data.
        line = Text(f"{segment.transcript} ", style="bold")
        turn = f"turn {segment.turn} · " if segment.turn is not None else ""
        who = segment.participant or segment.speaker or "?"
        line.append(f"{turn}{who}", style="bold")
        codes = ", ".join(self.names.get(c, c) for c in segment.codes)
        line.append(f"  {codes}{'  ★' if segment.starred else ''}\n", style="dim")
        quote = segment.quote
        if len(quote) > QUOTE_CHARS:
            quote = quote[:QUOTE_CHARS].rstrip() + " …"
        line.append(quote)
        return Option(line, id=f"{segment.transcript}\t{segment.segment_id}")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0
        options.focus()

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one(OptionList), step)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            transcript, segment_id = event.option.id.rsplit("\t", 1)
            self.dismiss((transcript, int(segment_id)))

    def action_close(self) -> None:
        self.dismiss(None)
