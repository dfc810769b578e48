"""Errors qualkit reports to people: each message is one clear line saying what and where."""


class QualkitError(Exception):
    """Base of every error shown to a user as is (the CLI prints it without a traceback)."""


class TranscriptError(QualkitError):
    """A transcript file cannot be read or understood; the message names the file and line."""


class CodebookError(QualkitError):
    """codebook.yaml is invalid or an operation on it is impossible; names file:line."""


class ProjectError(QualkitError):
    """The project folder, its database or a requested id is not usable."""


class HistoryError(ProjectError):
    """An undo or redo that is no longer possible; the message says why, and the action has
    left the history so the next undo or redo still works."""
