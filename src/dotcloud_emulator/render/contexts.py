"""Build contexts: `.dotcloud/build/<svc>/` with a Dockerfile, the platform's files and the code.

Every Dockerfile starts with a `stack` stage whose first lines are the same for every service of a
type, so the layer cache shares it. Code services with a virtualenv install their dependencies in a
`build` stage that alone receives the CA bundle; the final stage copies the virtualenv and the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.buildfile.servicetypes import SERVICE_TYPES, DataPort
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import custom_port_numbers
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.files import CodeSnapshot, File, Rendered
from dotcloud_emulator.render.templating import render_template, shellquote

EXECUTABLE = 0o755
PROGRAM_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
CURRENT = f"{naming.HOME}/current"
DATA_DIR = f"{naming.HOME}/data"
RUNTIME_DIR = "/var/dotcloud"  # sockets and pid files of the unprivileged servers
# Folders the unprivileged programs write to (nginx and supervisord logs, the uWSGI socket).
CODE_OWNED_DIRS = ("/var/log/supervisor", "/var/log/nginx", RUNTIME_DIR, DATA_DIR)
CUSTOM_DEFAULT_PROCESS = "~/run"


@dataclass(frozen=True)
class CodeStack:
    packages: tuple[str, ...]
    virtualenv: bool
    nginx: bool
    uwsgi: bool


CODE_STACKS = {
    "python": CodeStack(
        (
            "ca-certificates",
            "nginx-light",
            "python3",
            "python3-venv",
            "supervisor",
            "uwsgi",
            "uwsgi-plugin-python3",
        ),
        virtualenv=True,
        nginx=True,
        uwsgi=True,
    ),
    "python-worker": CodeStack(
        ("ca-certificates", "python3", "python3-venv", "supervisor"),
        virtualenv=True,
        nginx=False,
        uwsgi=False,
    ),
    "static": CodeStack(("nginx-light", "supervisor"), virtualenv=False, nginx=True, uwsgi=False),
    # The buildscript installs what the service needs; `systempackages` adds Debian packages.
    "custom": CodeStack(
        ("ca-certificates", "supervisor"), virtualenv=False, nginx=False, uwsgi=False
    ),
}


@dataclass(frozen=True)
class DataStack:
    """A data type's packages, its templates folder and what its server needs from the image."""

    packages: tuple[str, ...]
    templates: str
    owned_dirs: tuple[str, ...] = (DATA_DIR,)
    preinstall: str = ""  # shell run before apt-get, in the same layer
    config_files: tuple[str, ...] = ()  # templates of the folder, copied to CONFIG_FILES_DIR
    stopsignal: str = ""


CONFIG_FILES_DIR = "/etc/dotcloud"
# Debian's postgresql-common creates a cluster at install time unless told not to; ours is made
# by dotcloud-init in the data volume.
NO_DEBIAN_CLUSTER = (
    "install -d /etc/postgresql-common/createcluster.d"
    " && echo 'create_main_cluster = false'"
    " > /etc/postgresql-common/createcluster.d/dotcloud.conf"
)
DATA_STACKS = {
    "redis": DataStack(("redis-server", "redis-tools"), "redis"),
    "postgresql": DataStack(
        ("postgresql-15",),
        "postgresql",
        owned_dirs=(DATA_DIR, RUNTIME_DIR, "/run/postgresql"),
        preinstall=NO_DEBIAN_CLUSTER,
        config_files=("pg_hba.conf", "pg_ident.conf"),
        stopsignal="SIGINT",  # fast shutdown: SIGTERM waits for every client to disconnect
    ),
    "mysql": DataStack(
        ("mariadb-server",),
        "mysql",
        owned_dirs=(DATA_DIR, RUNTIME_DIR),
        config_files=("dotcloud.cnf",),
    ),
}
# Where each config file goes when it is not CONFIG_FILES_DIR.
CONFIG_FILE_TARGETS = {"dotcloud.cnf": "/etc/mysql/mariadb.conf.d/99-dotcloud.cnf"}


