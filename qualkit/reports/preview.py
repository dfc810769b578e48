"""How one coding's quote will print in a quote bank: pseudonymised words, ``/.../`` where the
segment is cut, and the attribution. The workbench's trim dialog shows it while the coder trims.
"""

from __future__ import annotations

from typing import Any

from qualkit.errors import QualkitError
from qualkit.reports.attribution import Attribution
from qualkit.reports.pseudonyms import Pseudonyms
from qualkit.reports.trim import elide, quote_words


class QuotePreview:
    """Renders quote lines as the Markdown quote bank prints them (without the ``> ``)."""

    def __init__(self, project: Any) -> None:
        self.problem: str | None = None  # why the line is shown without pseudonyms/attribution
        try:
            self.pseudonyms = Pseudonyms.load(project.root)
        except QualkitError as exc:
            self.pseudonyms = Pseudonyms()
            self.problem = str(exc)
        self.attribution: Attribution | None = None
        try:
            self.attribution = Attribution(
                project.settings.quote_attribution,
                project.participant_attributes(),
                self.pseudonyms,
            )
        except QualkitError as exc:
            self.problem = self.problem or str(exc)

    def line(self, text: str, span: tuple[int, int] | None, participant: str | None) -> str:
        """The quote of ``span`` (offsets into ``text``; None: the whole segment)."""
        trimmed = quote_words(text) if span is None else quote_words(text, span[0], span[1])
        words = self.pseudonyms.apply(trimmed.words)
        quoted = f'"{elide(words, trimmed.cut_before, trimmed.cut_after)}"'
        attribution = self.attribution(participant) if self.attribution is not None else ""
        return f"{quoted} {attribution}" if attribution else quoted
