"""The codebook: its codes (schema), reading codebook.yaml (parse), editing it without losing
what people wrote (document) and the `Codebook` that ties them together (model)."""

from qualkit.codebook.model import TEMPLATE, Codebook
from qualkit.codebook.schema import FIELDS, NAMED_COLORS, Code, slugify

__all__ = ["FIELDS", "NAMED_COLORS", "TEMPLATE", "Code", "Codebook", "slugify"]
