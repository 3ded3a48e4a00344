"""A Heroku-style application (a `Procfile`, no `dotcloud.yml`) as the services of the build-file
model, so every command runs it as it runs a dotcloud.yml application.

As Heroku's Python buildpack of 2013 did: Python is detected from `requirements.txt` or `setup.py`
(its version from `runtime.txt`, Python 2.7 by default), the requirements are installed in a
virtualenv, and Django's `collectstatic --noinput` runs at build when the application is a Django
project. Each process type is a `python-worker` service running its command under Supervisor;
`web` also gets an HTTP port, `$PORT`, which the gateway routes to, as Heroku's router went
straight to the web dyno's `$PORT`. The add-ons of `app.json` are data services, and their URLs
(`DATABASE_URL`, …) are made from those services' variables. `.env` and `app.json`'s `env` are the
services' `environment`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from types import MappingProxyType

from dotcloud_emulator import catalogue, names
from dotcloud_emulator.buildfile.diagnostics import Reporter
from dotcloud_emulator.buildfile.model import Service
from dotcloud_emulator.buildfile.procfile import (
    ProcessType,
    Variable,
    parse_dotenv,
    parse_procfile,
    parse_runtime,
    truncated,
)
from dotcloud_emulator.buildfile.schema import MAX_INSTANCES
from dotcloud_emulator.catalogue.addons import Addon, addon_named
from dotcloud_emulator.errors import UsageError

PROCFILE = "Procfile"
APP_JSON = "app.json"
DOTENV = ".env"
RUNTIME_TXT = "runtime.txt"
REQUIREMENTS_TXT = "requirements.txt"
SETUP_PY = "setup.py"
# What the services are made from, besides requirements.txt: a save of one redeploys.
INPUTS = (PROCFILE, APP_JSON, DOTENV, RUNTIME_TXT, SETUP_PY)
# A few lines each; a file beyond this is not one of them.
MAX_FILE_BYTES = 256 * 1024
# Heroku's default Python in 2013 (2.7.3), on the Python 2 stack.
DEFAULT_PYTHON_VERSION = "v2.7"
WEB = "web"
WORKER_TYPE = "python-worker"
DJANGO_REQUIREMENT = re.compile(
    r"^[ \t]*django[ \t]*(?:[=<>!~;\[]|$)", re.IGNORECASE | re.MULTILINE
)
COLLECTSTATIC_FAILED = (
    "collectstatic failed: the application starts without its collected static files "
    "(run APP.web -- python manage.py collectstatic --noinput to see why)"
)


def is_procfile_application(appdir: Path) -> bool:
    return (appdir / PROCFILE).is_file() and not (appdir / "dotcloud.yml").exists()


def procfile_services(appdir: Path, root: Path, reporter: Reporter) -> tuple[Service, ...]:
    """The services of the application in `appdir`; every problem goes to `reporter`."""
    shown = {name: str(appdir / name) for name in (PROCFILE, APP_JSON, DOTENV, RUNTIME_TXT)}
    procfile_text = read_input(root, PROCFILE, shown[PROCFILE], reporter)
    if procfile_text is None:
        return ()
    processes = parse_procfile(procfile_text, shown[PROCFILE], reporter)
    python_version = detect_python(root, shown, reporter)
    addons, formation, app_env = read_app_json(root, shown[APP_JSON], reporter)
    data = data_services(addons)
    check_names(processes, data, shown[PROCFILE], reporter)
    dotenv = read_dotenv(root, shown[DOTENV], reporter)
    derived = derived_variables(addons)
    environment = {
        **{variable.name: variable.value for variable in dotenv if variable.name not in derived},
        **app_env,
    }
    for variable in dotenv:
        if variable.name in derived:
            reporter.add_in(
                shown[DOTENV],
                variable.line,
                1,
                "warning",
                f"{variable.name} is set by an add-on of app.json here: the .env value is not used",
            )
    if reporter.errors:
        return ()
    code = tuple(
        code_service(process, root, python_version, formation, environment, derived)
        for process in processes
    )
    return (*code, *data)


def read_input(root: Path, name: str, shown: str, reporter: Reporter) -> str | None:
    """The text of the application's file `name`, or None (missing, or an error reported)."""
    path = root / name
    if not path.is_file():
        return None
    if not path.resolve().is_relative_to(root):
        raise UsageError(
            f"{shown}: a symbolic link to a file outside the application directory; "
            "refusing to read it"
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            reporter.add_in(
                shown,
                1,
                1,
                "error",
                f"{size} bytes: {name} is a few lines of text "
                f"(at most {MAX_FILE_BYTES} bytes here)",
            )
            return None
        data = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror}") from exc
    return text_of(data, shown, reporter)


