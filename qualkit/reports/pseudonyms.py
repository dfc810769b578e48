"""Pseudonymisation at export: ``pseudonyms.yaml`` maps names, places and organisations to
bracketed replacements, applied to every export while the stored transcripts never change.

```yaml
Anna: "[team member]"
St Thomas': "[hospital]"
NHS: NHS          # a word mapped to itself is kept as is, and `anonymise check` accepts it
```

Matching is whole-word and case-aware: a key matches as written and in capitals (``ANNA``);
a lower-case key also capitalised (``little steps``: ``Little steps``, ``Little Steps``).
Possessives keep their ending (``Anna's`` → ``[team member]'s``); a name inside another word
(``Annabel``, ``Hannah``, ``Anna-Marie``, ``O'Neill`` for ``Neill``) is never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import ReportError

PSEUDONYMS_FILE = "pseudonyms.yaml"
_APOSTROPHES = "'’"
# A match may not touch a word character, nor a word joined by a hyphen or apostrophe on the
# left (O'Neill); on the right an apostrophe is allowed, so possessives keep their ending.
_LEFT = r"(?<!\w)(?<!\w-)(?<!\w['’])"
_RIGHT = r"(?!\w)(?!-\w)"


def _normalise(text: str) -> str:
    """Matched text as a lookup key: one space between words, one kind of apostrophe."""
    return " ".join(text.replace("’", "'").split())


def _variants(key: str) -> set[str]:
    found = {key, key.upper()}
    if key[:1].islower():
        found.add(key[:1].upper() + key[1:])
        found.add(key.title())
    return found


def _pattern(variant: str) -> str:
    parts = []
    for word in variant.split():
        parts.append("".join("['’]" if ch in _APOSTROPHES else re.escape(ch) for ch in word))
    return r"\s+".join(parts)


@dataclass
class Pseudonyms:
    """The replacements of one project; ``apply`` rewrites a text for export."""

    replacements: dict[str, str] = field(default_factory=dict)
    source: Path | None = None

    def __post_init__(self) -> None:
        self._lookup: dict[str, str] = {}
        for key, value in self.replacements.items():
            for variant in _variants(key):
                self._lookup.setdefault(_normalise(variant), value)
        # Longest first, so "Anna Smith" wins over "Anna".
        variants = sorted(
            {v for key in self.replacements for v in _variants(key)}, key=lambda v: (-len(v), v)
        )
        self._regex = (
            re.compile(_LEFT + "(?:" + "|".join(_pattern(v) for v in variants) + ")" + _RIGHT)
            if variants
            else None
        )
        # Words the map keeps or replaces: `anonymise check` does not report them.
        self.known_words = {
            _normalise(word).strip("'")
            for key in self.replacements
            for word in key.split() + self.replacements[key].split()
        }

    def __bool__(self) -> bool:
        return bool(self.replacements)

    def apply(self, text: str) -> str:
        """The text with every mapped name replaced (whole words only)."""
        if self._regex is None or not isinstance(text, str) or not text:
            return text
        return self._regex.sub(lambda m: self._lookup[_normalise(m.group(0))], text)

    def apply_optional(self, text: str | None) -> str | None:
        return None if text is None else self.apply(text)

    @classmethod
    def load(cls, root: Path) -> Pseudonyms:
        """The project's pseudonyms.yaml, or an empty map when there is none."""
        path = Path(root) / PSEUDONYMS_FILE
        if not path.exists():
            return cls({}, None)
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError

        try:
            data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
            raise ReportError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"{path}: cannot read: {exc}") from None
        if data is None:
            return cls({}, path)
        if not isinstance(data, dict):
            raise ReportError(f'{path}: expected a mapping such as  Anna: "[team member]"')
        replacements: dict[str, str] = {}
        for key, value in data.items():
            line = _line_of(data, key)
            if not isinstance(key, str) or not key.strip():
                raise ReportError(f"{path}:{line}: a name must be text, not {key!r}")
            if not isinstance(value, str) or not value.strip():
                raise ReportError(
                    f"{path}:{line}: '{key}' needs a replacement text such as \"[team member]\""
                )
            replacements[key.strip()] = value
        return cls(replacements, path)


def _line_of(data: object, key: object) -> str:
    try:
        return str(data.lc.key(key)[0] + 1)  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return "?"
