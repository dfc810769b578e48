"""The `qualkit` entry point: run the app, and turn every failure into one line on stderr.

QualkitError (bad input, a project problem) exits 1; a usage error (unknown command, missing
or bad option, bad argument) exits 2; Ctrl-C exits 130. No traceback reaches the user for any
of them, whichever typer or click release is installed.
"""

from __future__ import annotations

import sys
from typing import Any

from qualkit.cli.app import app, err
from qualkit.errors import QualkitError

# Importing the command modules adds their commands to the app, in the order `--help` lists them.
# isort: off
from qualkit.cli import project, coding, codebook, codings_csv, exchange  # noqa: F401
from qualkit.cli import assist, agreement, reports, restore  # noqa: F401
from qualkit.cli import done, merge, transcripts  # noqa: F401
# isort: on


def usage_error(exc: BaseException) -> tuple[str, int] | None:
    """(one-line message, exit status) for a click-style usage error, else None.

    Recognised by shape, not by class: typer 0.29 raises exceptions from its own copy of click,
    which are not instances of `click.ClickException`.
    """
    format_message = getattr(exc, "format_message", None)
    exit_code = getattr(exc, "exit_code", None)
    if not callable(format_message) or not isinstance(exit_code, int):
        return None
    message = " ".join(str(format_message()).split()) or type(exc).__name__
    ctx: Any = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None)
    if command and exit_code == 2:
        message = f"{command}: {message} (see '{command} --help')"
    return message, exit_code


def main(argv: list[str] | None = None) -> None:
    try:
        result = app(args=argv, prog_name="qualkit", standalone_mode=False)
    except QualkitError as exc:
        err(" ".join(str(exc).splitlines()))
        sys.exit(1)
    except KeyboardInterrupt:
        err("interrupted; work already acknowledged is saved")
        sys.exit(130)
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show what it offers
            print(exc.format_message())  # type: ignore[attr-defined]
            sys.exit(2)
        usage = usage_error(exc)
        if usage is not None:
            err(usage[0])
            sys.exit(usage[1])
        exit_code = getattr(exc, "exit_code", None)  # typer.Exit
        if isinstance(exit_code, int):
            sys.exit(exit_code)
        if type(exc).__name__ == "Abort":
            err("aborted")
            sys.exit(1)
        raise
    # standalone_mode=False returns the exit status of ctx.exit(n) (e.g. help on a bare group)
    if result == 130:  # typer answers Ctrl-C with Exit(130), returned in this mode
        err("interrupted; work already acknowledged is saved")
        sys.exit(130)
    if isinstance(result, int) and result:
        sys.exit(result)


if __name__ == "__main__":
    main()
