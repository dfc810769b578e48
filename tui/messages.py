"""Message bases shared by the screens; each concrete message stays nested on its sender."""

from __future__ import annotations

from textual.message import Message


class Progressed(Message):
    """`done` of `total` steps of a background job. A newer one replaces one still queued, so a
    fast worker cannot flood the screen (the Toolong pattern).

    Subclass it as a nested class on the sender (`CodingScreen.SuggestionsProgressed`) so its
    handler name (`on_coding_screen_suggestions_progressed`) names the sender.
    """

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, type(self))
