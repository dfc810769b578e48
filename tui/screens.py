"""Full screens opened from the coding screen: search, topics, codebook editor."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from qualkit.tui.background import compute_topics
from qualkit.tui.dialogs import CodePicker, PickerChoice, move_highlight
from qualkit.tui.messages import Progressed
from qualkit.tui.widgets import add_codes
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static, TextArea, Tree
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from qualkit.errors import QualkitError

MAX_HITS = 200


def _snippet(text: str, start: int, width: int = 90) -> Text:
    left = max(0, start - width // 3)
    piece = text[left : left + width].replace("\n", " ")
    return Text(("…" if left else "") + piece + ("…" if left + width < len(text) else ""))


class SearchScreen(ModalScreen[tuple[str, int] | None]):
    """`/`: find words across every transcript; Enter jumps to the segment."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="search-close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 90%; height: 80%; border: thick $primary; background: $panel; padding: 0 1;
    }
    SearchScreen #count { color: $text-muted; }
    SearchScreen OptionList { height: 1fr; }
    """

    def __init__(self, project: Any, coder: str, blind: bool) -> None:
        super().__init__()
        self.project = project
        self.rows: list[tuple[int, str, str, str, str]] = []  # id, transcript, who, text, folded
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Search all transcripts", id="title")
            yield Input(placeholder="words to find; Enter jumps to the highlighted hit")
            yield Label("", id="count")
            yield OptionList(id="hits")

    def on_mount(self) -> None:
        for r in self.project.store.segment_rows():
            if r["orphaned"]:
                continue
            who = r["participant"] or r["speaker"] or ""
            self.rows.append(
                (int(r["segment_id"]), r["transcript"], who, r["text"], r["text"].casefold())
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.12, self._search)

    def _search(self) -> None:
        query = self.query_one(Input).value.strip().casefold()
        hits = self.query_one(OptionList)
        hits.clear_options()
        if not query:
            self.query_one("#count", Label).update("")
            return
        options = []
        total = 0
        for sid, transcript, who, text, folded in self.rows:
            at = folded.find(query)
            if at < 0:
                continue
            total += 1
            if len(options) >= MAX_HITS:
                continue
            line = Text(f"{transcript} ", style="bold")
            line.append(f"{who}: ", style="dim")
            snippet = _snippet(text, at)
            snippet.highlight_words([query], style="reverse", case_sensitive=False)
            line.append_text(snippet)
            options.append(Option(line, id=f"{transcript}\t{sid}"))
        hits.add_options(options)
        if options:
            hits.highlighted = 0
        shown = f" (first {MAX_HITS} shown)" if total > MAX_HITS else ""
        self.query_one("#count", Label).update(f"{total} segment(s){shown}")

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one(OptionList), step)

    def on_input_submitted(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._search()
        hits = self.query_one(OptionList)
        if hits.highlighted is not None:
            self._jump(hits.get_option_at_index(hits.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._jump(event.option.id)

    def _jump(self, option_id: str | None) -> None:
        if option_id:
            transcript, sid = option_id.split("\t")
            self.dismiss((transcript, int(sid)))

    def action_close(self) -> None:
        self.dismiss(None)


class TopicsScreen(Screen[tuple[str, int] | None]):
    """`t`: clusters of segments from qualkit.topics, computed in a background worker."""

    BINDINGS = [
        Binding("escape", "close", "Cancel / close", id="topics-close"),
        Binding("c", "topic_to_code", "Make a code from this topic", id="topic-to-code"),
        Binding("o", "toggle_uncoded", "Only uncoded / all", id="topics-uncoded"),
    ]
    DEFAULT_CSS = """
    TopicsScreen #topics-status { height: auto; padding: 0 1; color: $text-muted; }
    TopicsScreen Horizontal { height: 1fr; }
    TopicsScreen #topic-list { width: 40%; height: 1fr; }
    TopicsScreen #topic-detail { width: 1fr; height: 1fr; }
    TopicsScreen #topic-summary { height: auto; padding: 0 1 1 1; }
    TopicsScreen #topic-segments { width: 1fr; height: 1fr; }
    """

    class TopicsComputed(Message):
        def __init__(self, topics: list[dict]) -> None:
            super().__init__()
            self.topics = topics

    class TopicsProgressed(Progressed):
        """Steps of the topic model done so far."""

    class TopicsFailed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, project: Any, coder: str | None = None) -> None:
        super().__init__()
        self.project = project
        # Only segments nobody has coded (in blind mode: that this coder has not coded):
        # the clusters then show what the codebook does not cover yet.
        self.uncoded = False
        self.coder = coder
        self.topics: list[dict] = []
        self._cancel = threading.Event()
        self._running = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static("Topics: computing … (Esc cancels)", id="topics-status")
        with Horizontal():
            yield OptionList(id="topic-list")
            with Vertical(id="topic-detail"):
                yield Static("", id="topic-summary")
                yield OptionList(id="topic-segments")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qualkit · topics"
        self._running = True
        self._compute()

    @work(thread=True, exclusive=True, group="topics")
    def _compute(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int, *_: Any) -> None:
            if not worker.is_cancelled:
                self.post_message(self.TopicsProgressed(done, total))

        try:
            topics = compute_topics(
                self.project.root, progress, self._cancel, uncoded=self.uncoded, coder=self.coder
            )
        except (QualkitError, sqlite3.Error, OSError, ValueError, RuntimeError) as exc:
            self.post_message(self.TopicsFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.TopicsComputed(topics))

    def on_topics_screen_topics_progressed(self, message: TopicsProgressed) -> None:
        self.query_one("#topics-status", Static).update(
            f"Topics: {message.done}/{message.total} … (Esc cancels)"
        )

    def on_topics_screen_topics_failed(self, message: TopicsFailed) -> None:
        self._running = False
        self.query_one("#topics-status", Static).update(Text(message.message, style="red"))

    def on_topics_screen_topics_computed(self, message: TopicsComputed) -> None:
        self._running = False
        self.topics = message.topics
        scope = "segments nobody has coded" if self.uncoded else "all segments"
        self.query_one("#topics-status", Static).update(
            f"{len(self.topics)} topic(s) over {scope} (o switches). "
            "Enter on a segment opens it; Esc closes."
        )
        listing = self.query_one("#topic-list", OptionList)
        listing.add_options(
            Option(f"{t['label']} ({t['size']})", id=str(i)) for i, t in enumerate(self.topics)
        )
        if self.topics:
            listing.highlighted = 0
            listing.focus()

    @on(OptionList.OptionHighlighted, "#topic-list")
    def _topic_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        topic = self.topics[int(event.option.id or 0)]
        self.query_one("#topic-summary", Static).update(self._summary(topic))
        segments = self.query_one("#topic-segments", OptionList)
        segments.clear_options()
        options = []
        for sid in topic["segment_ids"][:MAX_HITS]:
            row = self.project.store.segment_row(sid)
            if row is None:
                continue
            text = Text(f"{row['transcript']} ", style="bold")
            text.append(row["text"][:160].replace("\n", " "))
            options.append(Option(text, id=f"{row['transcript']}\t{sid}"))
        segments.add_options(options)

    def _summary(self, topic: dict) -> Text:
        """Size, terms, groups and nearest code: what the issue asks each topic to show."""
        text = Text()
        text.append(f"{topic['size']} segment(s)", style="bold")
        if topic.get("terms"):
            text.append("  terms: ", style="dim")
            text.append(", ".join(topic["terms"][:8]))
        if topic.get("groups"):
            text.append("\ngroups: ", style="dim")
            text.append(", ".join(f"{g} {n}" for g, n in topic["groups"].items()))
        code_id = topic.get("nearest_code")
        if code_id:
            try:
                book = self.project.codebook
                name = book.codes[code_id].name if code_id in book else code_id
            except QualkitError:  # an invalid codebook.yaml: show the id
                name = code_id
            text.append("\nnearest code: ", style="dim")
            text.append(name)
            if topic.get("similarity") is not None:
                text.append(f" (similarity {float(topic['similarity']):.2f})", style="dim")
        return text

    @on(OptionList.OptionSelected, "#topic-list")
    def _topic_selected(self) -> None:
        self.query_one("#topic-segments", OptionList).focus()

    @on(OptionList.OptionSelected, "#topic-segments")
    def _segment_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            transcript, sid = event.option.id.split("\t")
            self.dismiss((transcript, int(sid)))

    def action_toggle_uncoded(self) -> None:
        if self._running:
            return
        self.uncoded = not self.uncoded
        self.topics = []
        self.query_one("#topic-list", OptionList).clear_options()
        self.query_one("#topic-segments", OptionList).clear_options()
        self.query_one("#topic-summary", Static).update("")
        self.query_one("#topics-status", Static).update("Topics: computing … (Esc cancels)")
        self._cancel.clear()
        self._running = True
        self._compute()

    def action_topic_to_code(self) -> None:
        listing = self.query_one("#topic-list", OptionList)
        if self._running or listing.highlighted is None or not self.topics:
            return
        topic = self.topics[listing.highlighted]
        if topic.get("id") == -1:
            self.notify("Outliers are not a topic.", timeout=3)
            return

        def named(name: str | None) -> None:
            if not name:
                return
            try:
                from qualkit.topics import topic_to_code

                code_id = topic_to_code(self.project, topic, name)
            except (ImportError, QualkitError) as exc:
                self.notify(str(exc), severity="error", timeout=8)
                return
            self.notify(f"Added code {code_id} with a draft definition to codebook.yaml.")

        words = ", ".join(topic.get("words", [])[:3])
        self.app.push_screen(NameScreen(f"Name for a new code from topic: {words}"), named)

    def action_close(self) -> None:
        if self._running:
            self._cancel.set()
            self.workers.cancel_group(self, "topics")
            self._running = False
            self.query_one("#topics-status", Static).update("Topics cancelled. Esc closes.")
            return
        self.dismiss(None)


class NameScreen(ModalScreen[str | None]):
    """Ask for one line of text (a new code's name)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="name-cancel")]
    DEFAULT_CSS = """
    NameScreen { align: center middle; }
    NameScreen > Vertical {
        width: 60; height: auto; border: thick $primary; background: $panel; padding: 1 2;
    }
    """

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


FIELDS = ("name", "description", "include", "exclude", "color", "key")


class CodebookEditor(Screen[None]):
    """`e`: add, rename, move, merge, delete-with-remap, and edit a code's fields.

    Every change goes through Project/Codebook methods and is written to codebook.yaml at
    once (comments kept).
    """

    BINDINGS = [
        Binding("escape", "close", "Back", id="editor-close"),
        Binding("ctrl+s", "save_fields", "Save fields", id="editor-save"),
        Binding("ctrl+a", "add(False)", "Add code", id="editor-add"),
        Binding("ctrl+b", "add(True)", "Add sub-code", id="editor-add-child"),
        Binding("ctrl+o", "move", "Move", id="editor-move"),
        Binding("ctrl+g", "merge", "Merge into…", id="editor-merge"),
        Binding("ctrl+d", "delete", "Delete…", id="editor-delete"),
    ]
    DEFAULT_CSS = """
    CodebookEditor > Horizontal { height: 1fr; }
    CodebookEditor #editor-tree { width: 40%; border-right: solid $primary; }
    CodebookEditor #form { width: 1fr; padding: 0 1; }
    CodebookEditor #form Input { border: none; height: 1; padding: 0 1; background: $boost; }
    CodebookEditor #form Input:focus { background: $primary 30%; }
    CodebookEditor #form TextArea { height: 6; border: none; background: $boost; }
    CodebookEditor .field-label { color: $text-muted; margin-top: 1; }
    CodebookEditor #code-id { margin-top: 1; }
    CodebookEditor #buttons { height: auto; }
    CodebookEditor #buttons Button { margin-right: 1; min-width: 10; }
    """

    def __init__(self, project: Any, coder: str) -> None:
        super().__init__()
        self.project = project
        self.coder = coder
        self.code_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with Horizontal():
            yield Tree("codes", id="editor-tree")
            with VerticalScroll(id="form"):
                yield Label("", id="code-id")
                for name in FIELDS:
                    yield Label(name.capitalize(), classes="field-label")
                    yield Input(id=f"field-{name}")
                yield Label("Examples (one per line)", classes="field-label")
                yield TextArea(id="field-examples", soft_wrap=True)
                with Horizontal(id="buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Add", id="add")
                    yield Button("Add sub", id="add-child")
                    yield Button("Move", id="move")
                    yield Button("Merge", id="merge")
                    yield Button("Delete", id="delete", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qualkit · codebook editor"
        tree = self.query_one(Tree)
        tree.show_root = False
        self._fill_tree()
        tree.focus()

    def _book(self) -> Any:
        try:
            return self.project.codebook
        except QualkitError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return None

    def _fill_tree(self, select: str | None = None) -> None:
        book = self._book()
        tree = self.query_one(Tree)
        tree.clear()
        tree.root.expand()
        if book is None:
            return

        def label(code: Any) -> Text:
            text = Text("● ", style=code.color or "#888888")
            text.append(code.name)
            if code.key:
                text.append(f" [{code.key}]", style="bold")
            return text

        nodes = add_codes(tree.root, book, label)
        target = select if select in nodes else (next(iter(nodes)) if nodes else None)
        if target is not None:
            tree.move_cursor(nodes[target])
            self._show(target)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data:
            self._show(event.node.data)

    def _show(self, code_id: str) -> None:
        book = self._book()
        if book is None or code_id not in book:
            return
        self.code_id = code_id
        code = book.codes[code_id]
        self.query_one("#code-id", Label).update(Text(f"id: {code.id}", style="bold"))
        for name in FIELDS:
            self.query_one(f"#field-{name}", Input).value = getattr(code, name) or ""
        self.query_one("#field-examples", TextArea).text = "\n".join(code.examples)

    def _guard(self, fn: Any) -> bool:
        try:
            fn()
        except QualkitError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return False
        return True

    def action_save_fields(self) -> None:
        code_id = self.code_id
        book = self._book()
        if code_id is None or book is None:
            return
        values: dict[str, Any] = {
            name: self.query_one(f"#field-{name}", Input).value.strip() for name in FIELDS
        }
        values["examples"] = [
            line.strip()
            for line in self.query_one("#field-examples", TextArea).text.splitlines()
            if line.strip()
        ]
        code = book.codes[code_id]
        changed = {
            k: v
            for k, v in values.items()
            if (getattr(code, k) or ("" if k != "examples" else [])) != v
        }
        if not changed:
            self.notify("Nothing changed.", timeout=2)
            return

        def save() -> None:  # through the project, so the audit trail records it
            self.project.update_code(code_id, actor=self.coder, **changed)

        if self._guard(save):
            self.notify(f"Saved {', '.join(changed)} of {code_id}.", timeout=3)
            self._fill_tree(code_id)

    def action_add(self, child: bool) -> None:
        parent = self.code_id if child else None

        def named(name: str | None) -> None:
            if not name:
                return
            new_id: list[str] = []
            if self._guard(
                lambda: new_id.append(self.project.add_code(name, parent=parent, actor=self.coder))
            ):
                self._fill_tree(new_id[0])

        title = f"Name of the new sub-code of {parent}" if parent else "Name of the new code"
        self.app.push_screen(NameScreen(title), named)

    def _picker(self, book: Any, code_id: str, title: str, top: bool = False) -> CodePicker:
        """The codes `code_id` can be moved under, merged into or remapped to: not itself nor
        one of its descendants."""
        exclude = {code_id, *book.descendants(code_id)}
        codes = [(c.id, c.name, c.name) for c in book.codes.values() if c.id not in exclude]
        if top:
            codes.insert(0, ("__top__", "(top level)", "(top level)"))
        return CodePicker(codes, title, allow_create=False)

    def action_move(self) -> None:
        code_id = self.code_id
        book = self._book()
        if code_id is None or book is None:
            return

        def chosen(choice: PickerChoice | None) -> None:
            if choice is None or not choice.code_id:
                return
            parent = None if choice.code_id == "__top__" else choice.code_id

            def move() -> None:
                self.project.move_code(code_id, parent, actor=self.coder)

            if self._guard(move):
                self._fill_tree(code_id)

        picker = self._picker(book, code_id, f"Move {code_id} under…", top=True)
        self.app.push_screen(picker, chosen)

    def action_merge(self) -> None:
        code_id = self.code_id
        book = self._book()
        if code_id is None or book is None:
            return

        def chosen(choice: PickerChoice | None) -> None:
            if choice is None or not choice.code_id:
                return
            target = choice.code_id
            moved: list[int] = []
            if self._guard(
                lambda: moved.append(self.project.merge_codes(code_id, target, self.coder))
            ):
                self.notify(f"Merged {code_id} into {target} ({moved[0]} coding(s) moved).")
                self._fill_tree(target)

        self.app.push_screen(self._picker(book, code_id, f"Merge {code_id} into…"), chosen)

    def action_delete(self) -> None:
        code_id = self.code_id
        book = self._book()
        if code_id is None or book is None:
            return
        used = self.project.store.code_usage().get(code_id, 0)

        def chosen(choice: PickerChoice | None) -> None:
            if choice is None or not choice.code_id:
                return
            remap = None if choice.code_id == "__none__" else choice.code_id
            if self._guard(lambda: self.project.delete_code(code_id, remap, self.coder)):
                self.notify(f"Deleted {code_id}" + (f"; codings moved to {remap}" if remap else ""))
                self._fill_tree(remap)

        picker = self._picker(book, code_id, f"Delete {code_id}: move its {used} coding(s) to…")
        if not used:
            picker.codes.insert(0, ("__none__", "(no codings: just delete)", "(just delete)"))
        self.app.push_screen(picker, chosen)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "save": self.action_save_fields,
            "add": lambda: self.action_add(False),
            "add-child": lambda: self.action_add(True),
            "move": self.action_move,
            "merge": self.action_merge,
            "delete": self.action_delete,
        }
        handler = actions.get(event.button.id or "")
        if handler:
            handler()

    def action_close(self) -> None:
        self.dismiss(None)
