"""Long work the workbench runs off the UI thread: ingest check, suggestions, topics.

Plain Python (no Textual): each piece opens its own Project (its own SQLite connection) so
a worker thread never shares the UI thread's connection. Workers call these and post
messages with the results; only message handlers on the screen touch widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualkit.errors import QualkitError

Progress = Callable[[int, int], Any]


class Unavailable(QualkitError):
    """A feature whose core module or model is not installed."""


def check_transcripts(root: Path) -> str | None:
    """Ingest new or changed transcript files; returns a summary when something changed."""
    from qualkit.project import Project

    with Project.open(root) as project:
        # At 1,000,000 segments reading and hashing every file takes seconds of this process's
        # time while the coder moves: skip it when no file changed since the last check.
        report = project.ingest_if_changed()
    if report is None:
        return None
    changed = getattr(report, "added", None) or getattr(report, "updated", None)
    summary = report.summary() if hasattr(report, "summary") else None
    return summary if changed else None


# Segments embedded with the one on screen before its first suggestion: the coder reads on,
# so mostly the ones after it; the background embedding does the rest of the transcript.
WINDOW_BEFORE = 1
WINDOW_AFTER = 6


def segment_window(segments: Any, segment_id: int) -> list[int]:
    """Ids of the participant segments around ``segment_id`` in transcript order."""
    ordered = segments.sort_values(["turn", "position"])["segment_id"].astype(int).tolist()
    if segment_id not in ordered:
        return [segment_id]
    i = ordered.index(segment_id)
    return ordered[max(0, i - WINDOW_BEFORE) : i + WINDOW_AFTER + 1]


class SuggestionEngine:
    """Builds a qualkit.assist.suggest.Suggester (in a worker) and answers for one segment.

    With an EmbeddingService (the workbench's), the first answer embeds only the segment on
    screen, its neighbours and the coded examples, through the service, ahead of its
    background work; later answers rebuild the Suggester from the cache whenever the segment
    asked about was not embedded when it was built.
    """

    def __init__(self, root: Path, coder: str, service: Any = None) -> None:
        self.root = root
        self.coder = coder
        self.service = service
        self._lock = threading.Lock()
        self._suggester: Any = None
        self._project: Any = None
        self._stale = False

    def mark_stale(self) -> None:
        """Codings or the codebook changed: retrain before the next answer."""
        self._stale = True

    def suggest(
        self, segment_id: int, top_k: int, progress: Progress | None, cancel: Any
    ) -> list[Any]:
        try:
            from qualkit.assist.suggest import Suggester
        except ImportError as exc:
            raise Unavailable(f"suggestions unavailable: {exc}") from None
        with self._lock:
            if self._project is None:
                from qualkit.project import Project

                self._project = Project.open(self.root)
            current = self._suggester
            known = current is not None and current.ready(segment_id)
            # A partial table cannot simply retrain: a new coding may sit on a row it left
            # unembedded. Rebuilding reads the cache, so it costs little.
            partial = current is not None and current.table.ready is not None
            if not known or (self._stale and partial):
                transcript = self._project.segment(segment_id)["transcript"]
                scope = {transcript}
                if current is not None and current.transcripts is not None:
                    scope |= current.transcripts
                self._suggester = self._build(
                    Suggester, segment_id, transcript, scope, progress, cancel
                )
                self._stale = False
            elif self._stale:
                self._stale = False
                self._suggester.refresh()
            try:
                return self._suggester.suggest([segment_id], coder=self.coder, top_k=top_k)[0]
            except QualkitError:
                return []  # e.g. a segment added since the suggester was built

    def _build(
        self,
        suggester_class: Any,
        segment_id: int,
        transcript: str,
        scope: set[str],
        progress: Progress | None,
        cancel: Any,
    ) -> Any:
        """A Suggester for ``scope``: through the service (the window around the segment
        first), or, without one, the whole scope embedded here."""
        if self.service is None:
            return suggester_class(
                self._project,
                coder=self.coder,
                progress=progress,
                cancel=cancel,
                transcripts=scope,
            )
        from qualkit.assist.embed_service import ServiceEmbedder

        window = segment_window(self._project.segments(transcript), segment_id)
        with self.service.priority():
            return suggester_class(
                self._project,
                embedder=ServiceEmbedder(self.service, cancel),
                coder=self.coder,
                progress=progress,
                cancel=cancel,
                transcripts=scope,
                required=window,
            )

    def close(self) -> None:
        with self._lock:
            if self._project is not None:
                self._project.close()
                self._project = None
            self._suggester = None


def compute_topics(
    root: Path,
    progress: Progress | None,
    cancel: Any,
    uncoded: bool = False,
    coder: str | None = None,
) -> list[dict]:
    """Topics over the project's segments via qualkit.assist.topics, as plain dicts.

    Each dict: label (str), size (int), segment_ids (list[int]), terms (list[str]), groups,
    nearest_code and similarity.
    """
    try:
        from qualkit.assist.topics import compute_topics as core_compute_topics
    except ImportError:
        raise Unavailable("topics unavailable: qualkit.assist.topics is not installed") from None
    from qualkit.project import Project

    with Project.open(root) as project:
        result = core_compute_topics(
            project, progress=progress, cancel=cancel, uncoded=uncoded, coder=coder
        )
    topics = result.get("topics", []) if isinstance(result, dict) else list(result)
    return [_topic_dict(t) for t in topics]


def _topic_dict(topic: Any) -> dict:
    data = topic if isinstance(topic, dict) else vars(topic)
    words = [str(w) for w in data.get("terms") or []]
    if data.get("id") == -1:
        label = "(outliers: no clear topic)"
    else:
        label = ", ".join(words[:5]) or f"topic {data.get('id')}"  # the screen adds the code
    ids = [int(i) for i in data.get("segment_ids") or []]
    # Representative segments first, then the rest of the topic.
    first = [int(r["segment_id"]) for r in data.get("representatives") or []]
    ids = first + [i for i in ids if i not in set(first)]
    return {
        "groups": dict(data.get("groups") or {}),
        "nearest_code": data.get("nearest_code"),
        "similarity": data.get("similarity"),
        "id": data.get("id"),
        "label": label,
        "size": int(data.get("size") or len(ids)),
        "segment_ids": ids,
        "terms": words,
    }
