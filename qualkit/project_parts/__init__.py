"""The parts of the :class:`~qualkit.project.Project` façade, one concern each (codebook edits,
DataFrame views, memos and marks, progress and status, imports and exports); import
``Project`` from :mod:`qualkit.project`, never a part."""
