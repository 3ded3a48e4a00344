"""`export procfile`: a dotCloud application as a Heroku-style tree (pure: model → files).

Each `python` / `python-worker` service's approot is copied into a folder of its name. The
`Procfile` has one process type per program: the `python` service is `web`, uWSGI serving its
`wsgi.py` on `$PORT` as the platform's uWSGI did behind nginx (`/static` served by uWSGI itself),
and each program of a service (`process`, `processes`, its approot's `supervisord.conf`) is a
process type. Every line starts with the shim `dotcloud_environment.py`, which writes the
platform's `~/environment.json` from the add-ons' URLs under the original service names, then
runs the command from the service's folder. `app.json` declares an add-on per data service that
has one, and the formation. What cannot be carried over is said in `DOTCLOUD-EXPORT.md`.
"""

from __future__ import annotations

import configparser
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue.addons import ADDONS
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.render.files import CodeSnapshot, File, Rendered
from dotcloud_emulator.render.templating import shellquote

SHIM = "dotcloud_environment.py"
SHIM_SOURCE = Path(__file__).parent / "templates" / "export" / f"{SHIM}.in"
SERVICES_FILE = "dotcloud_services.json"
NOTES_FILE = "DOTCLOUD-EXPORT.md"
# Python 2: the newest 2.0.x, as the python stack builds it (2.0.18 is the first for GCC 10).
UWSGI_REQUIREMENT = "uWSGI==2.0.31"
RUNTIMES = {"2": "python-2.7.18", "3": "python-3.11.2"}
# The add-on standing in for each data service type (catalogue/addons.py): the first by name.
ADDON_OF_TYPE = {"postgresql": "heroku-postgresql", "redis": "heroku-redis", "mongodb": "mongolab"}
# Heroku's process type names, as Procfile applications here take them.
PROCESS_TYPE = re.compile(r"[a-z0-9_]{1,16}")
PYTHON_TYPES = ("python", "python-worker")
CODE_FILES_NOT_CARRIED = ("nginx.conf", "uwsgi.conf")


@dataclass(frozen=True)
class ProcfileExport:
    files: tuple[Rendered, ...]
    notes: tuple[str, ...]  # what was not carried over, as DOTCLOUD-EXPORT.md lists it


def render_procfile_export(application: Application) -> ProcfileExport:
    code = [service for service in application.services if service.type in PYTHON_TYPES]
    check_code_types(application)
    webs = [service for service in code if service.type == "python"]
    if len(webs) > 1:
        raise UsageError(
            f"services {', '.join(s.name for s in webs)}: a Heroku-style application has one web "
            "process type; export an application with one python service"
        )
    if not code:
        raise UsageError(f"{application.buildfile}: no python or python-worker service to export")
    notes: list[str] = []
    runtime = runtime_of(code)
    processes: dict[str, str] = {}
    formation: dict[str, int] = {}
    shim_code: dict[str, dict[str, object]] = {}
    snapshots: list[Rendered] = []
    for service in code:
        root = approot_of(application, service)
        commands = service_commands(service, root)
        hook = postinstall_of(service, root)
        for index, (process, command) in enumerate(commands.items()):
            if not PROCESS_TYPE.fullmatch(process) or process in processes:
                raise UsageError(
                    f"service {service.name}: program {process} cannot be a Procfile process "
                    "type (lowercase letters, digits and _, up to 16 characters, each once)"
                )
            flag = " --postinstall" if hook and index == 0 else ""
            processes[process] = f"python {SHIM} {service.name}{flag} {shellquote(command)}"
            formation[process] = service.instances
        shim_code[service.name] = {
            "folder": service.name,
            "environment": dict(service.environment),
            **({"postinstall": hook} if hook else {}),
        }
        snapshots.append(CodeSnapshot(source=root, dest=PurePosixPath(service.name)))
        notes.extend(code_notes(service, root, hook))
    addons, data = data_services(application, notes)
    requirements = requirements_of(application, code, bool(webs))
    services_doc = {
        "application": application.name,
        "code": shim_code,
        "data": data,
    }
    app_json = {
        "name": application.name,
        "addons": addons,
        "formation": {name: {"quantity": quantity} for name, quantity in formation.items()},
    }
    files: list[Rendered] = [
        File(PurePosixPath("Procfile"), procfile_text(processes)),
        File(PurePosixPath("requirements.txt"), "".join(f"{line}\n" for line in requirements)),
        File(PurePosixPath("runtime.txt"), f"{runtime}\n"),
        File(PurePosixPath("app.json"), json.dumps(app_json, indent=2, sort_keys=True) + "\n"),
        File(PurePosixPath(SHIM), SHIM_SOURCE.read_text(encoding="utf-8")),
        File(
            PurePosixPath(SERVICES_FILE),
            json.dumps(services_doc, indent=2, sort_keys=True) + "\n",
        ),
        File(PurePosixPath(NOTES_FILE), notes_text(application, notes)),
        *snapshots,
    ]
    return ProcfileExport(tuple(files), tuple(notes))


