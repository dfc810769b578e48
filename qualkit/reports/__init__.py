"""Reports built from a project's codings: code matrices, quote books and their templates."""
