"""What a workbench window treats as somebody else's change (sessions.OutsideChanges)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from second_project import make_second_project, unit_ids

from qualkit.project import Project
from qualkit.sessions import OutsideChanges


def test_only_logged_changes_from_elsewhere_count(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "s")
    with Project.open(root) as window, Project.open(root) as elsewhere:
        units = unit_ids(window)
        changes = OutsideChanges(window)
        assert not changes.moved()
        window.code(units[0], "referral", "ana")  # the window's own coding
        assert not changes.moved()
        # the embedding cache and the suggestion log, written on another connection
        elsewhere.store.put_embeddings("test-model", {"h": np.ones(4, dtype="float32")})
        elsewhere.store.record_suggestion("ana", units[0], "waiting", 0.4, 1, False)
        assert not changes.moved()
        elsewhere.code(units[1], "support", "ben")  # somebody else's coding
        assert changes.moved()
        assert not changes.moved()  # once
        elsewhere.store.set_reviewed([units[2]], "ben", True)
        assert changes.moved()
        elsewhere.undo("ben")
        assert changes.moved()