@dataclass(frozen=True)
class Program:
    name: str
    command: str
    directory: str
    stopsignal: str = ""
    # Seconds a start must last to count: uWSGI whose app fails to load dies after ~1 s, and
    # must reach FATAL (so readiness fails fast) instead of being restarted forever.
    startsecs: int = 1


def is_renderable(service: Service) -> bool:
    return service.type in CODE_STACKS or service.type in DATA_STACKS


def check_renderable(service: Service) -> None:
    if not is_renderable(service):
        runnable = ", ".join([*CODE_STACKS, *DATA_STACKS])
        raise UsageError(
            f'service {service.name}: type "{service.type}" is not runnable yet in this version '
            f"of dotcloud-emulator (runnable: {runnable})"
        )


def render_build_context(
    application: Application,
    service: Service,
    settings: Settings,
    *,
    ca_bundle: str = "",
    has_requirements_file: bool = False,
) -> list[Rendered]:
    """One service's build context; `has_requirements_file`: the approot has requirements.txt."""
    check_renderable(service)
    if service.type in DATA_STACKS:
        return _data_context(application, service, settings)
    return _code_context(application, service, settings, ca_bundle, has_requirements_file)


def approot(service: Service) -> PurePosixPath:
    path = PurePosixPath(service.approot or ".")
    if path.is_absolute() or ".." in path.parts:
        raise UsageError(
            f'service {service.name}: approot "{service.approot}" must be a folder inside the '
            "application"
        )
    return path


def code_root(service: Service) -> str:
    root = approot(service)
    return "code" if root == PurePosixPath(".") else f"code/{root}"


def _common_context(application: Application, service: Service) -> dict[str, object]:
    return {
        "app": application.name,
        "service": service.name,
        "type": service.type,
        "instance_mount": naming.INSTANCE_MOUNT,
        "current_target": code_root(service),
        "runtime_dir": RUNTIME_DIR,
    }


# --- code services -------------------------------------------------------------------------------


def _code_context(
    application: Application,
    service: Service,
    settings: Settings,
    ca_bundle: str,
    has_requirements_file: bool,
) -> list[Rendered]:
    stack = CODE_STACKS[service.type]
    context = layout.build_context(service.name)
    values = {
        **_common_context(application, service),
        "base_image": settings.base_image,
        "stack_packages": stack.packages,
        "stack_preinstall": "",
        "owned_dirs": CODE_OWNED_DIRS,
        "systempackages": service.systempackages,
        "virtualenv": stack.virtualenv,
        "nginx": stack.nginx,
        "uwsgi": stack.uwsgi,
        "code_root": code_root(service),
        "has_requirements_file": has_requirements_file,
        "requirements": service.requirements,
        "pip_cert_option": "--cert /tmp/ca.crt " if ca_bundle.strip() else "",
        "prebuild": service.prebuild or "",
        "postbuild": service.postbuild or "",
        "postinstall": service.postinstall,
        "programs": code_programs(service, stack),
        "buildscript_run": buildscript_run(service),
        # A Python literal for the health script: names are [a-z0-9_], numbers are ints.
        "listening_ports": repr(tuple(listening_ports(service))),
    }
    platform = context / "platform"
    items: list[Rendered] = [
        File(context / "Dockerfile", render_template("code/Dockerfile.j2", **values)),
        File(platform / "profile", render_template("common/profile")),
        File(platform / "supervisord.conf", render_template("code/supervisord.conf.j2", **values)),
        File(
            platform / "dotcloud-init",
            render_template("code/dotcloud-init.j2", **values),
            EXECUTABLE,
        ),
        File(platform / "dotcloud-health", _code_health(stack, values), EXECUTABLE),
        CodeSnapshot(application.root, context / "code"),
    ]
    if stack.virtualenv:
        items.append(File(context / "ca-bundle.crt", ca_bundle))
    if stack.nginx:
        items.append(File(platform / "nginx.conf", render_template("code/nginx.conf.j2", **values)))
        items.append(
            File(platform / "nginx-site.conf", render_template("code/nginx-site.conf.j2", **values))
        )
    if stack.uwsgi:
        items.append(
            File(
                platform / "uwsgi.ini",
                render_template("code/uwsgi.ini.j2", **values, **uwsgi_values(service)),
            )
        )
    return items


