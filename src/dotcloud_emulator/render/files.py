"""What renderers return, and the one writer that puts it on disk.

The writer keeps unchanged files untouched (same content, same mtime), so Docker's layer cache and
Compose's change detection see only real changes.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.fsutil import copy_atomic, link_atomic, write_atomic

IGNORE_FILE = ".dotcloudignore"
# What a push never uploaded, plus what the emulator itself writes into the application directory.
SNAPSHOT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    "*.pyc",
    "__pycache__",
    ".venv",
    "/.dotcloud/build",
    "/.dotcloud/gateway",
    "/.dotcloud/healer",
    "/.dotcloud/dev",
    "/docker-compose.yml",
)


@dataclass(frozen=True)
class File:
    path: PurePosixPath
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class CodeSnapshot:
    """A copy of the application tree at `dest`, as a push uploaded it.

    `include` limits the copy to one subtree of `source` (kept at the same relative place);
    `exclude` adds gitignore-like patterns to the defaults and to `.dotcloudignore`.
    """

    source: Path
    dest: PurePosixPath
    exclude: tuple[str, ...] = ()
    include: PurePosixPath | None = None


Rendered = File | CodeSnapshot

# A rendered file this large (the CA bundle) is stored once for every build context holding it.
SHARED_FILE_SIZE = 16 * 1024


class SharedCopies:
    """What one write already put on disk, so the build contexts that hold the same content
    share one file (hard links) instead of one copy each: every code service's snapshot of the
    application tree, every code stack's CA bundle.

    Safe because the writer never changes a file in place: a change replaces the name it
    writes (a new file), and the other names keep the old content until they are written too.
    """

    def __init__(self) -> None:
        self.copies: dict[Path, Path] = {}  # a source file -> its first copy
        self.contents: dict[tuple[bytes, int], Path] = {}  # (content, mode) -> its first file

    def copy_file(self, source: Path, target: Path, info: os.stat_result) -> None:
        first = self.copies.setdefault(source, target)
        if first == target or not _same_file(first, info) or not _linked(first, target):
            copy_atomic(source, target)

    def write(self, path: Path, data: bytes, mode: int) -> None:
        if len(data) < SHARED_FILE_SIZE:
            write_atomic(path, data, mode)
            return
        first = self.contents.setdefault((data, mode), path)
        if first == path or not _linked(first, path):
            write_atomic(path, data, mode)


def _linked(existing: Path, target: Path) -> bool:
    try:
        link_atomic(existing, target)
    except OSError:  # another file system, a file system without links: a copy then
        return False
    return True


def write_files(
    outdir: Path, items: Iterable[Rendered], *, prune: Iterable[PurePosixPath] = ()
) -> None:
    """Write `items` under `outdir`; remove what is no longer rendered under the `prune` folders."""
    rendered = list(items)
    for item in rendered:
        _check_relative(item.path if isinstance(item, File) else item.dest)
    # Every check before the first write: a refused output leaves the disk as it was.
    for folder in (*_folders_written(rendered), *prune):
        check_no_symlink(outdir, folder)
    shared = SharedCopies()
    for item in rendered:
        if isinstance(item, File):
            write_if_changed(outdir / item.path, item.content, item.mode, shared)
        else:
            sync_snapshot(item, outdir / item.dest, shared)
    kept_files = {item.path for item in rendered if isinstance(item, File)}
    kept_trees = [item.dest for item in rendered if isinstance(item, CodeSnapshot)]
    for folder in prune:
        _remove_stale(outdir, folder, kept_files, kept_trees)


def write_if_changed(
    path: Path, content: str, mode: int = 0o644, shared: SharedCopies | None = None
) -> bool:
    """Write atomically, only when the content differs. True when the file was (re)written."""
    data = content.encode("utf-8")
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        if shared is not None and len(data) >= SHARED_FILE_SIZE:
            shared.contents.setdefault((data, mode), path)
        info = path.stat()
        if stat.S_IMODE(info.st_mode) == mode:
            return False
        if info.st_nlink == 1:
            path.chmod(mode)
            return False
        # Shared with another build context: a chmod would change that one's file too.
    path.parent.mkdir(parents=True, exist_ok=True)
    (shared or SharedCopies()).write(path, data, mode)
    return True


def _folders_written(rendered: list[Rendered]) -> list[PurePosixPath]:
    """The folders the writer writes into or deletes from: each file's, each snapshot's own."""
    return [item.path.parent if isinstance(item, File) else item.dest for item in rendered]


def check_no_symlink(outdir: Path, folder: PurePosixPath) -> None:
    """Refuse a symbolic link on the way from `outdir` to `outdir/folder`.

    An application tree (a clone, an archive) can hold `.dotcloud/build -> ~`; writing or
    pruning through it would replace or delete files outside the output. `outdir` itself is
    the user's choice and may be a link. A link in place of a file is never followed: the
    atomic write replaces the link itself.
    """
    path = outdir
    for part in folder.parts:
        path = path / part
        if path.is_symlink():
            raise UsageError(
                f"{path}: a symbolic link where generate writes its output; refusing to write "
                "through it (remove the link)"
            )


def _check_relative(path: PurePosixPath) -> None:
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"rendered path must be relative and inside the output: {path}")


def _remove_stale(
    outdir: Path,
    folder: PurePosixPath,
    kept_files: set[PurePosixPath],
    kept_trees: list[PurePosixPath],
) -> None:
    root = outdir / folder
    if not root.is_dir():
        return
    trees = set(kept_trees)
    visited = []
    for directory, dirnames, filenames in os.walk(root):
        relative_dir = PurePosixPath(Path(directory).relative_to(outdir).as_posix())
        links = [name for name in dirnames if (Path(directory) / name).is_symlink()]
        # A code snapshot keeps itself in step (sync_snapshot): no need to walk its files.
        dirnames[:] = [name for name in dirnames if relative_dir / name not in trees]
        visited.append((Path(directory), relative_dir, filenames + links))
    for path, relative_dir, names in reversed(visited):  # children before their parents
        for name in names:
            if relative_dir / name not in kept_files:
                (path / name).unlink()
        if path != root and not any(path.iterdir()):
            path.rmdir()


# --- the code snapshot --------------------------------------------------------------------------


def sync_snapshot(snapshot: CodeSnapshot, dest: Path, shared: SharedCopies | None = None) -> None:
    """Make `dest` a copy of the snapshot's files: copy what changed, delete what went away."""
    if not snapshot.source.is_dir():
        raise UserError(f"{snapshot.source}: not a directory, cannot copy the application code")
    dest.mkdir(parents=True, exist_ok=True)
    shared = shared or SharedCopies()
    wanted: set[PurePosixPath] = set()
    folders = set(_prefixes(snapshot.include)) if snapshot.include else set()
    for relative in snapshot_entries(
        snapshot.source, snapshot_patterns(snapshot), snapshot.include
    ):
        wanted.add(relative)
        if relative in folders:
            # The approot and its parents are folders in the copy even when the application
            # reaches them through a link: the files below them go into the copy, never through
            # a link to wherever it points.
            mode = (snapshot.source / relative).stat().st_mode
            _make_folder(dest / relative, stat.S_IMODE(mode) | stat.S_IRWXU)
        else:
            _copy_entry(snapshot.source / relative, dest / relative, shared)
    _delete_unwanted(dest, wanted)


