"""Build contexts: `.dotcloud/build/<svc>/` with a Dockerfile, the platform's files and the code.

Every Dockerfile starts with a `stack` stage whose first lines are the same for every service of a
type, so the layer cache shares it. Code services with a virtualenv install their dependencies in a
`build` stage that alone receives the CA bundle; the final stage copies the virtualenv and the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath
from typing import cast

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile import gemfile
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import (
    CURRENT,
    DATA_DIR,
    RUNTIME_DIR,
    SETTLE_SECONDS,
    DataPort,
    Program,
    Stack,
)
from dotcloud_emulator.catalogue.model import RubyRuntime
from dotcloud_emulator.catalogue.stacks import MTA_PROGRAM
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import (
    HTTP_BIND_PORT,
    custom_port_numbers,
    replication_variable,
)
from dotcloud_emulator.platform.settings import DEFAULT_BASE_IMAGE, Settings
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.files import CodeSnapshot, File, Rendered
from dotcloud_emulator.render.templating import render_template, shellquote

EXECUTABLE = 0o755
CUSTOM_DEFAULT_PROCESS = "~/run"


@dataclass(frozen=True)
class ApprootFacts:
    """What a build context depends on in the service's approot on disk (read by the writer)."""

    has_requirements_file: bool = False  # requirements.txt: the build runs pip on it
    # static/ exists and no *nginx.conf of the approot has a /static location: the python
    # service serves it at /static, as the platform's stock configuration did until August 2012.
    serves_static: bool = False
    has_package_json: bool = False  # package.json: the build runs npm install on it
    gemfile: str = ""  # the Gemfile's text (ruby: Bundler resolves its gems, Debian's packages)
    # What the stack's requirements file (perl: Makefile.PL) lists, installed as `requirements:`.
    file_requirements: tuple[str, ...] = ()


def check_renderable(service: Service) -> None:
    if not catalogue.runs_here(service.type):
        runnable = ", ".join(catalogue.runnable_types())
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
    approot_facts: ApprootFacts | None = None,
    packages_before: str | None = None,
) -> list[Rendered]:
    """One service's build context, given what its approot holds (`approot_facts`);
    `packages_before` (a date, YYYY-MM-DD): package installers that can resolve as of a date
    (npm) see only releases before it."""
    check_renderable(service)
    if catalogue.is_data(service):
        return _data_context(application, service, settings)
    facts = approot_facts or ApprootFacts()
    return _code_context(application, service, settings, ca_bundle, facts, packages_before)


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


def base_image(stack: Stack, settings: Settings) -> str:
    """The stack's base image; the setting (DOTCLOUD_BASE_IMAGE) stands in for the default one."""
    return settings.base_image if stack.base_image == DEFAULT_BASE_IMAGE else stack.base_image


def base_images(application: Application, settings: Settings) -> list[str]:
    """Every base image the application's images are built on, sorted: its services' stacks'
    and the setting's, which the gateway and the healer use. Only these need to be made."""
    wanted = {settings.base_image}
    wanted.update(
        base_image(catalogue.stack_for(service), settings) for service in application.services
    )
    return sorted(wanted)


def _stack_context(
    application: Application, service: Service, stack: Stack, settings: Settings
) -> dict[str, object]:
    """The values every build context's templates share: the service and its stack."""
    return {
        "app": application.name,
        "buildfile_name": application.buildfile.name,  # dotcloud.yml, or a Procfile
        "service": service.name,
        "type": service.type,
        "instance_mount": naming.INSTANCE_MOUNT,
        "dotcloud_uid": naming.DOTCLOUD_UID,
        "current_target": code_root(service),
        "runtime_dir": RUNTIME_DIR,
        "base_image": base_image(stack, settings),
        "stack_packages": stack.packages,
        "stack_preinstall": stack.preinstall,
        "stack_postinstall": stack.postinstall,
        "owned_dirs": stack.owned_dirs,
        "config_files": [(f"platform/{file.name}", file.target) for file in stack.config_files],
        "tooling": stack.tooling,
        "uwsgi_pip_version": stack.uwsgi.pip_version if stack.uwsgi is not None else "",
        "platform_packages": stack.python.platform_packages if stack.python else (),
        "pip_environment": stack.python.pip_environment if stack.python else (),
    }


def _platform_files(stack: Stack, platform: PurePosixPath, values: dict[str, object]) -> list[File]:
    """The entrypoint, the readiness check and the stack's config files, under `platform/`."""
    templates = stack.templates
    return [
        File(platform / "profile", render_template("common/profile")),
        File(
            platform / "dotcloud-init",
            render_template(f"{templates}/dotcloud-init.j2", **values),
            EXECUTABLE,
        ),
        File(platform / "dotcloud-health", render_template(stack.health, **values), EXECUTABLE),
        *(
            File(
                platform / file.name,
                render_template(stack.template_of(file), **values),
                EXECUTABLE if file.executable else 0o644,
            )
            for file in stack.config_files
        ),
    ]


# --- code services -------------------------------------------------------------------------------


