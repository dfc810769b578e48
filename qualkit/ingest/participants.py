"""Who speaks: participants.csv, and resolving each transcript's speaker labels to participants."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError, QualkitError
from qualkit.settings import Settings

PARTICIPANTS_FILE = "participants.csv"


def decode_table(data: bytes, shown: str) -> str:
    """A CSV table's text, decoded like a transcript (BOM, UTF-8, UTF-16, Windows-1252)."""
    from qualkit.transcripts import decode_bytes

    try:
        return decode_bytes(data, shown)
    except QualkitError as exc:
        # The decoder names the file as given (`shown: ...`); only its wording changes here.
        reason = str(exc).removeprefix(f"{shown}: ").replace("text transcript", "text CSV file")
        raise ProjectError(f"{shown}: {reason}") from None


def read_csv_rows(
    text: str, shown: str, dialect: Any = csv.excel, one_line_values: bool = False
) -> list[tuple[int, list[str]]]:
    """(line where the row starts, cells) for each row, read strictly: an unclosed quote or a
    stray character after a closing quote is an error naming the line, never a value that
    silently swallows the rest of the file. With `one_line_values`, a value running over
    several lines is refused too (in a table of attributes it is an unclosed quote)."""
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise ProjectError(
                f"{shown}: line {start}: malformed CSV ({exc}); look for an unclosed quote"
            ) from None
        if one_line_values and reader.line_num > start:
            raise ProjectError(
                f"{shown}: line {start}: a value runs over {reader.line_num - start + 1} lines; "
                "look for an unclosed quote"
            )
        rows.append((start, row))
        start = reader.line_num + 1


def header_dialect(text: str) -> Any:
    """The CSV dialect its header line shows: a comma, or the semicolon a European Excel
    saves, or a tab."""
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_participants(path: Path, shown: str) -> dict[str, dict[str, Any]]:
    """participants.csv: `participant_id` plus any attribute columns."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{shown}: cannot read: {exc.strerror}") from None
    text = decode_table(data, shown)
    dialect = header_dialect(text)
    numbered = [
        (n, r)
        for n, r in read_csv_rows(text, shown, dialect, one_line_values=True)
        if any(cell.strip() for cell in r)
    ]
    rows = [r for _, r in numbered]
    if not rows:
        raise ProjectError(f"{shown}: empty file; expected a header with 'participant_id'")
    header = [h.strip() for h in rows[0]]
    if "participant_id" not in header:
        found = ", ".join(header)
        raise ProjectError(
            f"{shown}: line {numbered[0][0]}: no 'participant_id' column (found: {found})"
        )
    if len(set(header)) != len(header):
        raise ProjectError(f"{shown}: line 1: duplicate column names")
    key = header.index("participant_id")
    participants: dict[str, dict[str, Any]] = {}
    for line_no, row in numbered[1:]:
        if len(row) > len(header):
            raise ProjectError(
                f"{shown}: line {line_no}: {len(row)} values but {len(header)} columns"
            )
        row = row + [""] * (len(header) - len(row))
        pid = row[key].strip()
        if not pid:
            raise ProjectError(f"{shown}: line {line_no}: empty participant_id")
        if pid in participants:
            raise ProjectError(f"{shown}: line {line_no}: duplicate participant_id '{pid}'")
        participants[pid] = {
            h: v.strip() for i, (h, v) in enumerate(zip(header, row, strict=True)) if i != key
        }
    return participants


class SpeakerResolver:
    """Speaker label -> (participant id or None for the interviewer, is_interviewer)."""

    def __init__(self, settings: Settings, participants: dict[str, dict[str, Any]] | None):
        self.settings = settings
        self.participants = participants
        self._by_folded = {pid.casefold(): pid for pid in participants or {}}

    def resolve(
        self, label: str, speakers_map: dict[str, Any], where: str
    ) -> tuple[str | None, bool]:
        mapped = _lookup(speakers_map, label)
        if mapped is not None:
            target = str(mapped).strip()
            if target.casefold() == "interviewer":
                return None, True
            if self.participants is not None and target not in self.participants:
                raise ProjectError(
                    f"{where}: speaker '{label}' maps to participant '{target}', which is not "
                    f"in transcripts/{PARTICIPANTS_FILE}"
                )
            return target, False
        if self.settings.is_interviewer_label(label):
            return None, True
        if self.participants is None:
            return label, False
        pid = self._by_folded.get(label.casefold())
        if pid is not None:
            return pid, False
        raise ProjectError(
            f"{where}: unknown speaker '{label}': add it to the front matter 'speakers:' map "
            f"or to transcripts/{PARTICIPANTS_FILE}"
        )

    def document_participant(self, participant: Any, where: str) -> str | None:
        """The participant a document is from (front matter 'participant:'), or None."""
        if participant is None or not str(participant).strip():
            return None
        pid = str(participant).strip()
        if self.participants is not None and pid not in self.participants:
            raise ProjectError(
                f"{where}: participant '{pid}' is not in transcripts/{PARTICIPANTS_FILE}"
            )
        return pid


def _lookup(mapping: dict[str, Any], label: str) -> Any:
    if label in mapping:
        return mapping[label]
    folded = label.casefold()
    for key, value in mapping.items():
        if str(key).casefold() == folded:
            return value
    return None
