"""Every dotCloud service type, what the emulator does with it, and its per-type facts.

The catalogue is data: adding a type or a config key is one entry here, not another `if`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["code", "data"]


@dataclass(frozen=True)
class ConfigKey:
    """A `config:` key a user may set: its YAML type, its default and any allowed values."""

    type: type
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


@dataclass(frozen=True)
class DataPort:
    """The port a data service exposes and how its DOTCLOUD_<SVC>_<INFIX>_* variables are named."""

    name: str  # the port name shown by `info` (redis, mysql, sql)
    infix: str  # the variable infix (REDIS, MYSQL, SQL)
    scheme: str  # the URL scheme (redis, mysql, pgsql)
    port: int  # the daemon's port inside the stack
    login: str
    password_key: str  # the platform-set config key holding the generated password


@dataclass(frozen=True)
class ServiceType:
    name: str
    kind: Kind
    description: str
    runnable: bool = False
    http: bool = False  # has an HTTP front end routed by the gateway
    data_port: DataPort | None = None
    config_keys: dict[str, ConfigKey] = field(default_factory=dict)
    # Config keys the platform sets itself (passwords); a user may not set them.
    platform_keys: tuple[str, ...] = ()
    served_by: str = ""  # the server that stands in for the platform's, where it differs


# Python versions: what a build file may say, and the interpreter that runs it here.
# Debian bookworm, the stack's base, ships Python 3.11 only.
PYTHON_VERSIONS: dict[str, str] = {"v3.11": "3.11", "v3": "3.11"}
LEGACY_PYTHON3 = ("v3.1", "v3.2")  # accepted with a warning: they run on 3.11 here
PYTHON2 = ("v2.6", "v2.7")  # refused: Python 2 is not available in the stack
DEFAULT_PYTHON_VERSION = "v3.11"

_UWSGI_KEYS: dict[str, ConfigKey] = {
    "python_version": ConfigKey(
        str,
        DEFAULT_PYTHON_VERSION,
        choices=(*PYTHON_VERSIONS, *LEGACY_PYTHON3, *PYTHON2),
        help="interpreter for the virtualenv ~/env",
    ),
    "uwsgi_processes": ConfigKey(int, 4, minimum=1, maximum=64, help="uWSGI worker processes"),
    "uwsgi_harakiri": ConfigKey(int, None, minimum=1, help="kill a request after N seconds"),
    "uwsgi_buffer_size": ConfigKey(
        int, 4096, minimum=512, maximum=65535, help="request header buffer"
    ),
    "uwsgi_enable_threads": ConfigKey(bool, False, help="let the app start threads"),
    "uwsgi_single_interpreter": ConfigKey(bool, False, help="one interpreter per worker"),
    "uwsgi_memory_report": ConfigKey(bool, False, help="log memory use per request"),
    "enable_newrelic": ConfigKey(bool, False, help="accepted and ignored: no New Relic here"),
}
_PYTHON_WORKER_KEYS = {"python_version": _UWSGI_KEYS["python_version"]}

_SMTP_KEYS: dict[str, ConfigKey] = {
    "smtp_server": ConfigKey(str),
    "smtp_port": ConfigKey(int, minimum=1, maximum=65535),
    "smtp_username": ConfigKey(str),
    "smtp_password": ConfigKey(str),
}

SERVICE_TYPES: dict[str, ServiceType] = {
    t.name: t
    for t in (
        ServiceType(
            "python",
            "code",
            "host any Python/WSGI web app: Django, Pylons, Web2py...",
            runnable=True,
            http=True,
            config_keys={**_UWSGI_KEYS, **_SMTP_KEYS},
        ),
        ServiceType(
            "python-worker",
            "code",
            "run background Python processes",
            runnable=True,
            config_keys={**_PYTHON_WORKER_KEYS, **_SMTP_KEYS},
        ),
        ServiceType("static", "code", "host static HTTP content", runnable=True, http=True),
        ServiceType("custom", "code", "custom", runnable=True),
        ServiceType(
            "redis",
            "data",
            "advanced key-value store",
            runnable=True,
            data_port=DataPort("redis", "REDIS", "redis", 6379, "root", "redis_password"),
            platform_keys=("redis_password",),
        ),
        ServiceType(
            "postgresql",
            "data",
            "the world's most advanced open source database",
            runnable=True,
            data_port=DataPort("sql", "SQL", "pgsql", 5432, "root", "postgresql_password"),
            platform_keys=("postgresql_password",),
        ),
        ServiceType(
            "mysql",
            "data",
            "the world's most popular open source database",
            runnable=True,
            data_port=DataPort("mysql", "MYSQL", "mysql", 3306, "root", "mysql_password"),
            platform_keys=("mysql_password",),
            served_by="MariaDB 10.11 (Debian has no Oracle MySQL)",
        ),
        ServiceType("ruby", "code", "host any Ruby/Rack web app: Rails, Sinatra..."),
        ServiceType("ruby-worker", "code", "run background Ruby processes"),
        ServiceType("perl", "code", "host any Perl/PSGI web app: Plack, Mojolicious, Dancer..."),
        ServiceType("perl-worker", "code", "run backgound Perl processes"),
        ServiceType("php", "code", "host any PHP web app: Drupal, WordPress..."),
        ServiceType("php-worker", "code", "run background PHP processes"),
        ServiceType("nodejs", "code", "run JavaScript processes (including web apps)"),
        ServiceType("java", "code", "host any Java servlet (also Clojure, Play!, and much more)"),
        ServiceType("opa", "code", "the unified language for web 2.0 development"),
        ServiceType("mysql-masterslave", "data", "MySQL Master/Slave replicated deployment"),
        ServiceType("postgis", "data", "PostgreSQL with the PostGIS extensions"),
        ServiceType("mongodb", "data", "scalable, high-performance, document-oriented database"),
        ServiceType("rabbitmq", "data", "AMQP message queue server"),
        ServiceType("solr", "data", "the search server based on the Lucene Java search library"),
        ServiceType("smtp", "data", "authenticated SMTP relay to send e-mails reliably"),
    )
}

RUNNABLE_TYPES = tuple(name for name, t in SERVICE_TYPES.items() if t.runnable)


def service_type(name: str) -> ServiceType:
    return SERVICE_TYPES[name]