def check_code_types(application: Application) -> None:
    """Code of another type has no counterpart in a Python Procfile application: refused."""
    others = [
        service
        for service in application.services
        if service.type not in PYTHON_TYPES and catalogue.SERVICE_TYPES[service.type].kind != "data"
    ]
    if others:
        listing = ", ".join(f"{service.name} ({service.type})" for service in others)
        raise UsageError(
            f"cannot export {listing}: export procfile carries python and python-worker "
            "services over (and the data services); remove or port the others first"
        )


def approot_of(application: Application, service: Service) -> Path:
    root = application.root.resolve()
    approot = (application.root / service.approot).resolve()
    if not approot.is_relative_to(root):
        raise UsageError(
            f"service {service.name}: approot {service.approot} leads outside the application "
            "directory (a symbolic link?); refusing to copy it"
        )
    if not approot.is_dir():
        raise UsageError(f"service {service.name}: approot {service.approot} is not a directory")
    return approot


def runtime_of(code: list[Service]) -> str:
    majors = {str(service.config.get("python_version") or "v2.6")[1:2] for service in code}
    if len(majors) > 1:
        raise UsageError(
            "the services use Python 2 and Python 3: a Procfile application has one runtime.txt"
        )
    return RUNTIMES.get(majors.pop(), RUNTIMES["2"])


def uwsgi_command(service: Service, root: Path) -> str:
    """uWSGI as the platform ran it (module wsgi:application, lazy apps), on Heroku's $PORT."""
    config = service.config
    words = [
        "exec uwsgi --http-socket :$PORT --master",
        f"--processes {config.get('uwsgi_processes', 4)}",
        "--pythonpath . --module wsgi:application --need-app --lazy-apps --die-on-term",
        f"--buffer-size {config.get('uwsgi_buffer_size', 4096)}",
    ]
    if (root / "static").is_dir():
        words.append("--static-map /static=static")
    if config.get("uwsgi_harakiri"):
        words.append(f"--harakiri {config['uwsgi_harakiri']}")
    if config.get("uwsgi_enable_threads"):
        words.append("--enable-threads")
    if config.get("uwsgi_single_interpreter"):
        words.append("--single-interpreter")
    words.append("--memory-report" if config.get("uwsgi_memory_report") else "--disable-logging")
    return " ".join(words)


def service_commands(service: Service, root: Path) -> dict[str, str]:
    """Process type → command: `web` for the python service (uWSGI), then each program of the
    service (`process`, `processes`, the approot's supervisord.conf), which ran beside uWSGI on
    a python service and alone on a python-worker."""
    web = {"web": uwsgi_command(service, root)} if service.type == "python" else {}
    programs = dict(service.processes)
    if service.process:
        programs = {service.name: service.process}
    programs.update(supervisord_programs(service, root))
    if not programs and not web:
        raise UsageError(
            f"service {service.name}: a python-worker with no process, processes or "
            "supervisord.conf has nothing to run"
        )
    if len(programs) == 1 and not web:
        return {service.name: next(iter(programs.values()))}
    return {**web, **{f"{service.name}_{name}": command for name, command in programs.items()}}


def supervisord_programs(service: Service, root: Path) -> dict[str, str]:
    path = root / "supervisord.conf"
    if not path.is_file() or not path.resolve().is_relative_to(root):
        return {}
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        raise UsageError(f"{path}: not a supervisord.conf ({exc})") from exc
    programs = {}
    for section in parser.sections():
        if section.startswith("program:") and parser.has_option(section, "command"):
            command = parser.get(section, "command").strip()
            if parser.has_option(section, "directory"):
                command = f"cd {shellquote(parser.get(section, 'directory'))} && exec {command}"
            programs[section.partition(":")[2].strip()] = command
    return programs


def postinstall_of(service: Service, root: Path) -> str:
    if service.postinstall:
        return service.postinstall
    hook = root / "postinstall"
    return "./postinstall" if hook.is_file() and os.access(hook, os.X_OK) else ""