def _code_health(stack: CodeStack, values: dict[str, object]) -> str:
    if stack.nginx:
        return render_template("code/dotcloud-health-http.j2", **values)
    return render_template("code/dotcloud-health-programs.j2", **values)


def listening_ports(service: Service) -> list[tuple[str, int]]:
    """The `tcp` and `http` ports an instance must accept connections on before it is ready."""
    numbers = custom_port_numbers(service)
    return [(name, numbers[name]) for name, kind in service.ports.items() if kind != "udp"]


def uwsgi_values(service: Service) -> dict[str, object]:
    return {
        "processes": _config(service, "uwsgi_processes"),
        "buffer_size": _config(service, "uwsgi_buffer_size"),
        "harakiri": _config(service, "uwsgi_harakiri"),
        "memory_report": _config(service, "uwsgi_memory_report"),
        "enable_threads": _config(service, "uwsgi_enable_threads"),
        "single_interpreter": _config(service, "uwsgi_single_interpreter"),
    }


def _config(service: Service, key: str) -> object:
    if key in service.config:
        return service.config[key]
    return SERVICE_TYPES[service.type].config_keys[key].default


def code_programs(service: Service, stack: CodeStack) -> list[Program]:
    """supervisord programs: the platform's nginx and uWSGI, then `process` or `processes`."""
    programs = []
    if stack.nginx:
        programs.append(
            Program("nginx", "/usr/sbin/nginx -c /etc/dotcloud/nginx.conf", naming.HOME)
        )
    if stack.uwsgi:
        programs.append(
            Program("uwsgi", "/usr/bin/uwsgi --ini /etc/dotcloud/uwsgi.ini", CURRENT, startsecs=5)
        )
    reserved = {program.name for program in programs}
    user_processes = dict(service.processes)
    if service.process:
        user_processes = {service.name: service.process}
    if service.type == "custom" and not user_processes:
        user_processes = {service.name: CUSTOM_DEFAULT_PROCESS}
    for name, command in user_processes.items():
        _check_program_name(service, name, reserved)
        programs.append(user_program(service, name, command))
    return programs


def user_program(service: Service, name: str, command: str) -> Program:
    if service.type == "custom":
        # As the platform's custom type: ~/profile (written by the buildscript) first, from $HOME.
        script = f"[ -f ~/profile ] && . ~/profile; exec {command}"
        return Program(name, f"/bin/bash -lc {shellquote(script)}", naming.HOME)
    return Program(name, f"/bin/sh -lc {shellquote(f'exec {command}')}", CURRENT)


# --- custom: the buildscript ---------------------------------------------------------------------


def buildscript_run(service: Service) -> list[str]:
    """The exec-form RUN arguments of a custom buildscript, or [] when there is none.

    It runs from the code root with the service's definition as SERVICE_* variables, given to this
    one command only (they do not stay in the image's environment).
    """
    if service.type != "custom" or not service.buildscript:
        return []
    script = PurePosixPath(service.buildscript)
    if script.is_absolute() or ".." in script.parts:
        raise UsageError(
            f'service {service.name}: buildscript "{service.buildscript}" must be a file inside '
            "the application"
        )
    path = f"./{shellquote(script.as_posix())}"
    command = (
        f"if [ ! -x {path} ]; then echo {shellquote(f'buildscript {script} is not executable')}"
        f" >&2; exit 126; fi; exec {path}"
    )
    variables = [f"{key}={value}" for key, value in service_variables(service).items()]
    return ["/usr/bin/env", *variables, "/bin/sh", "-lc", command]


