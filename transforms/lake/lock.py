"""The lake's exclusive lock: one Vigie run writes the lake at a time."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from transforms.lake.layout import LOCK_FILE, private_dir, private_umask


class LakeBusyError(RuntimeError):
    """Another Vigie run holds the lake's lock."""


@contextlib.contextmanager
def lake_lock(lake: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lake's exclusive lock; wait up to `wait_seconds`, then stop with a clear error.

    The holder is about to write the lake, so its files are made owner-only from here on.
    """
    private_umask()
    private_dir(lake)
    fd = os.open(lake / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                    raise LakeBusyError(
                        f"the lake {lake} is in use by {holder}; wait for it to finish "
                        "(or pass a longer wait) and run again"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"vigie pid {os.getpid()}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
