"""Text output of `qualkit eval suggestions --online`: the prequential curves of the suggester
and its three baselines, how often it retrained, and the evidence floor's coverage."""

from __future__ import annotations

from typing import Any

import typer


def online_lines(r: dict[str, Any]) -> list[str]:
    """The report as lines of text (also used by bench/suggest_quality.py)."""
    every = r["retrain_every"]
    retrain = "after every coding" if every == 1 else f"every {every} codings"
    lines = [
        f"{r['n_segments']} segments coded by {r['coder']}, level {r['level']}, "
        f"{r['n_labels']} {r['level']}s used; online (prequential): each segment ranked with "
        f"only the codings before it ({r['order']}); the model retrained {retrain}",
    ]
    bins = list(next(iter(r["curves"].values())).keys())
    for k in ("top1", "top3", "top5"):
        lines.append(f"{k:<16}" + "".join(f"{b:>10}" for b in bins))
        for method, curve in r["curves"].items():
            lines.append(f"  {method:<14}" + "".join(f"{curve[b][k]:>10.3f}" for b in bins))
    sizes = next(iter(r["curves"].values()))
    lines.append("segments per bin" + "".join(f"{sizes[b]['n']:>10}" for b in bins))
    f = r["floor"]
    lines.append(
        f"evidence floor: suggestions shown for {f['shown']} of {f['segments']} participant "
        f"segments (coverage {f['coverage']:.3f}; coded ones {f['coded_coverage']:.3f}); "
        f"{f['uncoded_suppressed']} of {f['uncoded']} uncoded segments get none; "
        f"precision (top 3 holds a gold code) {f['precision_top3']:.3f} with the floor, "
        f"{f['precision_top3_without_floor']:.3f} without"
    )
    return lines


def print_online(r: dict[str, Any]) -> None:
    for line in online_lines(r):
        typer.echo(line)
