"""Atomic replacement: the old file or the new one, never a part, and no temporary left over."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dotcloud_emulator.fsutil import copy_atomic, replacing, write_atomic


def test_write_atomic_replaces_the_content_and_sets_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old")
    write_atomic(path, b"new", 0o600)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_failed_replacement_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    path.write_text("old")

    def fail_halfway() -> None:
        with replacing(path) as temporary:
            temporary.write_text("half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fail_halfway()
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["state.json"]


def test_copy_atomic_keeps_the_mode_and_mtime(tmp_path: Path) -> None:
    source = tmp_path / "run.sh"
    source.write_text("#!/bin/sh\n")
    source.chmod(0o755)
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    target = tmp_path / "copy.sh"
    copy_atomic(source, target)
    assert target.read_text() == "#!/bin/sh\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert target.stat().st_mtime_ns == 1_000_000_000
