"""qualkit: qualitative interview analysis workbench (offline)."""

__version__ = "0.1.0"
