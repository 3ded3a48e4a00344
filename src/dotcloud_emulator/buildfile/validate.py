"""The walk over a parsed build file: top level, service names, each service's keys, the model."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.diagnostics import Reporter
from dotcloud_emulator.buildfile.model import Service
from dotcloud_emulator.buildfile.schema import (
    KNOWN_KEYS,
    SERVICE_KEYS,
    Context,
    Problem,
    default_config,
    describe,
    report,
    shorten,
)
from dotcloud_emulator.buildfile.suggest import did_you_mean, nearest
from dotcloud_emulator.buildfile.yamltree import Mapping, Rejected, Scalar, YamlNode, to_python
from dotcloud_emulator.catalogue import SERVICE_TYPES, ServiceType, runnable_types

BUILDFILE = '"dotcloud.yml"'
# The platform's flavors allowed a few dozen services per application; beyond this, generate's
# build contexts (one code snapshot each) cost minutes and gigabytes.
MAX_SERVICES = 100


def validate_services(
    document: YamlNode | None, root: Path, reporter: Reporter
) -> tuple[Service, ...]:
    """Every service the document defines; problems go to `reporter` (the result is partial)."""
    if document is None:
        reporter.add(1, 1, "error", f"{BUILDFILE} is empty: it must map service names to services")
        return ()
    if isinstance(document, Rejected):
        return ()
    if not isinstance(document, Mapping):
        reporter.error(
            document,
            f"{BUILDFILE} must map service names to services, found {describe(document)}",
        )
        return ()
    if not document.entries:
        if reporter.errors:  # its keys were refused, so it is not really empty
            return ()
        reporter.error(document, f"service(s) dict cannot be empty in {BUILDFILE}")
        return ()
    if len(document.entries) > MAX_SERVICES:
        reporter.error(
            document.entries[MAX_SERVICES][0],
            f"{BUILDFILE} defines {len(document.entries)} services: the emulator runs at most "
            f"{MAX_SERVICES} per application",
        )
        return ()
    services = []
    for name_node, definition in document.entries:
        name = check_service_name(name_node, reporter)
        service = validate_service(name, name_node, definition, root, reporter)
        if service is not None:
            services.append(service)
    return tuple(services)


def check_service_name(node: Scalar, reporter: Reporter) -> str:
    # As written: a numeric name such as `2:` is the string "2", as on the platform.
    name = node.text
    if not names.SERVICE.is_short_enough(name):
        reporter.error(
            node,
            f'invalid service name "{shorten(name)}": it must be at most '
            f"{names.SERVICE.max_length} characters (it has {len(name)})",
        )
    if not names.SERVICE.has_valid_characters(name):
        reporter.error(
            node,
            f'invalid characters in service name "{shorten(name)}": use lowercase letters, '
            "digits and underscores only",
        )
    return name


def validate_service(
    name: str, name_node: Scalar, definition: YamlNode, root: Path, reporter: Reporter
) -> Service | None:
    if isinstance(definition, Rejected):
        return None
    if not isinstance(definition, Mapping):
        reporter.error(
            definition,
            f'service "{shorten(name)}" must be a mapping with at least a "type", '
            f"found {describe(definition)}",
        )
        return None
    keys = {key.text: (key, value) for key, value in definition.entries}
    service_type = check_type(name, name_node, keys, reporter)
    ctx = Context(reporter, root, name, service_type)
    values: dict[str, Any] = {}
    extra: dict[str, object] = {}
    for key, value in definition.entries:
        if key.text == "type":
            continue
        checker = SERVICE_KEYS.get(key.text)
        if checker is None:
            reporter.warning(key, unknown_key_message(key.text, name))
            extra[key.text] = to_python(value)
            continue
        try:
            values[key.text] = checker(value, ctx, f'"{key.text}"')
        except Problem as problem:
            report(ctx, problem)
    check_process_keys(name, keys, reporter)
    if service_type is None:
        return None
    note_default_version(service_type, keys, reporter)
    service = build_service(name, service_type, values, extra)
    check_requirements_file(service, service_type, root, reporter)
    return service


def note_default_version(
    service_type: ServiceType, keys: dict[str, tuple[Scalar, YamlNode]], reporter: Reporter
) -> None:
    """What the type's version key (perl_version) runs on when the build file names none."""
    key, note = service_type.version_key, service_type.version_note
    if not key or note is None:
        return
    config = keys.get("config")
    if (
        config is not None
        and isinstance(config[1], Mapping)
        and any(entry.text == key for entry, _ in config[1].entries)
    ):
        return  # noted at its value
    default = service_type.config_keys[key].default
    reporter.note(keys["type"][1], f"{note(str(default))}; {key} {default} is the default")


