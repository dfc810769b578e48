"""People in an imported project: users become coders, cases become participants.

Cases with variables become rows of ``transcripts/participants.csv`` (one column per
variable); ATLAS.ti's attribute sets ("gender: male") add attributes to the participants of
their member sources; nameless cases (MAXQDA's document variables) and a source's own variable
values go into that transcript's front matter.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.atomic_files import write_atomically
from qualkit.exchange.import_sources import PlannedSource
from qualkit.exchange.refi_model import RefiProject

if TYPE_CHECKING:
    from qualkit.project import Project

_ATTRIBUTE_SET = re.compile(r"^\s*([^:]{1,60}?)\s*:\s*(\S.*?)\s*$")


def coder_names(refi: RefiProject) -> dict[str, str]:
    """User GUID -> a coder name qualkit accepts (unique, not empty, not 'system')."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for user in refi.users:
        base = " ".join(user.name.split()) or "imported"
        if base.casefold() == "system":
            base = "system-imported"
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.casefold())
        names[user.guid] = name
    return names


def attribute_sets(refi: RefiProject, plans: list[PlannedSource]) -> None:
    """Sets named 'key: value' become attributes; other source sets are listed by name."""
    by_guid = {p.source.guid: p for p in plans}
    variables = {v.guid: v.name for v in refi.variables}
    for plan in plans:
        values = {variables.get(g, g): v for g, v in plan.source.variables.items() if v}
        if values:
            plan.metadata.setdefault("variables", {}).update(values)
    for case in refi.cases:
        if case.name:
            continue
        values = {variables.get(g, g): v for g, v in case.values.items() if v}
        for guid in case.source_refs:
            if guid in by_guid and values:
                by_guid[guid].metadata.setdefault("variables", {}).update(values)
    for item in refi.sets:
        m = _ATTRIBUTE_SET.match(item.name)
        for guid in item.member_sources:
            plan = by_guid.get(guid)
            if plan is None:
                continue
            if m:
                plan.metadata.setdefault("variables", {})[m.group(1)] = m.group(2)
            else:
                plan.metadata.setdefault("sets", []).append(item.name)


def participant_rows(refi: RefiProject, plans: list[PlannedSource]) -> dict[str, dict[str, str]]:
    """Participant id -> attributes, from named cases and the participants the plans use."""
    variables = {v.guid: v.name for v in refi.variables}
    rows: dict[str, dict[str, str]] = {}
    for case in refi.cases:
        if not case.name or not case.name.strip():
            continue
        attrs = {variables.get(g, g): v for g, v in case.values.items() if v}
        rows.setdefault(case.name.strip(), {}).update(attrs)
    for plan in plans:
        for pid in plan.participants:
            attrs = rows.setdefault(pid, {})
            # Attribute sets on a source describe its participant when it has only one.
            if len(plan.participants) == 1:
                for key, value in plan.metadata.get("variables", {}).items():
                    attrs.setdefault(key, value)
    return rows


def merge_participants(
    project: Project,
    path: Path,
    rows: dict[str, dict[str, str]],
) -> list[str]:
    """Add new participants and attributes to participants.csv; returns the ids added.

    Values already in the file are never changed. The file is only created when a case or a
    participant needs it; the participants existing transcripts already name are then kept.
    """
    from qualkit.ingest.plan import read_participants

    needed = bool(rows) and (path.exists() or any(r for r in rows.values()))
    if not needed:
        return []
    if path.exists():
        existing = read_participants(path, "transcripts/participants.csv")
    else:
        existing = {}
        for pids in project.store.transcript_participants().values():
            for pid in pids:
                existing.setdefault(pid, {})
    added = [pid for pid in rows if pid not in existing]
    merged = {pid: dict(attrs) for pid, attrs in existing.items()}
    for pid, attrs in rows.items():
        target = merged.setdefault(pid, {})
        for key, value in attrs.items():
            if key == "participant_id":
                key = "participant_id (imported)"
            if not target.get(key):
                target[key] = value
    columns: list[str] = []
    for attrs in merged.values():
        for key in attrs:
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["participant_id", *columns])
    for pid, attrs in merged.items():
        writer.writerow([pid, *[attrs.get(c, "") for c in columns]])
    write_atomically(path, out.getvalue().encode("utf-8"))
    return added
