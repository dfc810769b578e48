"""Exports for the report author: theme × group matrices, quote banks and the codings CSV,
pseudonymised, rendered from jinja2 templates a project can override.

Heavy or optional libraries (jinja2, openpyxl, python-docx) are imported inside the functions
that write those formats, so importing this package stays cheap.
"""

from __future__ import annotations

from qualkit.reports.layers import choose_layer
from qualkit.reports.matrix import MEASURES, build_matrix

__all__ = ["MEASURES", "build_matrix", "choose_layer"]