def snapshot_patterns(snapshot: CodeSnapshot) -> tuple[str, ...]:
    """What the snapshot leaves out: the defaults, `.dotcloudignore`, the snapshot's own."""
    return (*SNAPSHOT_EXCLUDES, *read_ignore_file(snapshot.source), *snapshot.exclude)


def _prefixes(path: PurePosixPath) -> list[PurePosixPath]:
    return [PurePosixPath(*path.parts[:depth]) for depth in range(1, len(path.parts) + 1)]


def read_ignore_file(source: Path) -> list[str]:
    path = source / IGNORE_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def is_excluded(relative: PurePosixPath, is_dir: bool, patterns: Iterable[str]) -> bool:
    """gitignore-like: `name` at any depth, `/path` or `a/b` from the root, `dir/` only dirs."""
    for pattern in patterns:
        if pattern.endswith("/"):
            if not is_dir:
                continue
            pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatchcase(relative.as_posix(), pattern.lstrip("/")):
                return True
        elif fnmatch.fnmatchcase(relative.name, pattern):
            return True
    return False


def snapshot_entries(
    source: Path, patterns: tuple[str, ...], include: PurePosixPath | None = None
) -> Iterator[PurePosixPath]:
    """Relative paths of the directories, files and symlinks to copy, parents before children."""
    start = source / include if include else source
    if include:
        yield from _prefixes(include)
    if not start.is_dir():
        return
    for directory, dirnames, filenames in os.walk(start):
        relative_dir = PurePosixPath(Path(directory).relative_to(source).as_posix())
        kept_dirs = []
        for name in sorted(dirnames):
            relative = relative_dir / name
            if is_excluded(relative, True, patterns):
                continue
            yield relative
            if not (Path(directory) / name).is_symlink():
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            relative = relative_dir / name
            if not is_excluded(relative, False, patterns):
                yield relative


def _copy_entry(source: Path, target: Path, shared: SharedCopies) -> None:
    info = source.lstat()
    if stat.S_ISLNK(info.st_mode):
        _copy_symlink(source, target)
    elif stat.S_ISDIR(info.st_mode):
        _make_folder(target, stat.S_IMODE(info.st_mode) | stat.S_IRWXU)
    elif stat.S_ISREG(info.st_mode):
        _copy_file(source, target, info, shared)


def _make_folder(target: Path, mode: int) -> None:
    """A real folder at `target`: a link or a file there is replaced, never followed."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()
    target.mkdir(exist_ok=True)
    target.chmod(mode)


def _copy_symlink(source: Path, target: Path) -> None:
    link = os.readlink(source)
    if target.is_symlink() and os.readlink(target) == link:
        return
    _remove(target)
    os.symlink(link, target)


def _copy_file(source: Path, target: Path, info: os.stat_result, shared: SharedCopies) -> None:
    if target.is_file() and not target.is_symlink() and _same_file(target, info):
        shared.copies.setdefault(source, target)
        return
    _remove(target)
    shared.copy_file(source, target, info)


def _same_file(copy: Path, info: os.stat_result) -> bool:
    """The copy still matches the source file `info` describes (a copy keeps size, mtime and
    mode: `copy_atomic` copies them)."""
    current = copy.stat()
    return (current.st_size, current.st_mtime_ns, current.st_mode) == (
        info.st_size,
        info.st_mtime_ns,
        info.st_mode,
    )


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _delete_unwanted(dest: Path, wanted: set[PurePosixPath]) -> None:
    for directory, dirnames, filenames in os.walk(dest, topdown=False):
        relative_dir = PurePosixPath(Path(directory).relative_to(dest).as_posix())
        for name in filenames + dirnames:
            relative = relative_dir / name
            if relative not in wanted:
                _remove(Path(directory) / name)
