"""One registry of the workbench's actions: key bindings, the keymap file, the command palette
and the help screen all read it, so a remapped key shows up everywhere.

A user keymap is TOML, binding id = keys (comma-separated), read from
``~/.config/qualkit/keys.toml`` and then ``<project>/.qualkit/keys.toml`` (the project wins):

```toml
next-uncoded = "n,ctrl+n"
undo = "u"
```
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding
from textual.keys import key_to_character

from qualkit.codebook import Code
from qualkit.errors import QualkitError


@dataclass(frozen=True)
class Action:
    id: str  # binding id: the name users remap
    keys: str  # default keys, comma-separated
    action: str  # Textual action string run on the coding screen
    description: str
    group: str
    show: bool = False  # in the footer
    short: str = ""  # footer label

    @property
    def label(self) -> str:
        return self.short or self.description


CODING_ACTIONS: tuple[Action, ...] = (
    Action("cursor-down", "down,j", "cursor(1)", "Next segment", "Move"),
    Action("cursor-up", "up,k", "cursor(-1)", "Previous segment", "Move"),
    Action("page-down", "pagedown", "page(1)", "Page down", "Move"),
    Action("page-up", "pageup", "page(-1)", "Page up", "Move"),
    Action("first-segment", "home", "jump_end(0)", "First segment", "Move"),
    Action("last-segment", "end", "jump_end(1)", "Last segment", "Move"),
    Action(
        "next-uncoded",
        "n",
        "uncoded(1)",
        "Next segment I have not coded",
        "Move",
        True,
        "next uncoded",
    ),
    Action("previous-uncoded", "p", "uncoded(-1)", "Previous segment I have not coded", "Move"),
    Action("next-transcript", "ctrl+down", "transcript(1)", "Next transcript", "Move"),
    Action("previous-transcript", "ctrl+up", "transcript(-1)", "Previous transcript", "Move"),
    Action(
        "code-picker", "c", "code_picker", "Code this segment (fuzzy picker)", "Code", True, "code"
    ),
    Action(
        "remove-code", "x", "remove_code", "Remove a code from this segment", "Code", True, "remove"
    ),
    Action("undo", "u,ctrl+z", "undo", "Undo my last action", "Code", True, "undo"),
    Action("redo", "ctrl+y", "redo", "Redo", "Code"),
    Action(
        "reviewed",
        "v",
        "toggle_reviewed",
        "Mark the segment reviewed: nothing to code (counts towards progress)",
        "Code",
    ),
    Action("star", "s", "star", "Star the coding as an illustrative quote", "Code"),
    Action(
        "memo",
        "m",
        "memo",
        "Memo on this segment (or the highlighted code or transcript)",
        "Code",
        True,
        "memo",
    ),
    Action("done", "d", "toggle_done", "Mark the transcript done / not done", "Code"),
    Action("search", "slash", "search", "Search text across transcripts", "Find", True, "search"),
    Action("topics", "t", "topics", "Topics: clusters of segments", "Find"),
    Action("matrix", "g", "matrix", "Theme × group matrix, cell by cell", "Find"),
    Action(
        "trim-quote", "quotation_mark", "trim_quote", "Trim a starred quote by sentences", "Code"
    ),
    Action(
        "adjudicate",
        "ctrl+a",
        "adjudicate",
        "Adjudicate: settle two coders' disagreements into consensus",
        "Code",
    ),
    Action(
        "codebook-editor", "e", "codebook_editor", "Edit the codebook", "Codebook", True, "codebook"
    ),
    Action("focus-transcripts", "f2", "focus('transcripts')", "Focus the transcript list", "Move"),
    Action("focus-view", "f3", "focus('view')", "Focus the transcript", "Move"),
    Action("focus-codebook", "f4", "focus('codebook')", "Focus the codebook", "Move"),
    Action(
        "focus-suggestions",
        "f6",
        "focus('suggestions')",
        "Show the suggestions (a tab on narrow terminals)",
        "Move",
    ),
    Action("suggest", "f5", "refresh_suggestions", "Compute suggestions again", "Code"),
    *(
        Action(f"accept-suggestion-{n}", str(n), f"accept({n})", f"Accept suggestion {n}", "Code")
        for n in range(1, 10)
    ),
)

APP_ACTIONS: tuple[Action, ...] = (
    Action("help", "question_mark,f1", "help", "Keys and help", "App", True, "help"),
    Action("quit", "q,ctrl+q", "quit", "Quit (everything is already saved)", "App", True, "quit"),
)


# Key names Textual gives these characters that key_to_character does not turn back.
_NAMED_CHARACTERS = {
    "plus": "+",
    "minus": "-",
    "slash": "/",
    "at": "@",
    "backslash": "\\",
    "underscore": "_",
}


def key_character(key: str) -> str | None:
    """The character a key name types ("j", "question_mark" -> "?"); None for "f1", "ctrl+n"."""
    key = key.strip()
    return key_to_character(key) or _NAMED_CHARACTERS.get(key)


def bound_characters(keymap: Mapping[str, str] | None = None) -> frozenset[str]:
    """The single characters the workbench binds, with ``keymap``'s remaps applied. A code's
    own key among them never applies the code: the binding wins."""
    keymap = keymap or {}
    return frozenset(
        character
        for action in (*CODING_ACTIONS, *APP_ACTIONS)
        for key in keymap.get(action.id, action.keys).split(",")
        if (character := key_character(key)) is not None
    )


# The characters bound by default; codebook.yaml may use them, but the workbench warns.
RESERVED_KEYS = bound_characters()


def key_clashes(codes: Iterable[Code], bound: frozenset[str]) -> list[Code]:
    """The codes whose own key is also a workbench key, in codebook order."""
    return [code for code in codes if code.key is not None and code.key in bound]


def bindings(actions: tuple[Action, ...]) -> list[Binding]:
    return [
        Binding(a.keys, a.action, a.label, show=a.show, id=a.id, tooltip=a.description)
        for a in actions
    ]


def keymap_paths(project_root: Path) -> list[Path]:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [config / "qualkit" / "keys.toml", project_root / ".qualkit" / "keys.toml"]


def load_keymap(project_root: Path) -> dict[str, str]:
    """Binding id -> keys from the keymap files; raises QualkitError naming a bad file."""
    known = {a.id for a in (*CODING_ACTIONS, *APP_ACTIONS)}
    keymap: dict[str, str] = {}
    for path in keymap_paths(project_root):
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise QualkitError(f"{path}: cannot read the keymap: {exc}") from None
        for binding_id, keys in data.items():
            if binding_id not in known:
                raise QualkitError(f"{path}: unknown binding id '{binding_id}'")
            if isinstance(keys, list):
                keys = ",".join(str(k) for k in keys)
            if not isinstance(keys, str) or not keys.strip():
                raise QualkitError(f"{path}: '{binding_id}' must be a key string like \"n\"")
            keymap[binding_id] = keys
    return keymap
