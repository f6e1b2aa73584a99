"""Writing outputs: a reader sees the old file or the new one, never half of one (docs/output.md).

What is replaced, and how:

- A **regular file** (or a path not there yet) is written to a temporary file in the same
  folder, flushed to disk, then renamed over it: the rename is atomic.
- A **symbolic link** is followed: the file it points to is replaced the same way, and the
  link stays a link (a plan kept in a synced folder and linked from elsewhere stays shared).
- A **device, FIFO or other special file** (``/dev/null``, a named pipe, a terminal) and
  this process's own descriptors (``/dev/stdout``, ``/dev/fd/N``) are written in place, as
  ``cat > PATH`` would: they are never replaced by a regular file, and a write error there
  (``/dev/full``: no space left) is reported like any other.
- **Several outputs** are written all or none: every temporary file is written first, then
  they are renamed one after the other with SIGINT and SIGTERM held back. If a rename still
  fails part way, the files already replaced are put back from hard-link copies, and the
  message says so.
- Temporary files are removed on every way out, including Ctrl-C and SIGTERM (the command
  line turns SIGTERM into an exception, so these ``finally`` blocks run).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dosecal.cli.signals import raise_lost
from dosecal.errors import OutputError
from dosecal.words import Value, msg

#: The paths that name one of this process's open descriptors: written in place, so that
#: ``-o /dev/stdout`` goes where the shell sent the standard output (appending, as ``>>``
#: would, so that a redirection into a log keeps what the log had).
_OWN_DESCRIPTOR = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|thread-self|\d+)/fd/\d+)$")


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a short critical step (they arrive right after it).

    Used while a temporary file is created and its name recorded (so it cannot be lost) and
    while several outputs are renamed into place (so they are replaced all together).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@dataclass
class _Target:
    """One output being written: where the user said, where the bytes go, and the temporary files."""

    given: Path
    path: Path
    data: bytes
    in_place: bool
    tmp: Path | None = None
    backup: Path | None = None
    existed: bool = False
    replaced: bool = False


def _fail(path: Path, exc: OSError | str | Value) -> OutputError:
    value: Value = (exc.strerror or str(exc)) if isinstance(exc, OSError) else exc
    return OutputError(msg("error.output.path_cannot_write_value", path=str(path), value=value))


def _target(given: Path, data: bytes) -> _Target:
    """Decide how ``given`` is written: replaced (a regular file, a link's target) or in place."""
    absolute = os.path.abspath(given)  # noqa: PTH100 (lexical: resolve() would follow /dev/stdout)
    if _OWN_DESCRIPTOR.match(absolute):
        return _Target(given, given, data, in_place=True)
    try:
        info: os.stat_result | None = given.stat()  # follows links
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _fail(given, exc) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise _fail(given, msg("error.output.is_a_folder"))
    if info is not None and not stat.S_ISREG(info.st_mode):
        return _Target(given, given, data, in_place=True)
    # A link (or a chain of them) is replaced at the file it points to, even a missing one.
    return _Target(given, Path(os.path.realpath(given)), data, in_place=False, existed=info is not None)


def _stage(t: _Target) -> None:
    """Write ``t``'s bytes to a temporary file beside its destination, flushed to disk."""
    folder = t.path.parent
    try:
        info = t.path.stat() if t.existed else None
        with held_signals():
            fd, name = tempfile.mkstemp(prefix=f".{t.path.name}.", suffix=".tmp", dir=folder)
            t.tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(t.data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(name).chmod(info.st_mode & 0o7777 if info is not None else _umask_mode())
        if info is not None and getattr(os, "geteuid", lambda: -1)() == 0:  # root keeps a user's file theirs
            with contextlib.suppress(OSError):
                os.chown(name, info.st_uid, info.st_gid)
    except OSError as exc:
        raise _fail(t.given, exc) from None


def _write_in_place(t: _Target) -> None:
    """Write to a device, FIFO or descriptor as it is; an error such as ENOSPC is reported."""
    try:
        fd = os.open(t.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "wb") as handle:
            handle.write(t.data)
            handle.flush()
            with contextlib.suppress(OSError):  # devices and pipes cannot always be synced
                os.fsync(handle.fileno())
    except OSError as exc:
        raise _fail(t.given, exc) from None


def _commit(targets: Sequence[_Target], expect: bytes | None) -> None:
    """Rename every staged file into place, restoring the replaced ones if one rename fails."""
    for t in targets:
        if t.existed and t.tmp is not None:
            # A second name for the current file, so that it can be put back (best effort:
            # a file system without hard links still gets the rename, without the way back).
            backup = t.tmp.with_name(t.tmp.name.removesuffix(".tmp") + ".old")
            with contextlib.suppress(OSError):
                os.link(t.path, backup)
                t.backup = backup
    if expect is not None:
        _compare(targets[0], expect)
    failed: tuple[_Target, OSError] | None = None
    for t in targets:
        assert t.tmp is not None
        try:
            t.tmp.replace(t.path)
        except OSError as exc:
            failed = (t, exc)
            break
        t.tmp, t.replaced = None, True
    if failed is None:
        return
    lost = [str(t.given) for t in targets if t.replaced and not _restore(t)]
    bad, error = failed
    if lost:
        why = error.strerror or str(error)
        raise OutputError(
            msg("error.output.partly_replaced", path=str(bad.given), value=why, lost=", ".join(lost))
        )
    raise _fail(bad.given, error)


def _restore(t: _Target) -> bool:
    """Put back what ``t`` replaced; whether that worked."""
    try:
        if t.backup is not None:
            t.backup.replace(t.path)
            t.backup = None
        elif not t.existed:
            t.path.unlink()
        else:
            return False
    except OSError:
        return False
    return True


def _compare(t: _Target, expect: bytes) -> None:
    """Refuse to replace a file that changed since it was read (another program wrote it)."""
    try:
        now = t.path.read_bytes()
    except OSError as exc:
        raise _fail(t.given, exc) from None
    if now != expect:
        raise OutputError(msg("error.output.changed_meanwhile", path=str(t.given)))


def write_all(outputs: Sequence[tuple[Path, bytes]], *, expect: bytes | None = None) -> None:
    """Write every ``(path, data)``: all of them, or none replaced.

    Args:
        outputs: where to write what.
        expect: when given (one output only), the bytes the file must still hold just before
            it is replaced; used by ``dosecal adjust`` so that a change made meanwhile by
            another program is never overwritten.

    Raises:
        OutputError: naming the path and the reason; no output was replaced unless the
            message says otherwise.
    """
    targets = [_target(path, data) for path, data in outputs]
    replaced = [t for t in targets if not t.in_place]
    try:
        for t in replaced:
            _stage(t)
        for t in targets:
            if t.in_place:
                _write_in_place(t)
        if replaced:
            raise_lost()  # a Ctrl-C that came inside a finalizer still stops the command here
            with held_signals():
                _commit(replaced, expect)
    finally:
        # Every way out, an interruption included: no temporary file or copy stays behind.
        for t in replaced:
            for leftover in (t.tmp, t.backup):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        leftover.unlink()


def write_atomic(path: Path, data: bytes, *, expect: bytes | None = None) -> None:
    """Write ``data`` to ``path`` (see :func:`write_all`); an existing file keeps its permissions.

    Raises:
        OutputError: naming the path and the reason.
    """
    write_all([(path, data)], expect=expect)


#: How long ``dosecal adjust`` waits for another one to finish with the same plan file.
LOCK_TIMEOUT_SECONDS = 30.0


def _lock_fd(path: Path, deadline: float) -> int | None:
    """An open descriptor of the file ``path`` names now, exclusively locked; ``None`` if not a file."""
    import fcntl

    while True:
        try:
            flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(path, flags)
        except OSError:
            return None  # the reader reports a missing or unreadable file in its own words
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                return None
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OutputError(msg("error.output.busy", path=str(path))) from None
                    time.sleep(0.02)
            # The holder before us replaced the file (rename): lock the one the path names now.
            with contextlib.suppress(OSError):
                if os.path.samestat(os.fstat(fd), path.stat()):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` names (a link's target) while changing it.

    The lock is taken on the file itself (``flock``), never on a lock file that could be left
    behind; since a change replaces the file, a waiter checks after locking that the path
    still names the file it locked, and locks the new one if not. Where ``flock`` does not
    exist, the compare-before-replace of :func:`write_all` still refuses a lost change.

    Raises:
        OutputError: another process held the lock for ``timeout`` seconds (default
            :data:`LOCK_TIMEOUT_SECONDS`).
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:
        yield
        return
    wait = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
    fd = _lock_fd(Path(os.path.realpath(path)), time.monotonic() + wait)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)
