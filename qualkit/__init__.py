"""qualkit: qualitative interview analysis workbench (offline)."""

__version__ = "0.1.0"

__all__ = ["Project", "__version__"]


def __getattr__(name: str):  # lazy: `import qualkit` stays fast
    if name == "Project":
        from qualkit.project import Project

        return Project
    raise AttributeError(name)