def text_of(data: bytes, shown: str, reporter: Reporter) -> str | None:
    """UTF-8 text without NUL bytes, else None with an error at the first bad byte."""
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start if nul < 0 else min(nul, exc.start)
        problem = "a NUL byte" if offset == nul else f"byte 0x{data[offset]:02x}, not UTF-8 text"
    else:
        if nul < 0:
            return text
        offset, problem = nul, "a NUL byte"
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    reporter.add_in(shown, line, column, "error", f"{problem}: {Path(shown).name} must be text")
    return None


def detect_python(root: Path, shown: dict[str, str], reporter: Reporter) -> str:
    if not (root / REQUIREMENTS_TXT).is_file() and not (root / SETUP_PY).is_file():
        reporter.add_in(
            shown[PROCFILE],
            1,
            1,
            "error",
            "no requirements.txt (or setup.py) beside the Procfile: a Python application is "
            "recognised by it, as on Heroku; list the application's packages there "
            "(Django==1.4.3)",
        )
    runtime = read_input(root, RUNTIME_TXT, shown[RUNTIME_TXT], reporter)
    if runtime is None:
        return DEFAULT_PYTHON_VERSION
    return parse_runtime(runtime, shown[RUNTIME_TXT], reporter) or DEFAULT_PYTHON_VERSION


def read_dotenv(root: Path, shown: str, reporter: Reporter) -> tuple[Variable, ...]:
    text = read_input(root, DOTENV, shown, reporter)
    return parse_dotenv(text, shown, reporter) if text is not None else ()


# --- app.json ------------------------------------------------------------------------------------


