"""Property tests (hypothesis) for every parser and importer: random and mutated input gives a
result or one clear qualkit error, never a traceback or a hang (each example has a deadline)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import edit_bytes
from projects import CODEBOOK, INTERVIEW_1, PARTICIPANTS

from qualkit.codebook import Codebook
from qualkit.errors import QualkitError
from qualkit.exchange.codings_csv import read_codings_csv
from qualkit.ingest.participants import decode_table, read_participants
from qualkit.settings import SETTINGS_TEMPLATE, load_settings
from qualkit.transcripts import read_transcript

FAST = settings(
    max_examples=150,
    deadline=2000,  # ms per example: a hang or a blow-up fails instead of stalling CI
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: CI never flakes on a new one
)

VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Maya>It was my health visitor.\n\n"
SRT = b"1\n00:00:01,000 --> 00:00:04,000\nMaya: It was my health visitor.\n\n"


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few random bytes replaced, inserted or deleted (or random bytes)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    return edit_bytes(draw, seed, b"\x00\n\r:\"'-&*[]{}|>#\t ,;\xff\xfe\xe2\x80\xae")


@functools.cache
def _folder() -> Path:
    # Made on first use, not on import: every process that imported this module (collection,
    # spawned children that exit without atexit) used to leave an empty qk-prop-* in /tmp.
    folder = Path(tempfile.mkdtemp(prefix="qk-prop-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _in_file(name: str, data: bytes) -> Path:
    path = _folder() / name
    path.write_bytes(data)
    return path


def _result_or_clear_error(fn, *args) -> None:
    try:
        fn(*args)
    except QualkitError as exc:
        assert str(exc).strip() and "Traceback" not in str(exc)


@FAST
@given(
    st.one_of(
        st.tuples(st.just("t.txt"), mutated(INTERVIEW_1.encode())),
        st.tuples(st.just("t.md"), mutated(INTERVIEW_1.encode("utf-16"))),
        st.tuples(st.just("t.vtt"), mutated(VTT)),
        st.tuples(st.just("t.srt"), mutated(SRT)),
        st.tuples(st.just("t.docx"), mutated(b"PK\x03\x04" + bytes(200))),
    )
)
def test_transcript_parsers_give_a_result_or_one_clear_error(case: tuple[str, bytes]) -> None:
    _result_or_clear_error(read_transcript, _in_file(*case))


@FAST
@given(mutated(CODEBOOK.encode()))
def test_the_codebook_parser_gives_a_result_or_one_clear_error(data: bytes) -> None:
    _result_or_clear_error(Codebook.load, _in_file("codebook.yaml", data))


@FAST
@given(mutated(SETTINGS_TEMPLATE.encode()))
def test_the_settings_reader_gives_a_result_or_one_clear_error(data: bytes) -> None:
    path = _in_file("qualkit.yaml", data)
    _result_or_clear_error(load_settings, path.parent)


@FAST
@given(mutated(PARTICIPANTS.encode()))
def test_the_participants_csv_gives_a_result_or_one_clear_error(data: bytes) -> None:
    path = _in_file("participants.csv", data)
    _result_or_clear_error(read_participants, path, "transcripts/participants.csv")


@FAST
@given(mutated(b'segment_id,code,memo\n1,access,"a memo, quoted"\n2,waiting,\n'))
def test_the_codings_csv_gives_a_result_or_one_clear_error(data: bytes) -> None:
    def read(raw: bytes) -> None:
        read_codings_csv(decode_table(raw, "codings.csv"), "codings.csv", raw)

    _result_or_clear_error(read, data)
