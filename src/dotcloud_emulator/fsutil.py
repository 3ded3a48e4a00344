"""Replacing a file atomically: a reader (Docker, nginx, a running command) sees the old file or
the new one, never half of either, and a failed write leaves the old file in place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Make `path` hold `data` with permissions `mode`, flushed to disk before it appears."""
    with replacing(path) as temporary:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)


def copy_atomic(source: Path, target: Path) -> None:
    """Make `target` a copy of `source`, with its permissions and modification time."""
    with replacing(target) as temporary:
        shutil.copy2(source, temporary)


def link_atomic(existing: Path, target: Path) -> None:
    """Make `target` another name of `existing` (a hard link), replacing what `target` was.

    Raises OSError where a link cannot be made (another file system, a limit on links)."""
    if not target.exists() and not target.is_symlink():
        os.link(existing, target)  # nothing to replace: the new name appears whole
        return
    with replacing(target) as temporary:
        temporary.unlink()
        os.link(existing, temporary)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A new private file beside `path` to fill; it replaces `path` when the block succeeds and
    is removed when it fails. Beside, so the rename stays on one file system."""
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:  # name the file the caller writes, not a random temporary name
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