def service_variables(service: Service) -> dict[str, str]:
    """The service's definition as the platform gave it to a buildscript: every key upper-cased
    with SERVICE_, mapping values flattened one level as SERVICE_<KEY>_<SUBKEY>."""
    variables: dict[str, str] = {}
    for key, value in service_definition(service).items():
        name = f"SERVICE_{key.upper()}"
        if isinstance(value, Mapping):
            for subkey, subvalue in value.items():
                variables[f"{name}_{str(subkey).upper()}"] = variable_text(subvalue)
        else:
            variables[name] = variable_text(value)
    return {key: value for key, value in sorted(variables.items()) if "=" not in key}


def service_definition(service: Service) -> dict[str, object]:
    """The build file's entry with the validator's defaults, as the platform kept it."""
    definition: dict[str, object] = {
        "type": service.type,
        "approot": service.approot,
        "instances": service.instances,
        "config": service.config,
        "environment": service.environment,
        "ports": service.ports,
        "process": service.process,
        "processes": service.processes,
        "postinstall": service.postinstall,
        "requirements": service.requirements,
        "systempackages": service.systempackages,
    }
    optional = {
        "buildscript": service.buildscript,
        "prebuild": service.prebuild,
        "postbuild": service.postbuild,
    }
    definition.update({key: value for key, value in optional.items() if value is not None})
    definition.update({key: value for key, value in service.extra.items() if key not in definition})
    return definition


def variable_text(value: object) -> str:
    """Scalars as YAML wrote them (true, 42), lists space-separated, anything deeper as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple) and not any(
        isinstance(item, Mapping | list | tuple) for item in value
    ):
        return " ".join(variable_text(item) for item in value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(_plain(value), sort_keys=True)
    return str(value)


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _check_program_name(service: Service, name: str, reserved: set[str]) -> None:
    if not PROGRAM_NAME.match(name):
        raise UsageError(
            f'service {service.name}: process name "{name}" may only hold letters, digits, '
            '"_", "." and "-"'
        )
    if name in reserved:
        raise UsageError(
            f'service {service.name}: process name "{name}" is taken by the platform\'s own '
            f"{name} program; choose another name"
        )


# --- data services -------------------------------------------------------------------------------


def _data_context(application: Application, service: Service, settings: Settings) -> list[Rendered]:
    data_port = SERVICE_TYPES[service.type].data_port
    if data_port is None:  # the catalogue gives every data type a port
        raise UsageError(f"service {service.name}: type {service.type} has no data port")
    stack = DATA_STACKS[service.type]
    context = layout.build_context(service.name)
    platform = context / "platform"
    variable = password_variable(service, data_port)
    values = {
        **_common_context(application, service),
        "base_image": settings.base_image,
        "stack_packages": stack.packages,
        "stack_preinstall": stack.preinstall,
        "owned_dirs": stack.owned_dirs,
        "systempackages": (),
        "config_files": [
            (f"platform/{name}", CONFIG_FILE_TARGETS.get(name, f"{CONFIG_FILES_DIR}/{name}"))
            for name in stack.config_files
        ],
        "stopsignal": stack.stopsignal,
        "port": data_port.port,
        "login": data_port.login,
        "password_variable": variable,
        "password_reference": f'"${{{variable}:-}}"',
        "data_dir": DATA_DIR,
        "config_dir": CONFIG_FILES_DIR,
    }
    root = approot(service)
    templates = stack.templates
    return [
        File(context / "Dockerfile", render_template("data/Dockerfile.j2", **values)),
        File(platform / "profile", render_template("common/profile")),
        File(
            platform / "dotcloud-init",
            render_template(f"{templates}/dotcloud-init.j2", **values),
            EXECUTABLE,
        ),
        File(
            platform / "dotcloud-health",
            render_template(f"{templates}/dotcloud-health.j2", **values),
            EXECUTABLE,
        ),
        *(
            File(platform / name, render_template(f"{templates}/{name}.j2", **values))
            for name in stack.config_files
        ),
        CodeSnapshot(
            application.root,
            context / "code",
            include=None if root == PurePosixPath(".") else root,
        ),
    ]


def password_variable(service: Service, data_port: DataPort) -> str:
    """The variable holding the service's password, as platform/environment.py names it."""
    return f"DOTCLOUD_{service.name.upper()}_{data_port.infix}_PASSWORD"
