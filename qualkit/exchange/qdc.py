"""Import a REFI-QDA codebook (.qdc) into codebook.yaml; the export lives with the project's.

Codes already in the codebook (same name under the same parent, or the GUID an earlier
import gave them) are reused, so importing the same .qdc twice adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.exchange.import_codes import import_codes
from qualkit.exchange.qdpx_import import GUID_MEMORY_KEY, remembered_guids
from qualkit.exchange.refi_file import load_qdc

if TYPE_CHECKING:
    from qualkit.project import Project


@dataclass
class CodebookImportReport:
    file: str
    origin: str | None
    added: list[str]
    reused: int

    def summary(self) -> str:
        return (
            f"{self.file} ({self.origin or 'unknown program'}): {len(self.added)} code(s) "
            f"added, {self.reused} already in the codebook"
        )


def import_qdc(project: Project, path: Path) -> CodebookImportReport:
    """Add the .qdc's codes to the project's codebook (all of them, or none on an error)."""
    model = load_qdc(Path(path))
    book = project.codebook
    memory = remembered_guids(project)
    result = import_codes(book, model.codes, model.origin, memory["code"])
    book.save()
    for guid, code_id in result.ids.items():
        memory["code"].setdefault(code_id, guid)
    project.store.set_meta(GUID_MEMORY_KEY, json.dumps(memory, sort_keys=True))
    project.store.log_event(
        "system", "import-qdc", {"file": Path(path).name, "codes": result.added}
    )
    return CodebookImportReport(Path(path).name, model.origin, result.added, result.reused)
