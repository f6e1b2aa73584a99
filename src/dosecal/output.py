"""Writing outputs atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dosecal.errors import OutputError
from dosecal.words import msg


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    An existing file keeps its permissions. On any failure the temporary file is removed and
    ``path`` is left as it was.

    Raises:
        OutputError: naming the path and the reason.
    """
    folder = path.parent if str(path.parent) else Path()
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else _umask_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(
            msg("error.output.path_cannot_write_value", path=str(path), value=exc.strerror or str(exc))
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            msg("error.output.path_cannot_write_value", path=str(path), value=exc.strerror or str(exc))
        ) from None
