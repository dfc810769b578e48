"""Quote attribution: ``quote_attribution`` in qualkit.yaml (default ``({group})``) filled from
a participant's attributes, e.g. ``({group}, {service})`` → ``(Parent, Together Time)``.

A blank attribute drops out with its separator, so a team member with no service reads
``(Team member)``, not ``(Team member, )``. ``{participant}`` is the participant id.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

from qualkit.errors import ReportError
from qualkit.reports.pseudonyms import Pseudonyms
from qualkit.settings import Settings

_BLANK = "\x00"
_SEPARATORS = r"[ ,;/|–—-]"
_BLANK_AFTER_SEPARATOR = re.compile(_SEPARATORS + "+" + _BLANK)
_BLANK_BEFORE_SEPARATOR = re.compile(_BLANK + _SEPARATORS + "*")
PARTICIPANT_FIELD = "participant"


def attribution_fields(pattern: str) -> list[str]:
    """The attribute names a pattern uses; ReportError when it is not a valid pattern."""
    try:
        parsed = list(Formatter().parse(pattern))
    except ValueError as exc:
        raise ReportError(f"qualkit.yaml: quote_attribution {pattern!r}: {exc}") from None
    fields = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or not name.isidentifier():
            raise ReportError(
                f"qualkit.yaml: quote_attribution {pattern!r}: write each attribute as "
                '{name}, e.g. "({group}, {service})"'
            )
        fields.append(name)
    return fields


class Attribution:
    """Attributes participants in one export; checks the pattern against the attributes."""

    def __init__(
        self,
        pattern: str,
        participants: dict[str, dict[str, Any]],
        pseudonyms: Pseudonyms | None = None,
    ) -> None:
        self.pattern = pattern
        self.participants = participants
        self.pseudonyms = pseudonyms or Pseudonyms()
        self.fields = attribution_fields(pattern)
        known = {name for attrs in participants.values() for name in attrs}
        # The built-in default names `group`, which a project imported from another tool may
        # not have: its quotes then go unattributed. A pattern the author wrote must match.
        lenient = pattern == Settings().quote_attribution
        for name in self.fields:
            if name != PARTICIPANT_FIELD and name not in known and not lenient:
                listed = ", ".join(sorted(known)) or "none: add transcripts/participants.csv"
                raise ReportError(
                    f"qualkit.yaml: quote_attribution uses unknown attribute '{name}' "
                    f"(participant attributes: {listed})"
                )
        self._cache: dict[str | None, str] = {}

    @classmethod
    def for_project(cls, project: Any, pseudonyms: Pseudonyms | None = None) -> Attribution:
        return cls(project.settings.quote_attribution, project.store.participants(), pseudonyms)

    def __call__(self, participant: str | None) -> str:
        if participant not in self._cache:
            self._cache[participant] = self._format(participant)
        return self._cache[participant]

    def _format(self, participant: str | None) -> str:
        attrs = self.participants.get(participant or "", {})
        values = {}
        for name in self.fields:
            raw = participant if name == PARTICIPANT_FIELD else attrs.get(name)
            text = str(raw).strip() if raw is not None else ""
            values[name] = self.pseudonyms.apply(text) if text else _BLANK
        filled = self.pattern.format_map(values)
        filled = _BLANK_AFTER_SEPARATOR.sub("", filled)
        filled = _BLANK_BEFORE_SEPARATOR.sub("", filled)
        # Nothing known about the speaker: no attribution rather than an empty "()".
        return filled if any(ch.isalnum() for ch in filled) else ""
