"""Blind coding: whether a coder may see other coders' layers, and what the event log says
about whether each coder actually coded blind (for the agreement report's methods paragraph).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qualkit.agreement.stats import CONSENSUS
from qualkit.sessions import start_session

# Event actions this module writes and reads.
SESSION = "workbench-open"  # payload: {"blind": bool, "setting": "auto"|"true"|"false"}
VIEW_LAYER = "view-layer"  # payload: {"layers": [coder, ...], "where": "disagreements"|...}
CODING_ACTIONS = ("code", "import")
NOTICE_KEY = "blind.notice-shown:"  # + coder: the one-line notice was shown to this coder


def setting_word(project: Any) -> str:
    """The `blind` setting as written: "auto" when unset, else "true" or "false"."""
    value = project.settings.blind
    return "auto" if value is None else ("true" if value else "false")


def other_coders(project: Any, coder: str | None) -> list[str]:
    """People other than `coder` with a coding layer (the consensus layer is no person)."""
    return [c for c in project.coders() if c not in (coder, CONSENSUS)]


def blind_for(project: Any, coder: str | None) -> bool:
    """Whether `coder` codes blind: the explicit setting, else as soon as anybody else codes."""
    if project.settings.blind is not None:
        return bool(project.settings.blind)
    return bool(coder) and bool(other_coders(project, coder))


def blind_notice(project: Any, coder: str) -> str | None:
    """The one line a coder sees the first time automatic blinding applies to them (then
    never again on this project), or None."""
    if project.settings.blind is not None or not blind_for(project, coder):
        return None
    key = NOTICE_KEY + coder
    if project.remembered(key):
        return None
    project.remember(key, "1")
    others = ", ".join(other_coders(project, coder))
    return (
        f"Blind coding: another coder ({others}) works on this project, so you see only your "
        "own codings (set 'blind: false' in qualkit.yaml to see theirs)."
    )


def log_session(project: Any, coder: str) -> bool:
    """Log that `coder` opened the workbench and whether it was blind; returns that."""
    blind = blind_for(project, coder)
    project.store.log_event(coder, SESSION, {"blind": blind, "setting": setting_word(project)})
    return blind


def log_layer_view(project: Any, viewer: str | None, layers: list[str], where: str) -> None:
    """Log that `viewer` saw other coders' layers (disagreements, adjudication...)."""
    others = [layer for layer in layers if layer != viewer]
    if viewer and others:
        project.store.log_event(viewer, VIEW_LAYER, {"layers": others, "where": where})


@dataclass(frozen=True)
class BlindRecord:
    """What the event log says about one coder's blinding."""

    coder: str
    sessions_blind: int  # workbench sessions opened blind
    sessions_open: int  # workbench sessions where other coders' codings were visible
    settings: tuple[str, ...]  # the `blind` settings in force in those sessions
    first_view: str | None  # time of the first look at another coder's layer
    codings_not_blind: int  # coding actions while another coder's codings could be seen
    codings_outside: int  # coding actions outside any workbench session (CLI, import)
    sessions_alone: int = 0  # not blind, but opened before anybody else had coded

    @property
    def blind(self) -> bool | None:
        """True: coded blind throughout; False: not; None: no workbench session is logged."""
        if self.codings_not_blind:
            return False
        if not self.sessions_blind and not self.sessions_open and not self.sessions_alone:
            return None
        return True

    def sentence(self) -> str:
        """One sentence for the methods paragraph, stating what the log shows."""
        facts = []
        if self.sessions_blind or self.sessions_open or self.sessions_alone:
            alone = (
                f", {self.sessions_alone} before any other coder had coded"
                if self.sessions_alone
                else ""
            )
            facts.append(
                f"{self.sessions_blind} workbench session(s) blind and {self.sessions_open} "
                f"showing other coders' codings{alone} (blind setting: "
                f"{', '.join(self.settings)})"
            )
        else:
            facts.append("no workbench session logged")
        if self.first_view:
            facts.append(f"first viewed another coder's codings at {self.first_view}")
        else:
            facts.append("never viewed another coder's codings")
        if self.codings_not_blind:
            facts.append(f"{self.codings_not_blind} coding action(s) while others were visible")
        if self.codings_outside:
            facts.append(
                f"{self.codings_outside} coding action(s) from the command line or imports"
            )
        said = {True: "coded blind", False: "did not code blind", None: "blinding not recorded"}
        return f"{self.coder}: {said[self.blind]} ({'; '.join(facts)})."


def others_first_coding(project: Any, coder: str) -> int | None:
    """The id of the first coding event by any other person (None: nobody else has coded).
    Before it there was nothing of anybody else's to see, blind or not."""
    return project.store.first_event_id(CODING_ACTIONS, (coder, CONSENSUS))


def blind_record(project: Any, coder: str) -> BlindRecord:
    """Read the coder's events oldest first and tally what was visible when they coded.

    A first coder working alone in a session that is not blind (automatic blinding starts
    with the second coder) saw nobody's codings: those sessions count as alone and their
    codings as blind, up to the moment somebody else first codes.
    """
    events = list(reversed(project.events(coder)))
    others_from = others_first_coding(project, coder)

    def others_coded(event_id: int) -> bool:
        return others_from is not None and others_from < event_id

    sessions_blind = sessions_open = sessions_alone = not_blind = outside = 0
    settings: list[str] = []
    in_session: bool | None = None  # blind flag of the current session; None: no session yet
    first_view: str | None = None
    for event in events:
        if event.action == SESSION:
            in_session = bool(event.payload.get("blind"))
            if in_session:
                sessions_blind += 1
            elif others_coded(event.id):
                sessions_open += 1
            else:
                sessions_alone += 1
            word = str(event.payload.get("setting", "?"))
            if word not in settings:
                settings.append(word)
        elif event.action == VIEW_LAYER and first_view is None:
            first_view = event.time
        elif event.action in CODING_ACTIONS:
            if in_session is None:
                outside += 1
            if (in_session is False and others_coded(event.id)) or first_view is not None:
                not_blind += 1
    return BlindRecord(
        coder,
        sessions_blind,
        sessions_open,
        tuple(settings),
        first_view,
        not_blind,
        outside,
        sessions_alone,
    )


def open_session(project: Any, coder: str) -> tuple[bool, str | None]:
    """The workbench opens for `coder`: the one-time notice (if due), then the session event.

    Returns (blind, notice). The notice is decided first, so that a second coder's very first
    session, before any of their codings exist, already counts them as the second coder.
    """
    notice = blind_notice(project, coder)
    start_session(project)
    return log_session(project, coder), notice
