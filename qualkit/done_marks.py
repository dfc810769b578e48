"""Done marks: agreement is computed over done transcripts, so marking one done before most of
it is coded or reviewed must be confirmed (the workbench and the CLI ask)."""

from __future__ import annotations

from typing import Any

DONE_MIN_PERCENT = 90.0


def done_shortfall(project: Any, transcript: str, coder: str) -> str | None:
    """Why marking `transcript` done for `coder` needs confirming, or None when it does not."""
    progress = project.progress(coder)
    row = progress[progress["transcript"] == transcript]
    if row.empty:
        project.transcript_text(transcript)  # ProjectError naming an unknown transcript
        return None
    percent = float(row["percent"].iloc[0])
    if percent >= DONE_MIN_PERCENT:
        return None
    handled, total = int(row["coded_or_reviewed"].iloc[0]), int(row["segments"].iloc[0])
    return (
        f"{transcript} is {percent:.0f}% coded or reviewed by {coder} ({handled} of {total} "
        f"segments); agreement counts done transcripts, so mark it done only when finished"
    )
