"""Errors qualkit reports to people: each message is one clear line saying what and where."""


class QualkitError(Exception):
    """Base of every error shown to a user as is (the CLI prints it without a traceback)."""


class TranscriptError(QualkitError):
    """A transcript file cannot be read or understood; the message names the file and line.

    The parts are kept apart, so a caller can name the file its own way (ingest names it from
    the project root) without taking the message apart again.
    """

    def __init__(self, message: str, *, reason: str | None = None, line: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.line = line

    def located(self, where: str) -> "TranscriptError":
        """The same error, its file named as `where`."""
        if self.reason is None:
            return TranscriptError(f"{where}: {self}")
        at = f"{where}: line {self.line}: " if self.line is not None else f"{where}: "
        return TranscriptError(at + self.reason, reason=self.reason, line=self.line)


class CodebookError(QualkitError):
    """codebook.yaml is invalid or an operation on it is impossible; names file:line."""


class ProjectError(QualkitError):
    """The project folder, its database or a requested id is not usable."""


class ReportError(QualkitError):
    """An export cannot be made as asked (layer, attribute, template, pseudonyms.yaml...)."""
