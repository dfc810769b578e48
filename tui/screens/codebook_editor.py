"""The codebook editor: add, rename, move, merge and delete codes, and edit their fields."""

from __future__ import annotations

from typing import Any

from qualkit.tui.bindings import bound_characters
from qualkit.tui.widgets.dialogs import ChoiceScreen, CodePicker, NameScreen, PickerChoice
from qualkit.tui.widgets.panels import add_codes
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, TextArea, Tree

from qualkit.errors import QualkitError
from qualkit.project import Project

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

    def __init__(self, project: Project, coder: str) -> None:
        super().__init__()
        self.project = project
        self.coder = coder
        self.code_id: str | None = None
        self._code_nodes: dict[str, Any] = {}
        self._asking = False  # the unsaved-changes question is on screen

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with Horizontal():
            yield Tree("codes", id="editor-tree")
            with VerticalScroll(id="form", can_focus=False):
                yield Label("", id="code-id")
                for name in FIELDS:
                    yield Label(name.capitalize(), classes="field-label")
                    # Focus must never select the text: the next key would replace it.
                    yield Input(id=f"field-{name}", select_on_focus=False)
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
        self._code_nodes = nodes
        first = next(iter(book.codes), None)  # file order: the first theme
        target = select if select in nodes else first
        if target is not None:
            self._show(target)
            # The rebuilt tree computes its lines on the next refresh: moving the cursor now
            # would land on the first code, so move it (and keep it there) after that.
            self.code_id = target
            self.call_after_refresh(self._select, target)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        target = event.node.data
        if not target or target == self.code_id:
            return
        if self._asking or not self._unsaved():
            if not self._asking:
                self._show(target)
            return
        # Leaving a code with unsaved field edits: save them, drop them, or stay.
        left = self.code_id

        def answered(answer: str | None) -> None:
            self._asking = False
            if answer == "save" and not self.action_save_fields(reselect=False):
                answer = None
            if answer in ("save", "discard"):
                self._show(target)
            else:
                self._select(left)

        self._ask_unsaved(answered)

    def _unsaved(self) -> dict[str, Any]:
        """The fields edited on screen and not saved yet (empty when none)."""
        book = self._book()
        if self.code_id is None or book is None or self.code_id not in book:
            return {}
        values: dict[str, Any] = {
            name: self.query_one(f"#field-{name}", Input).value.strip() for name in FIELDS
        }
        values["examples"] = [
            line.strip()
            for line in self.query_one("#field-examples", TextArea).text.splitlines()
            if line.strip()
        ]
        code = book.codes[self.code_id]
        return {
            k: v
            for k, v in values.items()
            if (getattr(code, k) or ("" if k != "examples" else [])) != v
        }

    def _ask_unsaved(self, answered: Any) -> None:
        self._asking = True
        book = self._book()
        name = book.codes[self.code_id].name if book is not None and self.code_id in book else ""
        fields = ", ".join(self._unsaved())
        self.app.push_screen(
            ChoiceScreen(
                f"Unsaved changes to {name}",
                f"You changed {fields} and did not save.",
                [("save", "Save"), ("discard", "Discard"), ("back", "Keep editing")],
            ),
            answered,
        )

    def _select(self, code_id: str | None) -> None:
        """Put the tree's cursor on a code (after the tree has laid out its lines)."""
        tree = self.query_one(Tree)
        node = self._code_nodes.get(code_id or "")
        if node is not None:
            tree.move_cursor(node)
            tree.scroll_to_node(node, animate=False)

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

    def action_save_fields(self, reselect: bool = True) -> bool:
        """Ctrl+S: write the edited fields; True when they were saved (or nothing changed)."""
        code_id = self.code_id
        if code_id is None or self._book() is None:
            return False
        changed = self._unsaved()
        if not changed:
            self.notify("Nothing changed.", timeout=2)
            return True

        def save() -> None:  # through the project, so the audit trail records it
            self.project.update_code(code_id, actor=self.coder, **changed)

        if not self._guard(save):
            return False
        self.notify(f"Saved {', '.join(changed)} of {code_id}.", timeout=3)
        key = changed.get("key")
        if key and key in bound_characters(getattr(self.app, "user_keymap", None)):
            # said here, where the key was typed, not only back on the coding screen
            self.notify(
                f"'{key}' is also a workbench key, and the workbench key wins: pressing it "
                "will not apply this code. Give the code another key.",
                severity="warning",
                timeout=10,
            )
        if reselect:
            self._fill_tree(code_id)
        else:
            self._relabel()
        return True

    def _relabel(self) -> None:
        """Names and keys may have changed: rebuild the tree, keeping the cursor where it is."""
        tree = self.query_one(Tree)
        current = tree.cursor_node.data if tree.cursor_node is not None else None
        self._fill_tree(current)

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

    def _picker(
        self, book: Any, code_id: str, title: str, top: bool = False, enter: str = "chooses it"
    ) -> CodePicker:
        """The codes `code_id` can be moved under, merged into or remapped to: not itself nor
        one of its descendants."""
        exclude = {code_id, *book.descendants(code_id)}
        codes = [(c.id, c.name, c.name) for c in book.codes.values() if c.id not in exclude]
        if top:
            codes.insert(0, ("__top__", "(top level)", "(top level)"))
        return CodePicker(codes, title, allow_create=False, enter=enter)

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

        name = book.codes[code_id].name
        picker = self._picker(
            book, code_id, f"Move “{name}” under…", top=True, enter="moves it there"
        )
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

        name = book.codes[code_id].name
        self.app.push_screen(
            self._picker(book, code_id, f"Merge “{name}” into…", enter="merges into it"), chosen
        )

    def action_delete(self) -> None:
        code_id = self.code_id
        book = self._book()
        if code_id is None or book is None:
            return
        used = self.project.code_usage().get(code_id, 0)

        def chosen(choice: PickerChoice | None) -> None:
            if choice is None or not choice.code_id:
                return
            remap = None if choice.code_id == "__none__" else choice.code_id
            if self._guard(lambda: self.project.delete_code(code_id, remap, self.coder)):
                self.notify(f"Deleted {code_id}" + (f"; codings moved to {remap}" if remap else ""))
                self._fill_tree(remap)

        name = book.codes[code_id].name
        picker = self._picker(
            book,
            code_id,
            f"Delete “{name}”: move its {used} coding(s) to…",
            enter="deletes it, codings moved there",
        )
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
        """Esc: leave the editor; unsaved field edits are saved or dropped only on request."""
        if not self._unsaved():
            self.dismiss(None)
            return

        def answered(answer: str | None) -> None:
            self._asking = False
            if answer == "save" and self.action_save_fields(reselect=False):
                self.dismiss(None)
            elif answer == "discard":
                self.dismiss(None)

        self._ask_unsaved(answered)
