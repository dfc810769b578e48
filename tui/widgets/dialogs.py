"""Small modal screens: coder name, code picker, memo editor, message, help."""

from __future__ import annotations

from dataclasses import dataclass

from qualkit.tui.bindings import APP_ACTIONS, CODING_ACTIONS, Action
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option


class CoderNameScreen(ModalScreen[str]):
    """Asked once per project: the name of this coder's layer."""

    DEFAULT_CSS = """
    CoderNameScreen { align: center middle; }
    CoderNameScreen > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $primary; background: $panel; padding: 1 2;
    }
    CoderNameScreen #error { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            # A Static wraps to the dialog's width (a Label would be cut off).
            yield Static(
                "Who is coding? Your codes are kept in a layer under this name, and qualkit "
                "remembers it for this project."
            )
            yield Input(placeholder="e.g. ana", id="name")
            yield Static("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name or name == "system":
            self.query_one("#error", Static).update(
                "Type a name (not 'system')." if name else "Type a name."
            )
            return
        self.dismiss(name)


@dataclass
class PickerChoice:
    code_id: str | None  # None: create a code named `name`
    name: str


def move_highlight(options: OptionList, step: int) -> None:
    """Move an option list's highlight by `step` (arrow keys while typing in a filter box)."""
    if options.option_count:
        current = options.highlighted or 0
        options.highlighted = max(0, min(options.option_count - 1, current + step))


