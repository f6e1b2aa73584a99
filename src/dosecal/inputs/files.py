"""Input files: read whole, only regular files, never more than :data:`MAX_FILE_BYTES` (docs/limits.md).

Plan and definition files are read through :func:`read_capped`, so that a FIFO, a device or a
file that grows while it is read cannot block dosecal or exhaust its memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dosecal.words import msg

#: The largest plan or definition file read, in bytes (the built-in definitions are < 20 KiB).
MAX_FILE_BYTES = 1024 * 1024


def read_capped(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, refusing anything else or anything too large.

    A FIFO is refused without being opened for reading (which would block until a writer
    comes), a device such as /dev/zero without being read (it never ends); a file is read
    with a cap, so that one growing while it is read still cannot exhaust memory.

    Raises:
        OSError: the file cannot be opened or read.
        ValueError: it is not a regular file, or it is larger than :data:`MAX_FILE_BYTES`.
    """
    info = path.stat()  # follows a symlink to what it points at
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(msg("error.limits.not_regular_file"))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the stat
            raise ValueError(msg("error.limits.not_regular_file"))
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(msg("error.limits.file_too_large", maximum=MAX_FILE_BYTES // 1024))
    return data
