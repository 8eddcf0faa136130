"""Output files: checking where outputs go before any work, and writing
them whole or not at all.

- Output paths are checked first: two outputs on one path, an output on an
  input, or on something that is not a regular file (a device, a folder)
  are usage errors; a folder that cannot be written is an OutputFailed.
  A link is followed: its target is updated.
- A set of outputs (the map, its GeoJSON and CSV) is written to temporary
  files beside them, then renamed into place one after another with
  Ctrl-C and SIGTERM held back, under a lock on their folders, so that two
  builds never mix their sets and an interrupted build leaves the old set
  or the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from geomap.errors import Interrupted, OutputFailed, UsageError, os_problem
from geomap.input_files import SUPPORTED_SUFFIXES, is_inside, is_own_output

HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def target_of(path: Path) -> Path:
    """Where writing `path` lands: a link's target, else the path itself (absolute)."""
    return Path(os.path.realpath(path))


def check_outputs(outputs: dict[str, Path], inputs: list[Path]) -> None:
    """Refuse outputs that clash with each other or an input, or that are not
    regular files (UsageError), and folders that cannot be written
    (OutputFailed): before any work is done. `outputs` maps each option to
    its path; `inputs` are the input files and folders."""
    seen: dict[Path, str] = {}
    input_files = {target_of(path) for path in inputs if not path.is_dir()}
    input_folders = [os.path.realpath(path) for path in inputs if path.is_dir()]
    for option, path in outputs.items():
        target = target_of(path)
        if target in seen:
            raise UsageError(f"{option} {path} is the same file as {seen[target]}; give each "
                             "output its own path", option=option)
        seen[target] = option
        in_a_folder = any(is_inside(str(target), folder) for folder in input_folders)
        if target in input_files or (in_a_folder and target.suffix.lower() in SUPPORTED_SUFFIXES
                                     and target.exists() and not is_own_output(target)):
            raise UsageError(f"{path} is an input; writing it would destroy it", option=option)
        if os.path.lexists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            raise UsageError(f"{path} exists and is not a regular file; name a file",
                             option=option)
        _check_writable(target.parent)


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".geomap-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputFailed(f"{folder}: cannot write there: {os_problem(exc)}; nothing was "
                           "written") from None


@contextmanager
def _locked(folders: list[Path], say: Callable[[str], None]) -> Iterator[None]:
    """An exclusive lock on each folder (in a fixed order), so that geomap runs
    writing outputs there take turns; a run that has to wait says so."""
    with contextlib.ExitStack() as stack:
        for folder in sorted(set(folders)):
            fd = os.open(folder, os.O_RDONLY)
            stack.callback(os.close, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say(f"waiting for another geomap run writing to {folder}")
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends; one that came meanwhile
    then interrupts, and says the outputs had been written. (Handlers, not
    a signal mask: a mask holds only this thread, and Python runs handlers
    here whichever thread the signal reached.)"""
    received: list[int] = []
    previous = {number: signal.signal(number, lambda got, _frame: received.append(got))
                for number in HELD_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received:
        raise Interrupted("interrupted; the outputs had been written")


def _temporary_beside(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_set(contents: dict[Path, str], say: Callable[[str], None]) -> None:
    """Each text written to its path, all or none: OutputFailed (naming the
    path and the error) leaves the previous files as they were."""
    targets = {target_of(path): (path, text) for path, text in contents.items()}
    temporaries: dict[Path, str] = {}
    with _locked([target.parent for target in targets], say):
        try:
            for target, (path, text) in targets.items():
                fd, temporaries[target] = _temporary_beside(target)
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                    out.write(text)
                # mkstemp creates the file private; give it the usual umask-based mode.
                os.chmod(temporaries[target], 0o666 & ~_umask())
            with _signals_held():
                for target, temporary in temporaries.items():
                    os.replace(temporary, target)
        except OSError as exc:
            path = targets[target][0]
            raise OutputFailed(f"{path}: {os_problem(exc)}; no output file was changed") from None
        finally:
            for temporary in temporaries.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)


@contextmanager
def atomic_writer(path: Path, say: Callable[[str], None]) -> Iterator[TextIO]:
    """A file to write that appears at `path` only when complete: written
    beside it under a temporary name, then renamed. Never a half-written file."""
    target = target_of(path)
    fd, temporary = _temporary_beside(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
        os.chmod(temporary, 0o666 & ~_umask())
        with _locked([target.parent], say), _signals_held():
            os.replace(temporary, target)
    except OSError as exc:
        raise OutputFailed(f"{path}: {os_problem(exc)}; the file was not changed") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


@contextmanager
def atomic_directory(path: Path, pattern: str) -> Iterator[Path]:
    """A folder to fill that replaces `path` only when complete. A folder
    already at `path` is replaced only if it holds nothing but files matching
    `pattern` (an earlier run's output), so no other file is ever deleted."""
    if path.exists():
        strangers = ([p.name for p in path.iterdir() if not p.match(pattern)] if path.is_dir()
                     else [""])
        if strangers:
            raise UsageError(f"{path} exists and holds other things than {pattern} files; "
                             "name a new or empty folder")
    _check_writable(path.parent)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_umask())
        with _signals_held():
            if path.exists():
                old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.",
                                            suffix=".old"))
                os.replace(path, old / path.name)
                os.replace(temporary, path)
                shutil.rmtree(old)
            else:
                os.replace(temporary, path)
    except OSError as exc:
        raise OutputFailed(f"{path}: {os_problem(exc)}") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
