"""Refusing YAML anchors and aliases in the files people write by hand (codebook.yaml, front
matter, qualkit.yaml): an alias bomb of a few kilobytes expands to gigabytes when loaded."""

from __future__ import annotations


def first_alias_line(text: str) -> int | None:
    """The 1-based line of the first YAML alias (``*name``) in `text`, or None.

    Reads the event stream only (linear in the text, nothing is expanded). Text that is not
    valid YAML gives None: the real parser reports that error with its own line.
    """
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency
        return _ruamel_alias_line(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                return event.start_mark.line + 1
    except yaml.YAMLError:
        return None
    return None


def _ruamel_alias_line(text: str) -> int | None:  # pragma: no cover - fallback only
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent

    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            if isinstance(event, AliasEvent):
                return event.start_mark.line + 1
    except YAMLError:
        return None
    return None


ALIAS_PROBLEM = "YAML aliases (*name) are not allowed here: write the value out in full"
