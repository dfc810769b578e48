"""Bad input of any kind: random and mangled files give a clear qualkit error, never a crash.

Deterministic (seeded) mutations of real fictional fixtures, through the real parsers.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from projects import CODEBOOK, INTERVIEW_1, PARTICIPANTS, REPO

from qualkit.codebook import Codebook
from qualkit.errors import QualkitError
from qualkit.exchange.codings_csv import read_codings_csv
from qualkit.ingest.participants import read_participants
from qualkit.transcripts import read_transcript

FIXTURES = REPO / "tests" / "fixtures" / "transcripts"
ROUNDS = 300


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flip bytes, cut, duplicate a slice, insert junk, or splice NULs / BOMs."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if choice == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif choice == 1:
            del data[at : at + rng.randint(1, 40)]
        elif choice == 2:
            piece = data[at : at + rng.randint(1, 80)]
            data[at:at] = piece
        elif choice == 3:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        elif choice == 4:
            data[at:at] = rng.choice([b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"---\n"])
        else:
            data[at:at] = rng.choice([b": ", b"\n\n", b"[00:0", b"-->", b"<v ", b"\n---"])
    return bytes(data)


def sources() -> list[tuple[str, bytes]]:
    files = [(p.suffix, p.read_bytes()) for p in sorted(FIXTURES.iterdir())]
    files.append((".txt", INTERVIEW_1.encode()))
    return files


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_mangled_transcripts_parse_or_fail_cleanly(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for suffix, data in sources():
        path = tmp_path / f"t{seed}{suffix}"
        path.write_bytes(mutate(data, rng))
        try:
            parsed = read_transcript(path)
        except QualkitError as exc:
            assert "\n" not in str(exc) and path.name in str(exc)
            continue
        for turn in parsed.turns:
            assert 0 <= turn.start <= turn.end <= len(parsed.text)


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_mangled_codebooks_load_or_fail_cleanly(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "codebook.yaml"
    path.write_bytes(mutate(CODEBOOK.encode(), rng))
    try:
        book = Codebook.load(path)
    except QualkitError as exc:
        assert "\n" not in str(exc) and "codebook.yaml" in str(exc)
        return
    for code in book.codes.values():
        assert code.id and code.name


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_mangled_tables_read_or_fail_cleanly(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "participants.csv"
    path.write_bytes(mutate(PARTICIPANTS.encode(), rng))
    try:
        read_participants(path, "participants.csv")
    except QualkitError as exc:
        assert "\n" not in str(exc) and "participants.csv" in str(exc)
    raw = mutate(b"segment_id,code,memo\n1,referral,a note\n2,waiting,\n", rng)
    try:
        read_codings_csv(raw.decode("utf-8", "replace"), "codings.csv", raw)
    except QualkitError as exc:
        assert "\n" not in str(exc) and "codings.csv" in str(exc)


def test_mangled_transcripts_through_ingest_change_nothing_on_error(tmp_path: Path) -> None:
    from projects import snapshot, write_tiny_project

    from qualkit.project import Project

    root = write_tiny_project(tmp_path / "study")
    with Project.open(root) as p:
        p.ingest()
        p.code(int(p.segments().segment_id.iloc[0]), "referral", "ana")
    rng = random.Random(7)
    target = root / "transcripts" / "p1.txt"
    original = target.read_bytes()
    failures = 0
    for _ in range(60):
        target.write_bytes(mutate(original, rng))
        before = snapshot(root)
        with Project.open(root) as p:
            try:
                p.ingest()
            except QualkitError as exc:
                failures += 1
                assert "\n" not in str(exc) and "p1.txt" in str(exc)
                assert snapshot(root)["<database>"] == before["<database>"]
            assert len(p.codings(include_removed=True)) == 1  # never dropped
    assert failures  # the mutations do reach the error paths