def _code_context(
    application: Application,
    service: Service,
    settings: Settings,
    ca_bundle: str,
    facts: ApprootFacts,
    packages_before: str | None = None,
) -> list[Rendered]:
    stack = catalogue.stack_for(service)
    context = layout.build_context(service.name)
    relay = mta_relay(application, stack)
    systempackages = (
        *service.systempackages,
        *requirement_packages(service, stack, facts.file_requirements),
        *gem_packages(service, stack, facts),
    )
    values = {
        **_stack_context(application, service, stack, settings),
        "systempackages": systempackages,
        "virtualenv": stack.virtualenv,
        # The virtualenv is made on the tooling, beside the stack's packages, unless the
        # service's own Debian packages (installed in the stack stage) may be what pip builds on.
        "build_on_tooling": bool(stack.tooling) and not systempackages,
        "virtualenv_command": stack.python.virtualenv if stack.python else "",
        "pip_packages": stack.pip_packages,
        "nginx": stack.nginx,
        "uwsgi": stack.uwsgi is not None,
        "code_root": code_root(service),
        "has_requirements_file": facts.has_requirements_file,
        "serve_static": facts.serves_static and stack.uwsgi is not None,
        "requirements": service.requirements,
        # Final-stage build commands see the bundle through a BuildKit mount, when there is one.
        "trust_build_commands": bool(ca_bundle.strip()) and bool(stack.tooling),
        "prebuild": service.prebuild or "",
        "postbuild": service.postbuild or "",
        "postinstall": service.postinstall,
        "programs": code_programs(service, stack, relay=bool(relay)),
        "mta_relay": relay,
        "buildscript_run": buildscript_run(service),
        "settle_seconds": SETTLE_SECONDS,
        # A Python literal for the health script: names are [a-z0-9_], numbers are ints.
        "listening_ports": repr(tuple(listening_ports(service))),
        "dev": False,  # development mode mounts its own uwsgi.ini (render/devmode.py)
        "stack_environment": stack.environment,
        "supervisor_environment": {},
        "prestart": stack.prestart,
        "config_targets": {file.name: file.target for file in stack.config_files},
        **dict(stack.template_values),
        **{key: catalogue.config_value(service, key) for key in stack.template_config},
    }
    if stack.uwsgi is not None:
        values.update(uwsgi_values(service), uwsgi_plugin=stack.uwsgi.plugin)
    if stack.node_runtimes:
        values.update(node_values(service, facts, packages_before))
    if stack.ruby is not None:
        values.update(ruby_values(service, stack.ruby))
    items: list[Rendered] = [
        File(context / "Dockerfile", render_template(stack.dockerfile, **values)),
        *_platform_files(stack, context / "platform", values),
        *bundler_files(service, stack, facts, context / "platform"),
        CodeSnapshot(application.root, context / "code"),
    ]
    if stack.tooling:
        items.append(File(context / "ca-bundle.crt", ca_bundle))
        items.extend(
            File(
                context / "platform" / "shims" / name, render_template(f"shims/{name}"), EXECUTABLE
            )
            for name in catalogue.TOOLING_SHIMS.get(stack.tooling, ())
        )
    return items


def requirement_packages(
    service: Service, stack: Stack, file_requirements: tuple[str, ...] = ()
) -> list[str]:
    """The Debian packages serving the service's `requirements:` (and its requirements file's:
    perl's Makefile.PL), for a stack that installs them with apt (php, perl); those it has
    already and those nothing serves (a warning of the validator) add none."""
    if not stack.installs_requirements:
        return []
    wanted = (*file_requirements, *service.requirements)
    found = (stack.debian_package_for(requirement) for requirement in wanted)
    return sorted({package for package in found if package})


def gem_packages(service: Service, stack: Stack, facts: ApprootFacts) -> list[str]:
    """The Debian packages of the Gemfile's gems (ruby: rubygems.org is not reached)."""
    if stack.ruby is None:
        return []
    return gemfile.debian_packages(gemfile.service_gems(service, facts.gemfile), stack.ruby)


def bundler_files(
    service: Service, stack: Stack, facts: ApprootFacts, platform: PurePosixPath
) -> list[Rendered]:
    """The Gemfile Bundler resolves in a ruby image: the approot's gems that Debian serves."""
    if stack.ruby is None:
        return []
    return [
        File(
            platform / "Gemfile",
            gemfile.bundler_gemfile(facts.gemfile, stack.ruby, gemfile.excluded_groups(service)),
        )
    ]


def ruby_values(service: Service, ruby: RubyRuntime) -> dict[str, object]:
    """The Ruby a ruby-version runs on, and the Rack environment (RACK_ENV and RAILS_ENV)."""
    return {
        "ruby_version": ruby.version,
        "rack_env": str(catalogue.config_value(service, "rack-env")),
        "supervisor_environment": {
            "RACK_ENV": str(catalogue.config_value(service, "rack-env")),
            "RAILS_ENV": str(catalogue.config_value(service, "rack-env")),
        },
    }


