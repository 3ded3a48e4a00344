"""The writers of an export for another engine: what `render/kubernetes` (a kustomize base)
and `render/heroku_export` (a Heroku-style tree) return goes to disk here, as `generate` writes
the Compose project.

The Kubernetes export holds each instance's environment under `secrets/`: the folder is created
private (0700, files 0600), and an export inside the application directory is refused unless
`.dotcloudignore` leaves its `secrets/` out of the code snapshot that goes into the images. The
Procfile export goes into a new or empty folder outside the application.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.generate import is_within
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import PRIVATE_DIR_MODE, AppState
from dotcloud_emulator.render.files import (
    IGNORE_FILE,
    SNAPSHOT_EXCLUDES,
    File,
    check_no_symlink,
    is_excluded,
    read_ignore_file,
    write_files,
)
from dotcloud_emulator.render.heroku_export import render_procfile_export
from dotcloud_emulator.render.kubernetes import KubernetesOptions, render_kubernetes
from dotcloud_emulator.render.kubernetes.export import INGRESS_FILE, SECRETS_DIR, SERVICES_DIR

# Top-level files an export has or not (an application without HTTP has no Ingress).
OPTIONAL_FILES = (INGRESS_FILE,)


@dataclass(frozen=True)
class WrittenExport:
    directory: Path
    manifests: tuple[PurePosixPath, ...]  # the files meant to be committed
    secrets: tuple[PurePosixPath, ...]  # the files the .gitignore keeps out


def write_kubernetes(
    application: Application,
    state: AppState,
    settings: Settings,
    outdir: Path,
    options: KubernetesOptions,
) -> WrittenExport:
    check_export_output(application, outdir)
    files = render_kubernetes(application, state, settings, options)
    try:
        make_private_folder(outdir, SECRETS_DIR)
        write_files(outdir, files, prune=(SERVICES_DIR, SECRETS_DIR))
        remove_unrendered(outdir, files, OPTIONAL_FILES)
    except OSError as exc:
        raise UsageError(f"{exc.filename or outdir}: cannot write there ({exc.strerror})") from exc
    secrets = tuple(file.path for file in files if is_secret(file))
    manifests = tuple(file.path for file in files if not is_secret(file))
    return WrittenExport(outdir, manifests, secrets)


def remove_unrendered(outdir: Path, files: list[File], optional: tuple[PurePosixPath, ...]) -> None:
    """An earlier export's file this one does not write would mislead a reader of the folder."""
    rendered = {file.path for file in files}
    for path in optional:
        if path not in rendered and (outdir / path).is_file():
            (outdir / path).unlink()


def is_secret(file: File) -> bool:
    return file.path.parts[0] == SECRETS_DIR.as_posix()


def check_export_output(application: Application, outdir: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir}: not a directory; the export goes into a folder")
    if outdir.is_dir() and not os.access(outdir, os.W_OK | os.X_OK):
        raise UsageError(f"{outdir}: cannot write there (permission denied)")
    check_secrets_kept_out_of_images(application, outdir)
    check_no_symlink(outdir, SECRETS_DIR)


def check_secrets_kept_out_of_images(application: Application, outdir: Path) -> None:
    """A code service's image holds a snapshot of the whole application directory: an export
    inside it is fine only when the snapshot leaves its secrets/ out."""
    root = application.root.resolve()
    secrets = (outdir / SECRETS_DIR).resolve()
    if not is_within(secrets, root):
        return
    relative = PurePosixPath(secrets.relative_to(root).as_posix())
    patterns = (*SNAPSHOT_EXCLUDES, *read_ignore_file(root))
    folders = [
        PurePosixPath(*relative.parts[:depth]) for depth in range(1, len(relative.parts) + 1)
    ]
    if any(is_excluded(folder, True, patterns) for folder in folders):
        return
    raise UsageError(
        f"{outdir}: inside the application directory, whose code goes into the images, and "
        f"{IGNORE_FILE} does not leave out /{relative}/ (the passwords): add that line to "
        f"{root / IGNORE_FILE}, or export to a folder outside the application"
    )


def make_private_folder(outdir: Path, folder: PurePosixPath) -> None:
    path = outdir / folder
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR_MODE)


# --- export procfile -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenProcfileExport:
    directory: Path
    files: tuple[PurePosixPath, ...]  # the top-level files written (the code folders besides)
    folders: tuple[PurePosixPath, ...]  # each code service's copy
    notes: tuple[str, ...]


def write_procfile_export(application: Application, outdir: Path) -> WrittenProcfileExport:
    """Write the Heroku-style tree of `application` into `outdir`, a new or empty folder outside
    the application directory (see `render/heroku_export`)."""
    check_procfile_output(application, outdir)
    export = render_procfile_export(application)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        write_files(outdir, export.files)
    except OSError as exc:
        raise UsageError(f"{exc.filename or outdir}: cannot write there ({exc.strerror})") from exc
    files = tuple(item.path for item in export.files if isinstance(item, File))
    folders = tuple(item.dest for item in export.files if not isinstance(item, File))
    return WrittenProcfileExport(outdir, files, folders, export.notes)


def check_procfile_output(application: Application, outdir: Path) -> None:
    """A new folder, or an empty one, neither inside the application nor holding it."""
    if outdir.is_symlink():
        raise UsageError(f"{outdir}: a symbolic link; the export goes into a folder of its own")
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir}: not a directory; the export goes into a folder")
    root = application.root.resolve()
    target = outdir.resolve()
    if is_within(target, root):
        raise UsageError(
            f"{outdir}: inside the application directory {root}; export to a folder beside it"
        )
    if outdir.is_dir() and any(outdir.iterdir()):
        raise UsageError(f"{outdir}: not empty; export into a new or empty folder")