def code_notes(service: Service, root: Path, hook: str) -> list[str]:
    notes = []
    for name in CODE_FILES_NOT_CARRIED:
        if (root / name).is_file():
            notes.append(
                f"{service.name}/{name}: nginx in front of uWSGI is not carried over (uWSGI "
                "answers on $PORT and serves /static itself); its directives are not applied"
            )
    if hook:
        notes.append(
            f"{service.name}: postinstall ({hook}) runs before the process type "
            "at each start of a dyno, from the shim (Heroku had no such hook)"
        )
    for key in ("prebuild", "postbuild", "buildscript"):
        if getattr(service, key):
            notes.append(f"{service.name}: {key} is not carried over (run it by hand)")
    if service.systempackages:
        notes.append(
            f"{service.name}: systempackages ({', '.join(service.systempackages)}) are not "
            "carried over: the Heroku stack has its own packages"
        )
    extra_ports = [name for name in service.ports if name != "www"]
    if extra_ports:
        notes.append(f"{service.name}: ports {', '.join(extra_ports)} are not carried over")
    if str(service.config.get("python_version") or "v2.6") == "v2.6":
        notes.append(f"{service.name}: Python 2.6 runs as Python 2.7")
    return notes


def data_services(
    application: Application, notes: list[str]
) -> tuple[list[str], list[dict[str, object]]]:
    """app.json's add-ons, and the shim's mapping of their variables to the services' names."""
    addons: list[str] = []
    data: list[dict[str, object]] = []
    for service in application.services:
        if service.type in PYTHON_TYPES:
            continue
        if service.approot != "." and (application.root / service.approot).is_dir():
            notes.append(
                f"{service.name}: its approot {service.approot} (the service's own configuration "
                "files) is not carried over: the add-on is configured by its provider"
            )
        data_port = catalogue.data_port(service.type)
        addon_name = ADDON_OF_TYPE.get(service.type)
        if addon_name is None or data_port is None:
            notes.append(
                f"{service.name} ({service.type}): no add-on stands in for it here, not carried "
                "over"
                + (" (ClearDB was MySQL's add-on on Heroku)" if "mysql" in service.type else "")
            )
            continue
        if addon_name in addons:
            raise UsageError(
                f"service {service.name}: a second {service.type} service; the exported "
                f"application has one {addon_name} add-on"
            )
        addons.append(addon_name)
        addon = ADDONS[addon_name]
        if addon.service != service.name:
            notes.append(
                f"{service.name} ({service.type}): the {addon_name} add-on; run here, its service "
                f"is named {addon.service} (the code still sees DOTCLOUD_{service.name.upper()}_*)"
            )
        data.append(
            {
                "name": service.name,
                "infix": data_port.infix,
                "scheme": data_port.scheme,
                "port": data_port.port,
                "variable": addon.variables[-1][0],
            }
        )
        if service.instances > 1:
            notes.append(f"{service.name}: {service.instances} instances become one add-on")
    return addons, data


def requirements_of(application: Application, code: list[Service], web: bool) -> list[str]:
    """The union of the services' requirements.txt and `requirements:`, then uWSGI."""
    lines: list[str] = []
    for service in code:
        root = approot_of(application, service)
        path = root / "requirements.txt"
        if path.is_file() and path.resolve().is_relative_to(root):
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                line = raw.split(" #", 1)[0].strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith(("-r ", "-c ")):
                    flag, _, name = line.partition(" ")
                    line = f"{flag} {service.name}/{name.strip()}"
                lines.append(line)
        lines.extend(service.requirements)
    if web and not any(line.lower().startswith("uwsgi") for line in lines):
        lines.append(UWSGI_REQUIREMENT)
    return list(dict.fromkeys(lines))


def procfile_text(processes: dict[str, str]) -> str:
    return "".join(f"{name}: {command}\n" for name, command in processes.items())


def notes_text(application: Application, notes: list[str]) -> str:
    listed = "".join(f"- {note}\n" for note in notes) or "- nothing: every service was carried.\n"
    return (
        f"# {application.name}, exported from {application.buildfile.name}\n\n"
        "Written by `dotcloud-emulator export procfile`. Each python service's approot is the "
        "folder of its name; `Procfile` runs each program through `dotcloud_environment.py`, "
        "which writes `~/environment.json` and `~/environment.yml` / `.yaml` (mode 0600) with the "
        "services' original DOTCLOUD_* variables, made from the add-ons' URLs "
        f"(`{SERVICES_FILE}` says which), then starts the program from its folder.\n\n"
        "## What changed, and what is not carried over\n\n"
        f"{listed}"
        "- the platform's HTTP variables (DOTCLOUD_*_HTTP_URL, the SSH ones): the public "
        "address is the new platform's\n"
        "- code that reads /home/dotcloud/... by its full path finds the files only where "
        "HOME is /home/dotcloud (here); on Heroku, HOME is /app\n"
    )