def node_values(
    service: Service, facts: ApprootFacts, packages_before: str | None
) -> dict[str, object]:
    """The Node binary of the service's node_version, and how npm installs package.json."""
    runtime = catalogue.node_runtime(service)
    return {
        "node_version": runtime.version,
        "node_package_url": runtime.package_url,
        "node_sha512": runtime.sha512,
        "node_inner_tarball": runtime.inner_tarball,
        "has_package_json": facts.has_package_json,
        "npm_before": packages_before or "",
        "web_port": HTTP_BIND_PORT,  # where a web program listens, and the gateway goes
    }


def listening_ports(service: Service) -> list[tuple[str, int]]:
    """The `tcp` and `http` ports an instance must accept connections on before it is ready."""
    numbers = custom_port_numbers(service)
    return [(name, numbers[name]) for name, kind in service.ports.items() if kind != "udp"]


def uwsgi_values(service: Service) -> dict[str, object]:
    """The uwsgi_* keys of the service's type (perl has no threads or interpreter keys: None)."""
    keys = catalogue.SERVICE_TYPES[service.type].config_keys
    return {
        name: catalogue.config_value(service, f"uwsgi_{name}") if f"uwsgi_{name}" in keys else None
        for name in (
            "processes",
            "buffer_size",
            "harakiri",
            "memory_report",
            "enable_threads",
            "single_interpreter",
        )
    }


def mta_relay(application: Application, stack: Stack) -> str:
    """The prefix of the variables (DOTCLOUD_<SVC>_SMTP) naming the smtp service a code service's
    local MTA relays through: the application's first; "" when it has none, or the stack no MTA.
    Without one, nothing listens on port 25 and sendmail has no account: no mail leaves."""
    if not stack.tooling:
        return ""
    for other in application.services:
        data_port = catalogue.data_port(other.type)
        if other.type == "smtp" and data_port is not None:
            return f"DOTCLOUD_{other.name.upper()}_{data_port.infix}"
    return ""


def code_programs(service: Service, stack: Stack, *, relay: bool = False) -> list[Program]:
    """supervisord programs: the stack's own (nginx, uWSGI) and the local MTA when it relays,
    then `process` or `processes`."""
    programs = [*stack.programs, *((MTA_PROGRAM,) if relay else ())]
    reserved = frozenset(program.name for program in programs)
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


def _check_program_name(service: Service, name: str, reserved: frozenset[str]) -> None:
    if name in reserved:
        raise UsageError(
            f'service {service.name}: process name "{name}" is taken by the platform\'s own '
            f"{name} program; choose another name"
        )


# --- data services -------------------------------------------------------------------------------


def _data_context(application: Application, service: Service, settings: Settings) -> list[Rendered]:
    data_port = catalogue.data_port(service.type)
    if data_port is None:  # the catalogue gives every data type a port
        raise UsageError(f"service {service.name}: type {service.type} has no data port")
    stack = catalogue.stack_for(service)
    context = layout.build_context(service.name)
    variable = password_variable(service, data_port)
    values = {
        **_stack_context(application, service, stack, settings),
        "systempackages": (),
        "stopsignal": stack.stop_signal,
        "port": data_port.port,
        # Every port by its name (rabbitmq: amqp and http), for the templates and EXPOSE.
        "ports": {port.name: port.port for port in catalogue.data_ports(service.type)},
        "login": data_port.login,
        "password_variable": variable,
        "host_variable": variable.removesuffix("_PASSWORD") + "_HOST",
        "replication_login": data_port.replication_login,
        "replication_variable": replication_variable(service, data_port),
        "server_id": int(cast(int, service.config.get("mysql_serverid") or 1)),
        "url_variable": variable.removesuffix("_PASSWORD") + "_URL",
        "password_reference": f'"${{{variable}:-}}"',
        "data_dir": DATA_DIR,
        "config_dir": catalogue.CONFIG_FILES_DIR,
        "server_package": stack.server_package,
        "server_lib_dir": catalogue.SERVER_LIB_DIR,
    }
    root = approot(service)
    return [
        File(context / "Dockerfile", render_template(stack.dockerfile, **values)),
        *_platform_files(stack, context / "platform", values),
        *server_package_files(stack.server_package, context / "platform"),
        CodeSnapshot(
            application.root,
            context / "code",
            include=None if root == PurePosixPath(".") else root,
        ),
    ]


def password_variable(service: Service, data_port: DataPort) -> str:
    """The variable holding the service's password, as platform/environment.py names it."""
    return f"DOTCLOUD_{service.name.upper()}_{data_port.infix}_PASSWORD"


def server_package_files(package: str, platform: PurePosixPath) -> list[File]:
    """The modules of a server the emulator ships into a data image (`Stack.server_package`),
    under `platform/<package>/`, as the package holds them."""
    if not package:
        return []
    folder = resources.files("dotcloud_emulator").joinpath(package)
    return [
        File(platform / package / entry.name, entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda item: item.name)
        if entry.name.endswith(".py")
    ]
