"""Codings and projects in and out: the codings CSV, REFI-QDA (.qdpx/.qdc), the long codings
export and the code matrix; qualkit.exchange and qualkit.reports do the work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import ProjectError
from qualkit.project_parts.base import ProjectPart

if TYPE_CHECKING:
    import pandas as pd


class ProjectExchange(ProjectPart):
    """Imports and exports of codings, codebooks and whole projects."""

    def import_codings(self, path: Path, coder: str) -> int:
        """CSV with `segment_id,code` (optional `memo`): all rows valid, or nothing is stored."""
        from qualkit.exchange.codings_csv import read_codings_csv
        from qualkit.ingest.participants import decode_table

        coder = self._check_coder(coder)
        shown = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ProjectError(f"{shown}: cannot read: {exc.strerror}") from None
        rows = read_codings_csv(decode_table(data, shown), shown, data)
        book = self.codebook
        known = {r.segment_id: r for r in self.store.segment_rows()}
        planned: list[dict[str, Any]] = []
        seen: set[tuple[int, str]] = set()
        for line, segment_id, code_id, memo in rows:
            if segment_id not in known:
                raise ProjectError(f"{shown}: line {line}: unknown segment_id {segment_id}")
            reason = self.not_codable_because(known[segment_id])
            if reason is not None:  # the same rule as `qualkit code`
                raise ProjectError(f"{shown}: line {line}: {reason}")
            if code_id not in book:
                raise ProjectError(
                    f"{shown}: line {line}: unknown code id '{code_id}' (not in codebook.yaml)"
                )
            if (segment_id, code_id) in seen:
                continue
            seen.add((segment_id, code_id))
            planned.append(
                {
                    "segment_id": segment_id,
                    "code_id": code_id,
                    "memo": memo or None,
                    "source": "import",
                }
            )
        if not planned:
            return 0
        # Rows the coder already has are skipped inside the store's write transaction, so a
        # second process of the same coder cannot make the import fail half-way.
        return len(self.store.insert_codings(planned, coder, action="import")[1])

    def import_qdpx(self, path: Path) -> Any:
        """Import a .qdpx (or bare .qde) from NVivo, ATLAS.ti, MAXQDA, QualCoder...; returns an
        ImportReport (its .summary() says what came in and what could not)."""
        from qualkit.exchange.qdpx_import import import_qdpx

        return import_qdpx(self, Path(path))

    def import_qdc(self, path: Path) -> Any:
        """Import a REFI-QDA codebook (.qdc) into codebook.yaml."""
        from qualkit.exchange.qdc import import_qdc

        return import_qdc(self, Path(path))

    def export_qdpx(self, path: Path) -> Any:
        """Write the project as a validated .qdpx; returns an ExportReport."""
        from qualkit.exchange.qdpx_export import export_qdpx

        return export_qdpx(self, Path(path))

    def export_qdc(self, path: Path) -> int:
        """Write the codebook as a validated .qdc; returns the number of codes."""
        from qualkit.exchange.qdpx_export import export_qdc

        return export_qdc(self, Path(path))

    def export_codings(self, path: Path, coder: str | None = None) -> int:
        """Long format: one row per coding with transcript, participant, attributes, code,
        the quote and memos; pseudonymised with pseudonyms.yaml."""
        from qualkit.reports.codings import write_codings_csv

        return write_codings_csv(self, Path(path), coder)

    def codings_long(self, coder: str | None = None) -> pd.DataFrame:
        """One row per coding with its participant's attributes: the codings CSV's layout."""
        from qualkit.exchange.codings_csv import codings_long

        return codings_long(self, coder)

    def matrix(
        self,
        by: str | list[str] = "group",
        measure: str = "participants",
        layer: str | None = None,
        level: str = "code",
    ) -> pd.DataFrame:
        """Codes × participant attribute values (see qualkit.reports.matrix.build_matrix)."""
        from qualkit.reports.matrix import build_matrix

        return build_matrix(self, by=by, measure=measure, layer=layer, level=level)
