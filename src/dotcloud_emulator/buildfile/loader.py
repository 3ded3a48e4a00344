"""Read `dotcloud.yml` from an application directory into a validated `Application`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dotcloud_emulator.buildfile import gemfile, heroku
from dotcloud_emulator.buildfile.diagnostics import BuildFileError, Diagnostic, Reporter
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.buildfile.validate import validate_services
from dotcloud_emulator.buildfile.yamltree import parse_yaml
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.errors import UsageError

BUILDFILE_NAME = "dotcloud.yml"


@dataclass(frozen=True)
class LoadResult:
    application: Application
    warnings: tuple[Diagnostic, ...]
    notes: tuple[Diagnostic, ...] = ()


def has_buildfile(directory: Path) -> bool:
    """`directory` holds an application: a dotcloud.yml, or a Procfile (a Heroku-style one)."""
    return (directory / BUILDFILE_NAME).is_file() or heroku.is_procfile_application(directory)


def find_buildfile(appdir: Path) -> Path:
    """`appdir/dotcloud.yml` (or the Procfile of a Heroku-style application), spelled as the
    user gave `appdir` so messages show their path."""
    if heroku.is_procfile_application(appdir):
        return appdir / heroku.PROCFILE
    path = appdir / BUILDFILE_NAME
    if not path.is_file():
        raise UsageError(f"no {BUILDFILE_NAME} (or Procfile) in {appdir}")
    if not path.resolve().is_relative_to(appdir.resolve()):
        # A cloned tree can point it at /etc/passwd: its text would show up in the messages.
        raise UsageError(
            f"{path}: a symbolic link to a file outside the application directory; "
            "refusing to read it"
        )
    return path


def load_application(appdir: Path, name: str, *, strict: bool = False) -> LoadResult:
    """The application in `appdir`; `BuildFileError` lists every problem (strict: warnings too)."""
    path = find_buildfile(appdir)
    root = appdir.resolve()
    if path.name == heroku.PROCFILE:
        return load_procfile_application(appdir, root, name, strict=strict)
    reporter = Reporter(str(path))
    text = read_text(path, reporter)
    document = parse_yaml(text, reporter) if text is not None else None
    services = validate_services(document, root, reporter) if text is not None else ()
    # Services sharing an approot share its Gemfile: its diagnostics are said once.
    gem_diagnostics = tuple(
        dict.fromkeys(
            found for service in services for found in gemfile_diagnostics(appdir, root, service)
        )
    )
    warnings = tuple(
        sorted((*reporter.warnings, *(d for d in gem_diagnostics if d.severity == "warning")))
    )
    notes = tuple(sorted((*reporter.notes, *(d for d in gem_diagnostics if d.severity == "note"))))
    if strict:
        warnings = tuple(found.as_error() for found in warnings)
    if reporter.errors or (strict and warnings):
        raise BuildFileError(str(path), (*reporter.errors, *warnings))
    application = Application(name, root, root / BUILDFILE_NAME, services)
    return LoadResult(application, warnings, notes)


def load_procfile_application(appdir: Path, root: Path, name: str, *, strict: bool) -> LoadResult:
    """A Heroku-style application: its Procfile, app.json and .env as services."""
    path = appdir / heroku.PROCFILE
    reporter = Reporter(str(path))
    services = heroku.procfile_services(appdir, root, reporter)
    warnings = reporter.warnings
    if strict:
        warnings = tuple(found.as_error() for found in warnings)
    if reporter.errors or (strict and warnings):
        raise BuildFileError(str(path), (*reporter.errors, *warnings))
    application = Application(name, root, root / heroku.PROCFILE, services)
    return LoadResult(application, warnings, reporter.notes)


def read_text(path: Path, reporter: Reporter) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = byte_position(data, exc.start)
        reporter.add(
            line, column, "error", f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
        )
        return None


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def gemfile_diagnostics(appdir: Path, root: Path, service: Service) -> list[Diagnostic]:
    """What a ruby service's Gemfile gets here (its gems from Debian), at the Gemfile's lines."""
    service_type = SERVICE_TYPES.get(service.type)
    stack = service_type.stacks[0] if service_type is not None and service_type.stacks else None
    if stack is None or stack.ruby is None:
        return []
    folder = root / service.approot
    shown = appdir / service.approot  # as the user spelled the application's directory
    texts = {}
    for name in (gemfile.GEMFILE, gemfile.GEMFILE_LOCK):
        path = folder / name
        if not path.is_file() or not path.resolve().is_relative_to(root):
            texts[name] = ""
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            texts[name] = ""
    return [
        Diagnostic(
            str(shown / found.file).removeprefix("./"),
            found.line,
            found.column,
            "warning" if found.severity == "warning" else "note",
            found.message,
        )
        for found in gemfile.findings(
            texts[gemfile.GEMFILE],
            texts[gemfile.GEMFILE_LOCK],
            stack.ruby,
            gemfile.excluded_groups(service),
        )
    ]
