"""Build contexts: `.dotcloud/build/<svc>/` with a Dockerfile, the platform's files and the code.

Every Dockerfile starts with a `stack` stage whose first lines are the same for every service of a
type, so the layer cache shares it. Code services with a virtualenv install their dependencies in a
`build` stage that alone receives the CA bundle; the final stage copies the virtualenv and the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.buildfile.servicetypes import SERVICE_TYPES, DataPort
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.files import CodeSnapshot, File, Rendered
from dotcloud_emulator.render.templating import render_template, shellquote

EXECUTABLE = 0o755
PROGRAM_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
CURRENT = f"{naming.HOME}/current"
DATA_DIR = f"{naming.HOME}/data"
# Folders the unprivileged programs write to (nginx and supervisord logs, the uWSGI socket).
CODE_OWNED_DIRS = ("/var/log/supervisor", "/var/log/nginx", "/var/dotcloud", DATA_DIR)


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
}
DATA_STACKS = {"redis": ("redis-server", "redis-tools")}


@dataclass(frozen=True)
class Program:
    name: str
    command: str
    directory: str
    stopsignal: str = ""


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
    return render_template("code/dotcloud-health-worker")


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
        programs.append(Program("uwsgi", "/usr/bin/uwsgi --ini /etc/dotcloud/uwsgi.ini", CURRENT))
    reserved = {program.name for program in programs}
    user_processes = dict(service.processes)
    if service.process:
        user_processes = {service.name: service.process}
    for name, command in user_processes.items():
        _check_program_name(service, name, reserved)
        programs.append(Program(name, f"/bin/sh -lc {shellquote(f'exec {command}')}", CURRENT))
    return programs


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
    context = layout.build_context(service.name)
    platform = context / "platform"
    variable = password_variable(service, data_port)
    values = {
        **_common_context(application, service),
        "base_image": settings.base_image,
        "stack_packages": DATA_STACKS[service.type],
        "owned_dirs": (DATA_DIR,),
        "systempackages": (),
        "port": data_port.port,
        "login": data_port.login,
        "password_variable": variable,
        "password_reference": f'"${{{variable}:-}}"',
    }
    root = approot(service)
    return [
        File(context / "Dockerfile", render_template("redis/Dockerfile.j2", **values)),
        File(platform / "profile", render_template("common/profile")),
        File(
            platform / "dotcloud-init",
            render_template("redis/dotcloud-init.j2", **values),
            EXECUTABLE,
        ),
        File(
            platform / "dotcloud-health",
            render_template("redis/dotcloud-health.j2", **values),
            EXECUTABLE,
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