def plain_highlight(matcher: Matcher, text: str) -> Content:
    """``matcher.highlight`` for plain text. Textual's reads its text as markup, so a code
    named "Sleep [and] tiredness" lost its brackets and the highlight slid off the letters."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class CodePicker(ModalScreen[PickerChoice | None]):
    """Type to filter codes; Enter applies the highlighted one or creates a new code."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel", id="picker-cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]
    DEFAULT_CSS = """
    CodePicker { align: center middle; }
    CodePicker > Vertical {
        width: 80; max-width: 100%; height: 24; max-height: 100%; border: thick $primary;
        background: $panel; padding: 0 1;
    }
    CodePicker #title { text-style: bold; padding: 0 0 1 0; }
    CodePicker OptionList { height: 1fr; }
    """

    def __init__(
        self,
        codes: list[tuple[str, str, str]],  # (id, name, path label e.g. "Theme › name")
        title: str = "Apply a code",
        allow_create: bool = True,
        enter: str = "applies it",  # what Enter does, in the filter's placeholder
    ) -> None:
        super().__init__()
        self.codes = codes
        self.title_text = title
        self.allow_create = allow_create
        self.enter = enter

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="title")
            yield Input(placeholder=f"type to filter; Enter {self.enter}", id="filter")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        choices = self.query_one(OptionList)
        choices.clear_options()
        options: list[Option] = []
        query = query.strip()
        if query:
            matcher = Matcher(query)
            scored = []
            for code_id, name, label in self.codes:
                score = max(matcher.match(name), matcher.match(code_id) * 0.9)
                if score > 0:
                    scored.append((score, code_id, label))
            scored.sort(key=lambda s: -s[0])
            options = [
                Option(plain_highlight(matcher, label), id=code_id) for _, code_id, label in scored
            ]
            exact = any(name.casefold() == query.casefold() for _, name, _ in self.codes)
            if self.allow_create and not exact:
                options.append(Option(Text(f"+ create code “{query}”", style="bold"), id="+new"))
        else:
            options = [Option(Content(label), id=code_id) for code_id, _, label in self.codes]
        choices.add_options(options)
        if options:
            choices.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one(OptionList), step)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        choices = self.query_one(OptionList)
        if choices.highlighted is None:
            return
        self._choose(choices.get_option_at_index(choices.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        query = self.query_one(Input).value.strip()
        if option_id == "+new":
            self.dismiss(PickerChoice(None, query))
        elif option_id:
            self.dismiss(PickerChoice(option_id, ""))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class MemoScreen(ModalScreen[str | None]):
    """Edit a memo; ctrl+s saves (committed at once), Esc closes without saving."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="memo-save"),
        Binding("escape", "cancel", "Cancel", id="memo-cancel"),
    ]
    DEFAULT_CSS = """
    MemoScreen { align: center middle; }
    MemoScreen > Vertical {
        width: 90; max-width: 100%; height: 22; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    MemoScreen #title { text-style: bold; }
    MemoScreen #hint { color: $text-muted; }
    MemoScreen #beside { color: $text-muted; max-height: 8; overflow-y: auto; }
    MemoScreen TextArea { height: 1fr; }
    """

    def __init__(self, title: str, text: str, beside: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        # Memos already beside this one (on the segment's codings), shown read-only above.
        self.beside = beside

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="title")
            if self.beside:
                # A Text, never markup: "[team member]" in a memo is the coder's words.
                yield Static(Text(self.beside), id="beside")
            yield TextArea(self.text, id="memo", soft_wrap=True)
            yield Label("ctrl+s save · Esc cancel", id="hint")

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MessageScreen(ModalScreen[None]):
    """A one-line problem the user must see (e.g. from a background worker)."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="message-close")]
    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Vertical {
        width: 80; max-width: 100%; height: auto;
        border: thick $error; background: $panel; padding: 1 2;
    }
    MessageScreen #title { text-style: bold; color: $error; }
    """

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="title")
            yield Static(self.message)
            yield Button("OK", id="ok")

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """A question with a few answers as buttons; Esc answers None (go back, change nothing)."""

    BINDINGS = [Binding("escape", "cancel", "Back", id="choice-cancel")]
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 64; max-width: 100%; height: auto; border: thick $warning; background: $panel;
        padding: 1 2;
    }
    ChoiceScreen #title { text-style: bold; }
    ChoiceScreen Horizontal { height: auto; margin-top: 1; }
    ChoiceScreen Button { margin-right: 1; }
    """

    def __init__(self, title: str, message: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = choices  # (answer id, button label), the first is the default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="title")
            yield Static(self.message)
            with Horizontal():
                for n, (answer, label) in enumerate(self.choices):
                    yield Button(
                        label, id=f"choice-{answer}", variant="primary" if n == 0 else "default"
                    )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-") or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def describe_keys(keys: str) -> str:
    names = {
        "question_mark": "?",
        "slash": "/",
        "quotation_mark": '"',
        "pagedown": "PgDn",
        "pageup": "PgUp",
    }
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """Every key, from the same registry the bindings use (with the user's keymap applied)."""

    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close", id="help-close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 90%; border: thick $primary; background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, keymap: dict[str, str], code_keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keymap = keymap
        self.code_keys = code_keys

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("qualkit workbench: keys\n", style="bold")
        text.append("Every action is saved at once. Ctrl+P opens the command palette.\n\n")
        groups: dict[str, list[Action]] = {}
        for action in (*CODING_ACTIONS, *APP_ACTIONS):
            if action.id.startswith("accept-suggestion-") and action.id != "accept-suggestion-1":
                continue
            groups.setdefault(action.group, []).append(action)
        for group, actions in groups.items():
            text.append(f"{group}\n", style="bold underline")
            for action in actions:
                keys = describe_keys(self.keymap.get(action.id, action.keys))
                description = action.description
                if action.id == "accept-suggestion-1":
                    keys, description = "1…9", "Accept suggestion N"
                text.append(f"  {keys:<18}", style="bold")
                text.append(f"{description}  ")
                text.append(f"[{action.id}]\n", style="dim")
            text.append("\n")
        if self.code_keys:
            text.append("Code keys (from codebook.yaml)\n", style="bold underline")
            for key, name in self.code_keys:
                text.append(f"  {key:<18}", style="bold")
                text.append(f"{name}\n")
        text.append("What the numbers count\n", style="bold underline")
        text.append(
            "  Codebook: segments coded with the code, yours/all (blind: yours). A theme counts\n"
            "  every segment with the theme or any sub-code, once.\n"
            "  Status line: the cursor's coding unit of the transcript's units, and how many\n"
            "  units you coded or marked reviewed. Interviewer turns and short turns (under\n"
            "  min_words words) are context, not units.\n"
            "  Transcripts: % of units you coded or reviewed.\n"
            "  Suggestions: the bar shows how far a code stands out from the other codes for\n"
            "  this segment. The raw score is in standard deviations above their mean: one\n"
            "  block per 0.8; 3 or more is strong, 1.5 fair, less weak. Hover the panel for\n"
            "  the raw scores; the line below a suggestion shows its evidence and similarity.\n"
        )
        text.append(
            "\nRemap keys in ~/.config/qualkit/keys.toml or .qualkit/keys.toml, e.g.\n"
            '  next-uncoded = "n,ctrl+n"\n',
            style="dim",
        )
        with VerticalScroll():
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)


class NameScreen(ModalScreen[str | None]):
    """Ask for one line of text (a new code's name)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="name-cancel")]
    DEFAULT_CSS = """
    NameScreen { align: center middle; }
    NameScreen > Vertical {
        width: 60; max-width: 100%; height: auto;
        border: thick $primary; background: $panel; padding: 1 2;
    }
    """

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text))
            yield Input(self.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
