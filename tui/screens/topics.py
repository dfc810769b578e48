"""The topics screen: topic clusters over the segments, and turning a topic into a code."""

from __future__ import annotations

import threading
from typing import Any

from qualkit.tui.messages import Progressed
from qualkit.tui.screens.search import MAX_HITS
from qualkit.tui.widgets.dialogs import NameScreen
from qualkit.tui.workers import compute_topics
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from qualkit.errors import QualkitError
from qualkit.project import Project


class TopicsScreen(Screen[tuple[str, int] | None]):
    """`t`: clusters of segments from qualkit.assist.topics, computed in a background worker."""

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
        """Steps of the topic model done so far, and the stage it is in."""

        def __init__(self, done: int, total: int, stage: str = "") -> None:
            super().__init__(done, total)
            self.stage = stage

    class TopicsFailed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, project: Project, coder: str | None = None, actor: str = "") -> None:
        super().__init__()
        self.project = project
        self.actor = actor or coder or "system"  # who the log names for a code made here
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

        def progress(done: int, total: int, stage: str = "", *_: Any) -> None:
            if not worker.is_cancelled:
                self.post_message(self.TopicsProgressed(done, total, stage or "embedding"))

        try:
            topics = compute_topics(
                self.project.root, progress, self._cancel, uncoded=self.uncoded, coder=self.coder
            )
        except (QualkitError, OSError, ValueError, RuntimeError) as exc:
            self.post_message(self.TopicsFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.TopicsComputed(topics))

    def on_topics_screen_topics_progressed(self, message: TopicsProgressed) -> None:
        self.query_one("#topics-status", Static).update(
            f"Topics: {message.stage} {message.done}/{message.total} … (Esc cancels)"
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
            Option(Content(self._list_label(t)), id=str(i)) for i, t in enumerate(self.topics)
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
            try:
                row = self.project.segment_row(sid)
            except QualkitError:  # gone since the topics were computed
                continue
            text = Text(f"{row.transcript} ", style="bold")
            flat = " ".join(row.text.split())
            text.append(flat if len(flat) <= 160 else flat[:159].rstrip() + "…")
            options.append(Option(text, id=f"{row.transcript}\t{sid}"))
        segments.add_options(options)

    def _code_name(self, code_id: str) -> str:
        try:
            book = self.project.codebook
            return book.codes[code_id].name if code_id in book else code_id
        except QualkitError:  # an invalid codebook.yaml: show the id
            return code_id

    def _list_label(self, topic: dict) -> str:
        """The topic's terms and, like its summary, the nearest code's name (not its id)."""
        code_id = topic.get("nearest_code")
        near = f"  ≈ {self._code_name(code_id)}" if code_id and topic.get("id") != -1 else ""
        return f"{topic['label']}{near} ({topic['size']})"

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
            text.append("\nnearest code: ", style="dim")
            text.append(self._code_name(code_id))
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
                from qualkit.assist.topics import topic_to_code

                code_id = topic_to_code(self.project, topic, name, actor=self.actor)
            except (ImportError, QualkitError) as exc:
                self.notify(str(exc), severity="error", timeout=8)
                return
            self.notify(f"Added code {code_id} with a draft definition to codebook.yaml.")

        words = ", ".join(topic.get("terms", [])[:3])
        self.app.push_screen(NameScreen(f"Name for a new code from topic: {words}"), named)

    def action_close(self) -> None:
        if self._running:
            self._cancel.set()
            self.workers.cancel_group(self, "topics")
            self._running = False
            self.query_one("#topics-status", Static).update("Topics cancelled. Esc closes.")
            return
        self.dismiss(None)
