"""Project settings, read from ``qualkit.yaml`` at the project root (optional file).

```yaml
segmentation: sentences     # or: turn (exactly one segment per speaker turn)
max_words: 150              # in 'sentences' mode, a longer turn is split at sentence ends
interviewer_labels: [Interviewer, Int, I, Q, Facilitator, Moderator, Researcher,
                     Interviewer 1, Interviewer 2]
blind: true                 # unset: blind as soon as a second coder works on the project;
                            # true/false: always / never (false: coders see each other's codings)
embedding_model: null       # a local sentence-transformers folder; null = bundled MiniLM;
                            #   all-mpnet-base-v2 = the larger model (README: the larger model)
min_words: 3                # a shorter participant turn joins the speaker's previous segment,
                            #   or else is kept as context (not a coding unit); 0 = off
code_interviewer: false     # true: interviewer turns are coding units too (facilitator's words
                            #   are data)
quote_attribution: "({group})"   # how exported quotes are attributed, from participant attributes
```
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from qualkit.errors import ProjectError

SETTINGS_FILE = "qualkit.yaml"
DEFAULT_INTERVIEWER_LABELS = [
    "Interviewer",
    "Int",
    "I",
    "Q",
    "Facilitator",
    "Moderator",
    "Researcher",
    "Interviewer 1",
    "Interviewer 2",
]

Segmentation = Literal["sentences", "turn"]


@dataclass
class Settings:
    segmentation: Segmentation = "sentences"
    max_words: int = 150
    interviewer_labels: list[str] = field(default_factory=lambda: list(DEFAULT_INTERVIEWER_LABELS))
    # None (unset) means automatic: blind once a second coder works on the project.
    blind: bool | None = None
    embedding_model: str | None = None
    min_words: int = 3
    code_interviewer: bool = False
    # A str.format pattern over participant attributes, e.g. "({group}, {service})".
    quote_attribution: str = "({group})"

    def is_interviewer_label(self, label: str) -> bool:
        folded = label.strip().casefold()
        return any(folded == known.casefold() for known in self.interviewer_labels)

    def segmentation_key(self) -> str:
        """Hash of what shapes segments: a change re-segments every transcript."""
        shape: dict[str, Any] = {"segmentation": self.segmentation, "max_words": self.max_words}
        if self.min_words:  # projects from before min_words keep their key when it is off
            shape["min_words"] = self.min_words
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_settings(root: Path) -> Settings:
    path = root / SETTINGS_FILE
    if not path.exists():
        return Settings()
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from qualkit.yaml_guard import ALIAS_PROBLEM, first_alias_line

    try:
        text = path.read_text(encoding="utf-8")
        alias = first_alias_line(text)
        if alias is not None:
            raise ProjectError(f"{path}:{alias}: {ALIAS_PROBLEM}")
        data = YAML(typ="safe").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ProjectError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    except YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProjectError(f"{path}: invalid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read: {exc}") from None
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping of settings")
    settings = Settings()
    known = set(settings.to_dict())
    for key, value in data.items():
        if key not in known:
            raise ProjectError(
                f"{path}: unknown setting '{key}' (known: {', '.join(sorted(known))})"
            )
        setattr(settings, key, value)
    if settings.segmentation not in ("sentences", "turn"):
        raise ProjectError(f"{path}: segmentation must be 'sentences' or 'turn'")
    if not isinstance(settings.max_words, int) or settings.max_words < 5:
        raise ProjectError(f"{path}: max_words must be a whole number of at least 5")
    if not isinstance(settings.interviewer_labels, list) or not all(
        isinstance(x, str) for x in settings.interviewer_labels
    ):
        raise ProjectError(f"{path}: interviewer_labels must be a list of labels")
    if settings.blind is not None and not isinstance(settings.blind, bool):
        raise ProjectError(f"{path}: blind must be true or false (or left out: automatic)")
    if not isinstance(settings.code_interviewer, bool):
        raise ProjectError(f"{path}: code_interviewer must be true or false")
    if (
        not isinstance(settings.min_words, int)
        or isinstance(settings.min_words, bool)
        or not 0 <= settings.min_words <= 50
    ):
        raise ProjectError(f"{path}: min_words must be a whole number from 0 to 50")
    if not isinstance(settings.quote_attribution, str):
        raise ProjectError(f'{path}: quote_attribution must be text, e.g. "({{group}})"')
    return settings


SETTINGS_TEMPLATE = """\
# qualkit project settings. All optional; delete a line to use the default.
segmentation: sentences   # 'turn' = exactly one coding unit per speaker turn
max_words: 150            # longer turns are split at sentence boundaries (sentences mode)
# Speaker labels treated as the interviewer (kept as context, not coding units):
interviewer_labels: [{labels}]
# blind: true             # unset = blind once a second coder works here; false = never blind
embedding_model: null     # a local sentence-transformers model folder; null = bundled MiniLM
#   (or all-mpnet-base-v2: larger, about 5x slower to embed; see the README)
min_words: 3              # shorter participant turns join the speaker's last segment or are context
code_interviewer: false   # true: interviewer turns can be coded (the facilitator's words are data)
# How exported quotes are attributed, from participants.csv columns:
quote_attribution: "({group})"   # e.g. "({group}, {service})"
""".replace("{labels}", ", ".join(DEFAULT_INTERVIEWER_LABELS))
