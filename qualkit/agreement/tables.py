"""Agreement between coders on a project: the per-code table, the disagreements to review,
and adopting the settled codes into the ``consensus`` layer.

Units are the (non-interviewer, non-orphaned) segments of transcripts every coder finished;
for each code (or theme) every coder's judgement on every unit is yes/no. The coefficients
come from :mod:`qualkit.agreement.stats`, implemented from the published formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from qualkit.agreement.stats import (
    CONSENSUS,
    Coefficient,
    alpha_from_counts,
    binary_table,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    pair_gwet_ac1,
    pair_krippendorff_alpha,
    pair_percent_agreement,
    percent_agreement,
)
from qualkit.errors import ProjectError, QualkitError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _known_coders(project: Any) -> set[str]:
    known = set(project.coders())
    progress = project.progress()
    if len(progress):
        known |= set(progress["coder"])
    return known


def _check_coders(project: Any, coders: Sequence[str]) -> list[str]:
    names = [str(c).strip() for c in coders if str(c).strip()]
    if len(names) < 2:
        raise QualkitError("agreement needs at least two coders (e.g. --coders ana,ben)")
    if len(set(names)) != len(names):
        raise QualkitError(f"a coder is named twice in {', '.join(names)}")
    known = _known_coders(project)
    for name in names:
        if name == CONSENSUS and name not in known:
            raise ProjectError(
                "there is no consensus layer yet: adjudicate first "
                "(qualkit adjudicate --coders A,B --accept-agreed, then the workbench's ctrl+a)"
            )
        if name not in known:
            listed = ", ".join(sorted(known)) or "none yet"
            raise ProjectError(f"unknown coder '{name}' (coders in this project: {listed})")
    return names


def shared_transcripts(
    project: Any, coders: Sequence[str], transcripts: Sequence[str] | None = None
) -> tuple[list[str], str]:
    """The transcripts whose segments are the agreement units, and how they were chosen.

    Returns ``(transcript ids, basis)``; basis is ``"given"`` (the caller's list),
    ``"done"`` (every coder marked them done) or ``"coded"`` (no transcript is marked done by
    every coder, so: transcripts where every coder coded at least one segment).
    """
    all_ids = (
        list(project.transcript_ids())
        if hasattr(project, "transcript_ids")
        else list(project.progress(coders[0])["transcript"])
    )
    if transcripts is not None:
        chosen = [str(t) for t in transcripts]
        for t in chosen:
            if t not in all_ids:
                raise ProjectError(f"unknown transcript '{t}'")
        if not chosen:
            raise ProjectError("no transcripts given")
        return chosen, "given"
    if CONSENSUS in coders:
        return _consensus_transcripts(project, [c for c in coders if c != CONSENSUS])
    done: set[str] | None = None
    coded: set[str] | None = None
    for coder in coders:
        prog = project.progress(coder)
        d = set(prog.loc[prog["done"], "transcript"])
        k = set(prog.loc[prog["coded"] > 0, "transcript"])
        done = d if done is None else done & d
        coded = k if coded is None else coded & k
    if done:
        return [t for t in all_ids if t in done], "done"
    if coded:
        return [t for t in all_ids if t in coded], "coded"
    raise ProjectError(
        f"no shared units: no transcript is marked done (or coded) by all of {', '.join(coders)}"
    )


def _consensus_transcripts(project: Any, people: list[str]) -> tuple[list[str], str]:
    """Consensus has no done marks: its transcripts are those adjudication decided something
    in, kept where every other coder marked them done (else: coded at least one segment)."""
    from qualkit.agreement.consensus_scope import consensus_scope

    decided = consensus_scope(project).transcripts
    if not decided:
        raise ProjectError(
            "the consensus layer has no decisions yet: adjudicate first "
            "(qualkit adjudicate --coders A,B --accept-agreed, then the workbench's ctrl+a)"
        )
    done, coded = set(decided), set(decided)
    for coder in people:
        prog = project.progress(coder)
        done &= set(prog.loc[prog["done"], "transcript"])
        coded &= set(prog.loc[prog["coded"] > 0, "transcript"])
    if done:
        return [t for t in decided if t in done], "consensus"
    if coded:
        return [t for t in decided if t in coded], "consensus-coded"
    raise ProjectError(
        f"no shared units: {', '.join(people)} coded none of the transcripts the consensus "
        f"layer has decisions in ({', '.join(decided)})"
    )


BASIS_NOTES = {
    "given": "units: segments of the transcripts asked for",
    "done": "units: segments of transcripts every coder marked done",
    "coded": "units: no transcript is marked done by every coder, so segments of transcripts "
    "where every coder coded at least one segment (uncoded segments count as 'no')",
    "consensus": "units: segments of the transcripts where the consensus layer holds "
    "adjudication decisions and the other coder marked done (consensus has no done marks of "
    "its own; where it has no coding, it says 'no')",
    "consensus-coded": "units: segments of the transcripts where the consensus layer holds "
    "adjudication decisions and the other coder coded at least one segment (none of them is "
    "marked done; where consensus has no coding, it says 'no')",
}


class _Units(NamedTuple):
    segments: Any  # frame of the unit segments
    layers: dict[str, dict[int, set[str]]]  # coder -> {segment_id: codes (rolled up)}
    rows: list[tuple[str, str]]  # (code or theme id, name) to report on
    transcripts: list[str]
    basis: str  # how the transcripts were chosen (a BASIS_NOTES key)
    coders: list[str]  # the coder names, checked


def _units_and_layers(
    project: Any, coders: Sequence[str], transcripts: Sequence[str] | None, level: str
) -> _Units:
    if level not in ("code", "theme"):
        raise QualkitError(f"level must be 'code' or 'theme', not '{level}'")
    coders = _check_coders(project, coders)
    chosen, basis = shared_transcripts(project, coders, transcripts)
    segs = project.segments()
    segs = segs[segs["transcript"].isin(chosen)].reset_index(drop=True)
    if segs.empty:
        raise ProjectError(f"no shared units: transcripts {', '.join(chosen)} have no segments")
    unit_ids = set(int(s) for s in segs["segment_id"])
    book = project.codebook
    extra: list[str] = []
    layers: dict[str, dict[int, set[str]]] = {}
    for coder in coders:
        frame = project.codings(coder)
        layer: dict[int, set[str]] = {}
        for sid, code in zip(frame["segment_id"], frame["code"], strict=True):
            sid = int(sid)
            if sid not in unit_ids:
                continue
            if level == "theme":
                if code not in book:
                    continue
                code = book.theme_of(code)
            elif code not in book and code not in extra:
                extra.append(code)
            layer.setdefault(sid, set()).add(code)
        layers[coder] = layer
    if level == "theme":
        rows = [(c.id, c.name) for c in book.roots()]
    else:
        rows = [(cid, c.name) for cid, c in book.codes.items()] + [(x, "") for x in extra]
    return _Units(segs, layers, rows, chosen, basis, coders)


def units_and_layers(
    project: Any, coders: Sequence[str], transcripts: Sequence[str] | None, level: str
) -> _Units:
    """The agreement units (segments), each coder's layer on them and the rows to report."""
    return _units_and_layers(project, coders, transcripts, level)


def judgement_matrix(units: _Units) -> np.ndarray:
    """coders × units × rows booleans: did coder c put unit u in code (or theme) r."""
    unit_ids = [int(s) for s in units.segments["segment_id"]]
    # every coder's yes/no for every (unit, row) in one pass over the layers, rather than a
    # membership test per code x unit x coder
    unit_index = {sid: i for i, sid in enumerate(unit_ids)}
    row_index = {code: j for j, (code, _) in enumerate(units.rows)}
    judged = np.zeros((len(units.coders), len(unit_ids), len(units.rows)), dtype=bool)
    for ci, coder in enumerate(units.coders):
        for sid, codes in units.layers[coder].items():
            for code in codes:
                j = row_index.get(code)
                if j is not None:
                    judged[ci, unit_index[sid], j] = True
    return judged


def _note(*coefs: Coefficient) -> str:
    for c in coefs:
        if c.reason:
            return c.reason
    return ""


def agreement_table(
    project: Any,
    coders: Sequence[str],
    transcripts: Sequence[str] | None = None,
    level: Literal["code", "theme"] = "code",
) -> pd.DataFrame:
    """Agreement per code (or per theme) between coders on fixed units (segments).

    Units: the non-interviewer segments of the transcripts every coder finished (see
    :func:`shared_transcripts`; ``df.attrs["basis"]`` and ``df.attrs["note"]`` say which rule
    applied, ``df.attrs["transcripts"]`` lists them). On each unit each coder says yes/no for
    each code; at ``level="theme"`` a unit has a theme when it has the theme or any descendant.

    Two coders — columns: code, name, n_units, both, only_a, only_b, neither,
    percent_agreement, kappa (Cohen), alpha (Krippendorff nominal), ac1 (Gwet), note.
    More coders — columns: code, name, n_units, all_yes, all_no, mixed, percent_agreement,
    alpha, fleiss_kappa, ac1, note. ``note`` gives the reason for any NaN.
    """
    import pandas as pd

    units = _units_and_layers(project, coders, transcripts, level)
    rows, chosen, basis, coders = units.rows, units.transcripts, units.basis, units.coders
    judged = judgement_matrix(units)
    n = judged.shape[1]
    records = []
    for j, (code, name) in enumerate(rows):
        yes = judged[:, :, j]
        if len(coders) == 2:
            t = binary_table(yes[0], yes[1])
            pa, k, a, ac1 = (
                pair_percent_agreement(t),
                cohen_kappa(t),
                pair_krippendorff_alpha(t),
                pair_gwet_ac1(t),
            )
            records.append(
                {
                    "code": code,
                    "name": name,
                    "n_units": n,
                    "both": int(t[0, 0]),
                    "only_a": int(t[0, 1]),
                    "only_b": int(t[1, 0]),
                    "neither": int(t[1, 1]),
                    "percent_agreement": pa.value,
                    "kappa": k.value,
                    "alpha": a.value,
                    "ac1": ac1.value,
                    "note": _note(k, a, ac1),
                }
            )
        else:
            n_yes = yes.sum(axis=0)
            counts = np.stack([n_yes, len(coders) - n_yes], axis=1)
            pa, a = percent_agreement(counts), alpha_from_counts(counts)
            fk, ac1 = fleiss_kappa(counts), gwet_ac1(counts, n_categories=2)
            records.append(
                {
                    "code": code,
                    "name": name,
                    "n_units": n,
                    "all_yes": int(np.sum(n_yes == len(coders))),
                    "all_no": int(np.sum(n_yes == 0)),
                    "mixed": int(np.sum((n_yes > 0) & (n_yes < len(coders)))),
                    "percent_agreement": pa.value,
                    "alpha": a.value,
                    "fleiss_kappa": fk.value,
                    "ac1": ac1.value,
                    "note": _note(a, fk, ac1),
                }
            )
    if len(coders) == 2:
        columns = [
            "code",
            "name",
            "n_units",
            "both",
            "only_a",
            "only_b",
            "neither",
            "percent_agreement",
            "kappa",
            "alpha",
            "ac1",
            "note",
        ]
    else:
        columns = [
            "code",
            "name",
            "n_units",
            "all_yes",
            "all_no",
            "mixed",
            "percent_agreement",
            "alpha",
            "fleiss_kappa",
            "ac1",
            "note",
        ]
    frame = pd.DataFrame(records, columns=columns)
    frame.attrs.update(
        {
            "coders": list(coders),
            "level": level,
            "transcripts": chosen,
            "basis": basis,
            "note": BASIS_NOTES[basis],
            "n_units": n,
        }
    )
    return frame


def disagreements(
    project: Any,
    coder_a: str,
    coder_b: str,
    code: str | None = None,
    transcripts: Sequence[str] | None = None,
    level: Literal["code", "theme"] = "code",
) -> pd.DataFrame:
    """Units where two coders differ on a code, for adjudication.

    Same units as :func:`agreement_table`. One row per (segment, code) where exactly one coder
    applied the code: segment_id, transcript, text, code, coder_a_has, coder_b_has. ``code``
    limits the list to one code (or theme at ``level="theme"``); unknown ids raise.
    """
    import pandas as pd

    segs, layers, rows, chosen, basis, (coder_a, coder_b) = _units_and_layers(
        project, [coder_a, coder_b], transcripts, level
    )
    if code is not None:
        if code not in {r[0] for r in rows}:
            what = "theme" if level == "theme" else "code"
            raise ProjectError(f"unknown {what} '{code}'")
        rows = [r for r in rows if r[0] == code]
    order = {r[0]: i for i, r in enumerate(rows)}
    records = []
    for seg in segs.itertuples(index=False):
        sid = int(seg.segment_id)
        a = layers[coder_a].get(sid, set())
        b = layers[coder_b].get(sid, set())
        for c in sorted((a ^ b) & order.keys(), key=order.__getitem__):
            records.append(
                {
                    "segment_id": sid,
                    "transcript": seg.transcript,
                    "text": seg.text,
                    "code": c,
                    "coder_a_has": c in a,
                    "coder_b_has": c in b,
                }
            )
    frame = pd.DataFrame(
        records, columns=["segment_id", "transcript", "text", "code", "coder_a_has", "coder_b_has"]
    )
    frame.attrs.update(
        {
            "coders": [coder_a, coder_b],
            "transcripts": chosen,
            "basis": basis,
            "note": BASIS_NOTES[basis],
            "level": level,
        }
    )
    return frame
