"""What every part of the Project façade works on: the folder, the store and the settings, and
the checks ``Project`` itself defines (declared here so each part type-checks on its own)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.settings import Settings
from qualkit.store import SegmentRow, Store

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook


class ProjectPart:
    """A mixin of :class:`~qualkit.project.Project`: ``self`` is the project."""

    root: Path
    store: Store
    settings: Settings
    _codebook: Codebook | None

    if TYPE_CHECKING:
        # Defined by Project or by a sibling part; declared for the type checker only.
        @property
        def codebook(self) -> Codebook: ...
        def codes_missing_from_codebook(self) -> dict[str, int]: ...
        def codebook_summary(self) -> dict[str, Any]: ...
        def _missing_codes_or_none(self) -> dict[str, int]: ...
        def _check_coder(self, coder: str) -> str: ...
        def is_coding_unit(self, row: SegmentRow) -> bool: ...
        def not_codable_because(self, row: SegmentRow) -> str | None: ...
        def _codable_segment(self, segment_id: int) -> SegmentRow: ...
        def transcript_ids(self) -> list[str]: ...
        def storage_warnings(self) -> list[str]: ...
        def progress(self, coder: str | None = None) -> pd.DataFrame: ...