def check_requirements_file(
    service: Service, service_type: ServiceType, root: Path, reporter: Reporter
) -> None:
    """The approot's requirements file of the type's stack (perl: Makefile.PL): a warning at the
    line of each requirement nothing here installs, and a note of where the others come from."""
    if not service_type.runs_here:
        return
    stack = service_type.stacks[0]
    if not stack.requirements_file or stack.read_requirements is None:
        return
    relative = Path(service.approot or ".") / stack.requirements_file
    path = root / relative
    if not path.is_file() or not path.resolve().is_relative_to(root):
        return
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    shown = str(Path(reporter.path).parent / relative)
    served: list[str] = []
    for requirement, line, column in stack.read_requirements(text):
        package = stack.debian_package_for(requirement)
        if package is None:
            reporter.add_in(
                shown,
                line,
                column,
                "warning",
                f"{names.printable(requirement)} is not installed: no Debian package provides "
                f"it, and CPAN cannot be reached from the builds here",
            )
        elif package:
            served.append(f"{requirement} ({package})")
    if served:
        reporter.add_in(
            shown,
            1,
            1,
            "note",
            f"service {service.name}: {len(served)} module{'s' if len(served) != 1 else ''} "
            f"from Debian's packages (CPAN cannot be reached from the builds here): "
            + ", ".join(served),
        )


def check_type(
    name: str, name_node: Scalar, keys: dict[str, tuple[Scalar, YamlNode]], reporter: Reporter
) -> ServiceType | None:
    if "type" not in keys:
        reporter.error(name_node, f'missing mandatory entry "type" in service "{shorten(name)}"')
        return None
    node = keys["type"][1]
    if isinstance(node, Rejected):
        return None
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        reporter.error(
            node, f'"type" must be a service type such as python, found {describe(node)}'
        )
        return None
    message = type_problem(node.value)
    if message:
        reporter.error(node, message)
        return None
    return SERVICE_TYPES[node.value]


def type_problem(name: str) -> str:
    runnable = ", ".join(runnable_types())
    known = SERVICE_TYPES.get(name)
    if known is not None:
        if known.runs_here:
            return ""
        refused = f"'{name}' is a dotCloud service type this emulator does not run"
        if known.refusal:
            return f"{refused}: {known.refusal}"
        return f"{refused} (it runs: {runnable})"
    hint = did_you_mean(name, runnable_types()) or f"the emulator runs: {runnable}"
    return f'unrecognized service type "{shorten(name)}" ({hint})'


def unknown_key_message(key: str, service: str) -> str:
    message = f'unknown key "{shorten(key)}" in service "{shorten(service)}"'
    variable = names.escaped(f"SERVICE_{key.upper()}")
    kept = f"{message}; it is kept as is (custom buildscripts see it as {variable})"
    # A config key set one level too high (`node_version:` beside `type:`, as the platform's
    # custom Node.js recipe read it) is not a misspelt top-level key: say where it belongs.
    owners = [
        name for name, service_type in SERVICE_TYPES.items() if key in service_type.config_keys
    ]
    if owners:
        listing = " and ".join([", ".join(owners[:-1]), owners[-1]] if owners[1:] else owners)
        return f'{kept}; {listing} services take it under "config:"'
    match = nearest(key, KNOWN_KEYS)
    if match:
        return f"{message}: did you mean '{match}'?"
    return kept


def check_process_keys(
    name: str, keys: dict[str, tuple[Scalar, YamlNode]], reporter: Reporter
) -> None:
    if "process" in keys and "processes" in keys:
        later = max(
            keys["process"][0], keys["processes"][0], key=lambda key: (key.line, key.column)
        )
        reporter.error(
            later,
            'You can\'t have both "process" and "processes" at the same time in service '
            f'"{names.escaped(name)}"',
        )


def build_service(
    name: str, service_type: ServiceType, values: dict[str, Any], extra: dict[str, object]
) -> Service:
    mappings = {"config", "environment", "ports", "processes"}
    fields: dict[str, Any] = {
        key: MappingProxyType(value) if key in mappings else value for key, value in values.items()
    }
    if "ruby_version" in fields:  # legacy key with no model field: kept where custom builds see it
        extra["ruby_version"] = fields.pop("ruby_version")
    if "exclude_bundler_groups" in fields:  # ruby: the Gemfile groups Bundler leaves out
        extra["exclude_bundler_groups"] = tuple(fields.pop("exclude_bundler_groups"))
    fields.setdefault("config", MappingProxyType(default_config(service_type)))
    fields.setdefault("instances", service_type.default_instances)
    return Service(name=name, type=service_type.name, extra=MappingProxyType(extra), **fields)
