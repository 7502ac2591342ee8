"""Writing outputs safely: atomically (temp file in the same folder, then os.replace), never
through a symlink, FIFO or device, and never inside the scanned tree unless the user forces it."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from auditor.errors import OutputError


def check_destination(path: Path, forbidden_root: Path | None = None, allow_inside: bool = False) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot check the output path: {exc.strerror}") from exc
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OutputError(f"{path}: output path is a symlink; refusing to write through it")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{path}: output path exists and is not a regular file; choose another path")
    if forbidden_root is not None and not allow_inside:
        parent = path.absolute().parent.resolve()
        target = parent / path.name
        try:
            target.relative_to(forbidden_root.resolve())
        except ValueError:
            return
        raise OutputError(
            f"{path}: output would be written inside the scanned tree {forbidden_root}; write it elsewhere "
            f"(e.g. a folder outside the repository) or pass --output-in-target to allow it"
        )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    check_destination(path)
    parent = path.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file (after symlinks). For code that follows a
    reference to another file (a requirements include, a dataset card): the file was not vetted by
    discovery, and opening a FIFO would block the scan forever. The open itself is non-blocking, the
    type is checked on the descriptor (no race), then the descriptor is made blocking again."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
