"""The build-file schema, declared as data: one checker per key, built from small combinators.

A checker takes a YAML node and the service's context, returns the Python value the model
holds, and raises `Problem` for a value it cannot accept. Container checkers report a bad item
and go on, so one pass finds every problem. Adding a key is one line in `SERVICE_KEYS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import cast

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.diagnostics import Position, Reporter
from dotcloud_emulator.buildfile.suggest import did_you_mean
from dotcloud_emulator.buildfile.yamltree import (
    Mapping,
    Rejected,
    Scalar,
    Sequence,
    YamlNode,
    to_python,
)
from dotcloud_emulator.catalogue import (
    PLATFORM_PYTHON_VERSIONS,
    SERVICE_TYPES,
    ConfigKey,
    ServiceType,
    node_runtime_for,
    python_stack,
)

PORT_PROTOCOLS = ("http", "tcp", "udp")
MAX_INSTANCES = 10
# An approot is written into the Dockerfile's COPY, where Docker expands variables ($HOME)
# and patterns (*, ?, [...]) and `\\` escapes; no quoting turns that off.
DOCKERFILE_PATH_SPECIALS = frozenset("$*?[]\\")


class Problem(Exception):
    def __init__(self, at: Position, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


@dataclass(frozen=True)
class Context:
    reporter: Reporter
    root: Path  # the application directory, resolved
    service: str
    service_type: ServiceType | None  # None when `type` is missing or wrong


Checker = Callable[[YamlNode, Context, str], object]


def describe(node: YamlNode) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    if not isinstance(node, Scalar) or node.value is None:
        return "nothing (null)"
    text = shorten(node.text)
    if isinstance(node.value, bool):
        return f"a boolean ({text})"
    if isinstance(node.value, int | float):
        return f"a number ({text})"
    if isinstance(node.value, str):
        return f'a string ("{text}")'
    return f"a date ({text})"


def shorten(text: str, limit: int = 40) -> str:
    """A user's value for a message, escaped (a newline in it stays on the message's line)."""
    text = names.escaped(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_mapping(node: YamlNode, label: str) -> Mapping:
    if not isinstance(node, Mapping):
        raise Problem(node, f"{label} must be a mapping, found {describe(node)}")
    return node


def string(node: YamlNode, ctx: Context, label: str) -> str:
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        raise Problem(node, f"{label} must be a string, found {describe(node)}")
    return node.value


def scalar_text(node: YamlNode, ctx: Context, label: str) -> str:
    """A string, or a number kept as written (`1.9` stays "1.9")."""
    value = node.value if isinstance(node, Scalar) else None
    if (
        isinstance(node, Scalar)
        and isinstance(value, int | float | str)
        and not isinstance(value, bool)
    ):
        return node.text
    raise Problem(node, f"{label} must be a string, found {describe(node)}")


def nonempty_string(node: YamlNode, ctx: Context, label: str) -> str:
    value = string(node, ctx, label)
    if not value.strip():
        raise Problem(node, f"{label} must not be empty")
    return value


def integer(minimum: int | None, maximum: int | None) -> Checker:
    bounds = " ".join(
        part
        for part in (
            f"from {minimum}" if minimum is not None else "",
            f"to {maximum}" if maximum is not None else "",
        )
        if part
    )
    expected = f"a whole number {bounds}".strip()

    def check(node: YamlNode, ctx: Context, label: str) -> int:
        value = node.value if isinstance(node, Scalar) else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise Problem(node, f"{label} must be {expected}, found {describe(node)}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise Problem(node, f"{label} must be {expected}, found {value}")
        return value

    return check


def boolean(node: YamlNode, ctx: Context, label: str) -> bool:
    if not isinstance(node, Scalar) or not isinstance(node.value, bool):
        raise Problem(node, f"{label} must be true or false, found {describe(node)}")
    return node.value


def matching(rule: names.NameRule) -> Checker:
    def check(node: YamlNode, ctx: Context, label: str) -> str:
        value = string(node, ctx, label)
        if not rule.is_valid(value):
            message = f'{label}: invalid {rule.what} "{shorten(value)}" ({rule.explanation})'
            raise Problem(node, message)
        return value

    return check


def choice(choices: tuple[str, ...], what: str) -> Checker:
    def check(node: YamlNode, ctx: Context, label: str) -> str:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, str) and value in choices:
            return value
        found = f'"{shorten(value)}"' if isinstance(value, str) else describe(node)
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        expected = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        message = f"unrecognized {what} {found} for {label}: expected {expected}"
        raise Problem(node, f"{message} ({hint})" if hint else message)

    return check


def list_of(item: Checker) -> Checker:
    def check(node: YamlNode, ctx: Context, label: str) -> tuple[object, ...]:
        if not isinstance(node, Sequence):
            raise Problem(node, f"{label} must be a list, found {describe(node)}")
        values = []
        for number, element in enumerate(node.items, start=1):
            try:
                values.append(item(element, ctx, f"{label} entry {number}"))
            except Problem as problem:
                report(ctx, problem)
        return tuple(values)

    return check


def mapping_of(key: Checker, value: Checker) -> Checker:
    def check(node: YamlNode, ctx: Context, label: str) -> dict[str, object]:
        values: dict[str, object] = {}
        for key_node, value_node in expect_mapping(node, label).entries:
            try:
                name = str(key(key_node, ctx, label))
                values[name] = value(value_node, ctx, f'"{name}" in {label}')
            except Problem as problem:
                report(ctx, problem)
        return values

    return check


def report(ctx: Context, problem: Problem) -> None:
    if not isinstance(problem.at, Rejected):
        ctx.reporter.error(problem.at, problem.message)


def key_text(node: YamlNode) -> str:
    return node.text if isinstance(node, Scalar) else ""


# --- keys with their own rules -------------------------------------------------------------


def environment_name(node: YamlNode, ctx: Context, label: str) -> str:
    name = key_text(node)
    if not names.VARIABLE.is_valid(name):
        raise Problem(
            node,
            f'invalid environment variable name "{shorten(name)}": use letters, digits and '
            "underscores, not starting with a digit",
        )
    if name.startswith("DOTCLOUD_"):
        raise Problem(
            node,
            f'environment variable "{name}": names starting with DOTCLOUD_ belong to the platform',
        )
    return name


def environment_value(node: YamlNode, ctx: Context, label: str) -> str:
    """Values are stringified as the platform did; booleans as YAML spells them canonically."""
    if isinstance(node, Mapping | Sequence):
        # The platform took any value and stringified it; Python's spelling of a list is no
        # use to a program, its JSON text is.
        text = json.dumps(to_python(node), separators=(",", ":"), ensure_ascii=False, default=str)
        ctx.reporter.warning(
            node,
            f"{label} is {describe(node)}: a variable holds text, so it is set to its JSON text",
        )
        return text
    if not isinstance(node, Scalar):
        raise Problem(node, f"{label} must be a plain value, found {describe(node)}")
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    if node.value is None:
        return ""
    return node.value if isinstance(node.value, str) else node.text


def port_name(node: YamlNode, ctx: Context, label: str) -> str:
    name = key_text(node)
    if not names.PORT.is_valid(name):
        raise Problem(
            node,
            f'invalid port name "{shorten(name)}": use letters, digits and underscores',
        )
    return name


def process_name(node: YamlNode, ctx: Context, label: str) -> str:
    name = key_text(node)
    if not names.PROGRAM.is_valid(name):
        raise Problem(
            node,
            f'invalid process name "{shorten(name)}": use letters, digits, "_", "-" and "."',
        )
    return name


def inside_root(node: YamlNode, ctx: Context, label: str, text: str) -> Path:
    if not text:
        raise Problem(node, f"{label} must not be empty")
    if PurePosixPath(text).is_absolute():
        raise Problem(
            node, f'{label} must be relative to the application directory, found "{shorten(text)}"'
        )
    try:
        resolved = (ctx.root / text).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise Problem(node, f'{label} "{shorten(text)}" is not a usable path') from exc
    if not resolved.is_relative_to(ctx.root):
        raise Problem(node, f'{label} "{shorten(text)}" points outside the application directory')
    return resolved


def approot(node: YamlNode, ctx: Context, label: str) -> str:
    # The platform coerced numbers (`approot: 42` gave "42"), so a number keeps its spelling;
    # booleans, null and collections are surely mistakes and are refused.
    if (
        isinstance(node, Scalar)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        text = node.text
    else:
        text = string(node, ctx, label)
    check_copyable(node, label, text)
    resolved = inside_root(node, ctx, label, text)
    if not resolved.is_dir():
        raise Problem(
            node, f'{label} "{shorten(text)}" is not a directory in the application directory'
        )
    return resolved.relative_to(ctx.root).as_posix()


def check_copyable(node: YamlNode, label: str, text: str) -> None:
    special = sorted({ch for ch in text if ch in DOCKERFILE_PATH_SPECIALS or not ch.isprintable()})
    if special:
        found = " ".join(names.escaped(ch) for ch in special)
        raise Problem(
            node,
            f'{label} "{shorten(text)}": a folder name with {found} cannot be copied by a '
            "Dockerfile (Docker expands $ variables and * ? [ ] patterns in COPY); rename the "
            "folder",
        )


def buildscript(node: YamlNode, ctx: Context, label: str) -> str | None:
    text = string(node, ctx, label)
    if ctx.service_type is not None and ctx.service_type.name != "custom":
        ctx.reporter.warning(
            node, f"{label} is only used by custom services; ignored for {ctx.service_type.name}"
        )
        return None
    if not inside_root(node, ctx, label, text).is_file():
        raise Problem(node, f'{label} "{shorten(text)}" is not a file in the application directory')
    return text


def instances(node: YamlNode, ctx: Context, label: str) -> int:
    count = cast(int, integer(1, MAX_INSTANCES)(node, ctx, label))
    stype = ctx.service_type
    if stype is not None and stype.instance_counts and count not in stype.instance_counts:
        raise Problem(node, instance_count_message(stype, count))
    if stype is not None and stype.is_data and not stype.replicated and count > 1:
        # The platform made a replicated set of it whose address is the master's: one server
        # here gives the application the same variables, so the file stays usable.
        ctx.reporter.warning(
            node,
            f"a {stype.name} service runs 1 instance here ({scaling_note()}), so it starts one "
            f"instead of {count}",
        )
        return 1
    return count


def scaling_note() -> str:
    """Which data services scale here, and to what: `of the data services only mongodb (a
    replica set of 3 or 5) and redis (a master and replicas) scale`."""
    scaled = [
        f"{stype.name} ({_scaled_shape(stype)})"
        for stype in sorted(SERVICE_TYPES.values(), key=lambda stype: stype.name)
        if stype.is_data and stype.replicated and stype.default_instances == 1
    ]
    *first, last = scaled
    names = f"{', '.join(first)} and {last}" if first else last
    return f"of the data services only {names} {'scale' if first else 'scales'}"


def _scaled_shape(stype: ServiceType) -> str:
    if stype.replica_set:
        return f"a replica set of {_either(count for count in stype.instance_counts if count > 1)}"
    return "a master and replicas"


def _either(items: Iterable[object]) -> str:
    *first, last = (str(item) for item in items)
    return f"{', '.join(first)} or {last}" if first else last


def instance_count_message(stype: ServiceType, count: int) -> str:
    """Why a count is not one the type runs: `a mongodb service runs 1, 3 or 5 instances ...`."""
    counts = _either(stype.instance_counts)
    why = " (a replica set has an odd number of members)" if stype.replica_set else ""
    return f"a {stype.name} service runs {counts} instances{why}, not {count}"


def ports(node: YamlNode, ctx: Context, label: str) -> object:
    stype = ctx.service_type
    if stype is not None and stype.is_data:
        raise Problem(
            node, f"{label} is only for code services; a {stype.name} service has its own port"
        )
    declared = PORTS(node, ctx, label)
    seen: dict[str, str] = {}
    for key_node, _ in expect_mapping(node, label).entries:
        name = key_text(key_node)
        other = seen.setdefault(name.upper(), name)
        if other != name:
            raise Problem(
                key_node,
                f'port "{shorten(name)}" and port "{shorten(other)}" would both set PORT_'
                f"{name.upper()}: rename one",
            )
    return declared


PORTS = mapping_of(port_name, choice(PORT_PROTOCOLS, "port type"))


# --- config: the per-type keys come from the catalogue (ServiceType.config_keys) --------------


def config(node: YamlNode, ctx: Context, label: str) -> dict[str, object]:
    entries = expect_mapping(node, label).entries
    stype = ctx.service_type
    values = default_config(stype) if stype is not None else {}
    for key_node, value_node in entries:
        try:
            value = config_value(key_node, value_node, ctx)
        except Problem as problem:
            report(ctx, problem)
            continue
        if value is not UNSET:
            values[key_node.text] = value
    return values


UNSET = object()  # a key written with no value, which the platform's YAML loader left unset


def default_config(stype: ServiceType) -> dict[str, object]:
    return {name: key.default for name, key in stype.config_keys.items() if key.default is not None}


def config_value(key_node: Scalar, value_node: YamlNode, ctx: Context) -> object:
    name, stype = key_node.text, ctx.service_type
    if stype is None or stype.name == "custom":  # custom: free-form, exported as SERVICE_CONFIG_*
        return to_python(value_node)
    unset = to_python(value_node) is None
    if unset and (name in stype.platform_keys or _optional(stype, name)):
        # Public build files leave a key they do not use empty (`smtp_relay_username:`).
        ctx.reporter.warning(key_node, f'config "{name}" has no value; it is ignored')
        return UNSET
    if name in stype.platform_keys:
        password = stype.data_port is not None and name == stype.data_port.password_key
        why = "it generates the password" if password else "it names the replica set"
        raise Problem(key_node, f'config "{name}" is set by the platform ({why}); remove it')
    spec = stype.config_keys.get(name)
    if spec is None:
        ctx.reporter.warning(key_node, unknown_config_message(name, stype))
        return to_python(value_node)
    value = config_checker(name, spec)(value_node, ctx, f'config "{name}"')
    if note := spec.note_for(value):
        ctx.reporter.note(value_node, note)
    if name == stype.version_key and stype.version_note is not None:
        ctx.reporter.note(value_node, stype.version_note(str(value)))
    return value


def _optional(stype: ServiceType, name: str) -> bool:
    spec = stype.config_keys.get(name)
    return spec is not None and spec.default is None


def unknown_config_message(name: str, stype: ServiceType) -> str:
    message = f'unknown config key "{shorten(name)}" for a {stype.name} service'
    if not stype.config_keys:
        return f"{message} (it takes none); it is ignored"
    hint = did_you_mean(name, stype.config_keys)
    return f"{message}: {hint}" if hint else f"{message}; it is ignored"


def config_checker(name: str, spec: ConfigKey) -> Checker:
    if name == "python_version":
        return python_version
    if name == "node_version":
        return node_version
    if spec.type is bool:
        return boolean
    if spec.type is int:
        return integer(spec.minimum, spec.maximum)
    if spec.choices:
        return choice(spec.choices, "value")
    return string


def python_version(node: YamlNode, ctx: Context, label: str) -> str:
    """A version some runtime of the type accepts; a nearby Python runs it with a warning."""
    version = string(node, ctx, label)
    stype = ctx.service_type
    if stype is None:
        return version
    stack = python_stack(stype, version)
    runtime = stack.python if stack is not None else None
    if runtime is None:
        if version in PLATFORM_PYTHON_VERSIONS:
            raise Problem(node, unavailable_python_message(version, stype))
        accepted = tuple(name for known in stype.python_runtimes for name in known.accepts)
        return cast(str, choice(accepted, "value")(node, ctx, label))
    if version in runtime.noted:
        ctx.reporter.note(node, f"python_version {version} runs on Python {runtime.version} here")
    elif not runtime.runs_as_asked(version):
        ctx.reporter.warning(
            node, f"python_version {version} runs on Python {runtime.version} here"
        )
    return version


def unavailable_python_message(version: str, stype: ServiceType) -> str:
    runtimes = stype.python_runtimes
    major = version.removeprefix("v").split(".")[0]
    return (
        f"python_version {version}: Python {major} is not available here (the stack is Debian "
        f"{joined(runtime.debian for runtime in runtimes)}, with Python "
        f"{joined(runtime.version for runtime in runtimes)} only); use "
        f"{stype.config_keys['python_version'].default}"
    )


def node_version(node: YamlNode, ctx: Context, label: str) -> str:
    """A branch the platform offered; one with no binary here runs on the nearest, noted."""
    stype = ctx.service_type
    if stype is None:
        return string(node, ctx, label)
    branches = stype.config_keys["node_version"].choices
    version = cast(str, choice(branches, "value")(node, ctx, label))
    runtime = next(
        (found for stack in stype.stacks if (found := node_runtime_for(stack, version))), None
    )
    if runtime is None:
        raise Problem(node, f"node_version {version}: no Node of that branch is available here")
    if version in runtime.noted:
        ctx.reporter.note(
            node,
            f"node_version {version} runs on Node {runtime.version} here (no older official "
            "Node binary can be had)",
        )
    return version


def joined(words: Iterable[str]) -> str:
    return " and ".join(dict.fromkeys(words))


def requirement(node: YamlNode, ctx: Context, label: str) -> str:
    """A package to install; a type that installs them from Debian (php: PEAR and PECL; perl:
    modules) warns about one no Debian package serves, which is then not installed."""
    value = nonempty_string(node, ctx, label)
    stacks = ctx.service_type.stacks if ctx.service_type is not None else ()
    stack = next((found for found in stacks if found.installs_requirements), None)
    if stack is not None and stack.debian_package_for(value) is None:
        ctx.reporter.warning(
            node,
            f"requirement {names.printable(value)} is not installed: no Debian package "
            f"provides it for {ctx.service_type.name if ctx.service_type else stack.name} here",
        )
    return value


# --- the per-service schema ----------------------------------------------------------------

SERVICE_KEYS: dict[str, Checker] = {
    "approot": approot,
    "config": config,
    "environment": mapping_of(environment_name, environment_value),
    "instances": instances,
    "ports": ports,
    "process": string,
    "processes": mapping_of(process_name, nonempty_string),
    "prebuild": string,
    "postbuild": string,
    "postinstall": string,
    "requirements": list_of(requirement),
    "systempackages": list_of(matching(names.DEBIAN_PACKAGE)),
    "buildscript": buildscript,
    "ruby_version": scalar_text,  # legacy: the platform accepted it; nothing here uses it
    # ruby: Gemfile groups not installed (`bundle install --without`), as on the platform.
    "exclude_bundler_groups": list_of(nonempty_string),
}
KNOWN_KEYS = ("type", *SERVICE_KEYS)
