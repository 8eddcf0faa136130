"""The errors that end a command. Each says what went wrong in one line;
cli.EXIT_CODES maps each to the command's exit code."""

from __future__ import annotations


def os_problem(exc: OSError) -> str:
    """An OS error as a message reads it: "permission denied", "no space left on device"."""
    return (exc.strerror or str(exc)).lower()


class GeomapError(Exception):
    """A run cannot go on, or ends without a full result."""


class UsageError(GeomapError):
    """An option's value, or a combination of options, cannot work."""

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option  # the option at fault, when one is


class StrictStop(GeomapError):
    """--strict: an input failed, so nothing is to be written."""


class NothingRead(GeomapError):
    """No document could be read: nothing was written."""


class InputsFailed(GeomapError):
    """Some inputs failed; the outputs were written from the rest."""


class WorkerDied(GeomapError):
    """A worker process ended without answering (killed, out of memory)."""


class SchedulerUnreachable(GeomapError):
    """The Dask scheduler given with --scheduler could not be reached."""


class UnknownName(GeomapError):
    """`gazetteer lookup`: the gazetteer has no place of that name."""


class OutputFailed(GeomapError):
    """An output could not be written (an unwritable folder, a full disk);
    the previous outputs are as they were."""


class Interrupted(GeomapError):
    """Ctrl-C or SIGTERM; the message says whether the outputs were written."""