def read_app_json(
    root: Path, shown: str, reporter: Reporter
) -> tuple[list[Addon], dict[str, int], dict[str, str]]:
    """app.json's add-ons that run here, `formation` quantities and `env` values."""
    text = read_input(root, APP_JSON, shown, reporter)
    if text is None:
        return [], {}, {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        reporter.add_in(shown, exc.lineno, exc.colno, "error", f"not JSON: {exc.msg}")
        return [], {}, {}
    except RecursionError:
        reporter.add_in(shown, 1, 1, "error", "nested too deeply")
        return [], {}, {}
    if not isinstance(document, dict):
        reporter.add_in(shown, 1, 1, "error", "app.json must be a JSON object")
        return [], {}, {}
    return (
        addons_of(document.get("addons", []), text, shown, reporter),
        formation_of(document.get("formation", {}), text, shown, reporter),
        env_of(document.get("env", {}), text, shown, reporter),
    )


def position(text: str, word: str) -> tuple[int, int]:
    """Where `"word"` first appears in `text` (1, 1 when it does not)."""
    offset = text.find(json.dumps(word))
    if offset < 0:
        return 1, 1
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def addons_of(value: object, text: str, shown: str, reporter: Reporter) -> list[Addon]:
    if not isinstance(value, list):
        reporter.add_in(shown, *position(text, "addons"), "error", "addons must be a list")
        return []
    found: list[Addon] = []
    for entry in value:
        plan = entry.get("plan") if isinstance(entry, dict) else entry
        if not isinstance(plan, str):
            reporter.add_in(
                shown,
                *position(text, "addons"),
                "error",
                'each add-on is a name ("heroku-postgresql") or {"plan": NAME}',
            )
            continue
        addon = addon_named(plan)
        if addon is None:
            reporter.add_in(
                shown,
                *position(text, plan),
                "warning",
                f"add-on {names.printable(truncated(plan))} has no counterpart here and is left "
                "out (these run: heroku-postgresql, heroku-redis, redistogo, rediscloud, "
                "mongolab, mongohq)",
            )
        elif addon not in found:
            found.append(addon)
    return found


def formation_of(value: object, text: str, shown: str, reporter: Reporter) -> dict[str, int]:
    if not isinstance(value, dict):
        reporter.add_in(shown, *position(text, "formation"), "error", "formation must be an object")
        return {}
    quantities: dict[str, int] = {}
    for process, entry in value.items():
        quantity = entry.get("quantity", 1) if isinstance(entry, dict) else None
        if type(quantity) is not int or not 1 <= quantity <= MAX_INSTANCES:
            reporter.add_in(
                shown,
                *position(text, process),
                "error",
                f"formation of {names.printable(truncated(process))}: quantity must be a whole "
                f"number from 1 to {MAX_INSTANCES}",
            )
            continue
        quantities[process] = quantity
    return quantities


def env_of(value: object, text: str, shown: str, reporter: Reporter) -> dict[str, str]:
    """app.json's `env`: `"KEY": "value"` or `"KEY": {"value": …}` (a required variable with no
    value is left for `env set`)."""
    if not isinstance(value, dict):
        reporter.add_in(shown, *position(text, "env"), "error", "env must be an object")
        return {}
    env: dict[str, str] = {}
    for key, entry in value.items():
        if not names.VARIABLE.is_valid(key):
            reporter.add_in(
                shown,
                *position(text, key),
                "error",
                f"invalid variable name {names.printable(truncated(key))}: "
                f"{names.VARIABLE.explanation}",
            )
            continue
        found = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(found, str | int | float) and not isinstance(found, bool):
            env[key] = str(found)
    return env


# --- the services --------------------------------------------------------------------------------


def data_services(addons: list[Addon]) -> list[Service]:
    services: dict[str, Service] = {}
    for addon in addons:
        services.setdefault(addon.service, Service(name=addon.service, type=addon.service_type))
    return list(services.values())


def check_names(
    processes: tuple[ProcessType, ...], data: list[Service], shown: str, reporter: Reporter
) -> None:
    taken = {service.name for service in data}
    for process in processes:
        if process.name in taken:
            reporter.add_in(
                shown,
                process.line,
                1,
                "error",
                f"process type {process.name} has the name of the {process.name} service of "
                "app.json's add-ons; rename the process type",
            )


def derived_variables(addons: list[Addon]) -> dict[str, str]:
    """Each add-on's variables over its data service's DOTCLOUD_* variables."""
    derived: dict[str, str] = {}
    for addon in addons:
        data_port = catalogue.data_port(addon.service_type)
        if data_port is None:
            continue
        prefix = f"DOTCLOUD_{addon.service.upper()}_{data_port.infix}"
        fields = {part: f"${{{prefix}_{part}}}" for part in ("HOST", "PORT", "LOGIN", "PASSWORD")}
        for name, template in addon.variables:
            derived.setdefault(name, _substitute(template, fields))
    return derived


def _substitute(template: str, fields: dict[str, str]) -> str:
    for part, reference in fields.items():
        template = template.replace(f"${{{part}}}", reference)
    return template


def code_service(
    process: ProcessType,
    root: Path,
    python_version: str,
    formation: dict[str, int],
    environment: dict[str, str],
    derived: dict[str, str],
) -> Service:
    web = process.name == WEB
    own = {"PORT": f"${{PORT_{WEB.upper()}}}"} if web else {}
    return Service(
        name=process.name,
        type=WORKER_TYPE,
        instances=formation.get(process.name, 1),
        config=MappingProxyType({"python_version": python_version}),
        environment=MappingProxyType(dict(environment)),
        ports=MappingProxyType({WEB: "http"} if web else {}),
        process=process.command,
        postbuild=build_steps(root, environment) if web else None,
        derived_environment=MappingProxyType({**own, **derived}),
    )


def build_steps(root: Path, environment: dict[str, str]) -> str | None:
    """What Heroku's buildpack ran after pip: `pip install .` for a setup.py without
    requirements.txt, then `collectstatic --noinput` for a Django project (a failure is said,
    and the build goes on, as there)."""
    steps = []
    if not (root / REQUIREMENTS_TXT).is_file():
        steps.append("pip install .")
    manage = django_manage_py(root)
    if manage is not None and not environment.get("DISABLE_COLLECTSTATIC"):
        folder = shlex.quote(manage.parent.as_posix())
        steps.append(
            f"(cd {folder} && python manage.py collectstatic --noinput)"
            f" || echo '{COLLECTSTATIC_FAILED}' >&2"
        )
    return " && ".join(steps) if steps else None


def django_manage_py(root: Path) -> Path | None:
    """manage.py at the top or one folder down, when requirements.txt names Django."""
    try:
        requirements = (root / REQUIREMENTS_TXT).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not DJANGO_REQUIREMENT.search(requirements[:MAX_FILE_BYTES]):
        return None
    candidates = [Path("manage.py"), *sorted(p.relative_to(root) for p in root.glob("*/manage.py"))]
    return next((path for path in candidates if (root / path).is_file()), None)
