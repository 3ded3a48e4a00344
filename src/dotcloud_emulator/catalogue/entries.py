"""Every dotCloud service type and what the emulator does with it: one entry per type.

Adding a type or a config key is one entry here, not another `if`; adding a Python is one entry of
`stacks.PYTHON_RUNTIMES`.
"""

from __future__ import annotations

from dotcloud_emulator.catalogue import perl, stacks
from dotcloud_emulator.catalogue.model import ConfigKey, DataPort, PythonRuntime, ServiceType, Stack

# The python_version values the platform offered; those no runtime here accepts are refused.
PLATFORM_PYTHON_VERSIONS = ("v2.6", "v2.7", "v3.1", "v3.2")
# The platform's default: a build file that names no python_version gets Python 2 (2.7 here).
DEFAULT_PYTHON_VERSION = "v2.6"
# The node_version branches the platform offered (v0.10.x came last), and its default.
PLATFORM_NODE_VERSIONS = ("v0.4.x", "v0.6.x", "v0.8.x", "v0.10.x")
DEFAULT_NODE_VERSION = "v0.4.x"  # Node 0.4.12 there


def python_version_key(runtimes: tuple[PythonRuntime, ...]) -> ConfigKey:
    """`python_version`: the interpreter of the virtualenv ~/env."""
    accepted = [version for runtime in runtimes for version in runtime.accepts]
    return ConfigKey(
        str,
        DEFAULT_PYTHON_VERSION,
        choices=tuple(dict.fromkeys([*accepted, *PLATFORM_PYTHON_VERSIONS])),
    )


_UWSGI_KEYS: dict[str, ConfigKey] = {
    "uwsgi_processes": ConfigKey(int, 4, minimum=1, maximum=64),  # uWSGI worker processes
    "uwsgi_harakiri": ConfigKey(int, None, minimum=1),  # kill a request after N seconds
    "uwsgi_buffer_size": ConfigKey(int, 4096, minimum=512, maximum=65535),  # request headers
    "uwsgi_enable_threads": ConfigKey(bool, False),  # let the app start threads
    "uwsgi_single_interpreter": ConfigKey(bool, False),  # one interpreter per worker
    "uwsgi_memory_report": ConfigKey(bool, False),  # log memory use per request
    "enable_newrelic": ConfigKey(bool, False),  # accepted and ignored: no New Relic here
}

_SMTP_KEYS: dict[str, ConfigKey] = {
    "smtp_server": ConfigKey(str),
    "smtp_port": ConfigKey(int, minimum=1, maximum=65535),
    "smtp_username": ConfigKey(str),
    "smtp_password": ConfigKey(str),
}


# PHP-FPM's worker processes: the platform "always had 4 workers running".
_PHPFPM_PROCESSES = ConfigKey(int, 4, minimum=1, maximum=64)

# The platform's Ruby versions (1.9.2 its default) and Rack environment (RACK_ENV, RAILS_ENV).
PLATFORM_RUBY_VERSIONS = ("ree", "1.9.2", "1.9.3")
DEFAULT_RUBY_VERSION = "1.9.2"
_RUBY_KEYS: dict[str, ConfigKey] = {
    "ruby-version": ConfigKey(str, DEFAULT_RUBY_VERSION, choices=PLATFORM_RUBY_VERSIONS),
    "rack-env": ConfigKey(str, "production"),
}


def python_type(runtimes: tuple[PythonRuntime, ...]) -> ServiceType:
    return ServiceType(
        "python",
        "code",
        "host any Python/WSGI web app: Django, Pylons, Web2py...",
        stacks=tuple(stacks.python_web_stack(runtime) for runtime in runtimes),
        http=True,
        config_keys={"python_version": python_version_key(runtimes), **_UWSGI_KEYS, **_SMTP_KEYS},
    )


def python_worker_type(runtimes: tuple[PythonRuntime, ...]) -> ServiceType:
    return ServiceType(
        "python-worker",
        "code",
        "run background Python processes",
        stacks=tuple(stacks.python_worker_stack(runtime) for runtime in runtimes),
        config_keys={"python_version": python_version_key(runtimes), **_SMTP_KEYS},
    )


def nodejs_type() -> ServiceType:
    """Supervisor runs the application's own programs; a web one listens on 8080 (PORT_WWW)."""
    return ServiceType(
        "nodejs",
        "code",
        "run JavaScript processes (including web apps)",
        stacks=(stacks.nodejs_stack(),),
        http=True,
        http_port_name="www",
        config_keys={
            # The platform's default branch; it runs on the nearest Node that can be had.
            "node_version": ConfigKey(str, DEFAULT_NODE_VERSION, choices=PLATFORM_NODE_VERSIONS),
            **_SMTP_KEYS,
        },
    )


def java_type() -> ServiceType:
    """Jetty deploys the approot's WARs; the platform's versions run on Debian's Jetty and Java."""
    jetty, java = f"Jetty {stacks.JETTY_VERSION}", f"OpenJDK {stacks.JAVA_VERSION}"
    return ServiceType(
        "java",
        "code",
        "host any Java servlet (also Clojure, Play!, and much more)",
        stacks=(stacks.JAVA,),
        http=True,
        config_keys={
            # Megabytes: -Xms and -Xmx of Jetty's JVM (unset: the JVM's own choice).
            "java_initial_heap_size": ConfigKey(int, None, minimum=1),
            "java_maximum_heap_size": ConfigKey(int, None, minimum=1),
            "java_maximum_permgen_size": ConfigKey(
                int,
                None,
                minimum=1,
                notes=(
                    (
                        "*",
                        f"java_maximum_permgen_size has no effect here: {java} has no permanent "
                        "generation (class metadata lives in Metaspace, which grows as needed)",
                    ),
                ),
            ),
            "jetty_version": ConfigKey(
                str,
                stacks.PLATFORM_JETTY_VERSIONS[0],
                choices=stacks.PLATFORM_JETTY_VERSIONS,
                notes=tuple(
                    (version, f"jetty_version {version} runs on {jetty} here (Debian's jetty9)")
                    for version in stacks.PLATFORM_JETTY_VERSIONS
                ),
            ),
            "java_version": ConfigKey(
                str,
                stacks.PLATFORM_JAVA_VERSIONS[0],
                choices=stacks.PLATFORM_JAVA_VERSIONS,
                notes=tuple(
                    (version, f"java_version {version} runs on {java} here (Debian's JRE)")
                    for version in stacks.PLATFORM_JAVA_VERSIONS
                ),
            ),
            **_SMTP_KEYS,
        },
    )


# perl_version: every branch the platform offered runs on Debian's Perl, with a note saying so.
_PERL_VERSION = ConfigKey(str, perl.DEFAULT_PERL_VERSION, choices=perl.PLATFORM_PERL_VERSIONS)
_PERL_UWSGI_KEYS = {
    name: _UWSGI_KEYS[name]
    for name in ("uwsgi_processes", "uwsgi_memory_report", "uwsgi_buffer_size", "uwsgi_harakiri")
}


def perl_type() -> ServiceType:
    """nginx -> uWSGI's PSGI plugin -> the approot's app.psgi; /static from static/."""
    return ServiceType(
        "perl",
        "code",
        "host any Perl/PSGI web app: Plack, Mojolicious, Dancer...",
        (stacks.PERL,),
        http=True,
        config_keys={"perl_version": _PERL_VERSION, **_PERL_UWSGI_KEYS, **_SMTP_KEYS},
        version_key="perl_version",
        version_note=perl.perl_version_note,
    )


def perl_worker_type() -> ServiceType:
    return ServiceType(
        "perl-worker",
        "code",
        "run backgound Perl processes",  # sic: the platform's own description
        (stacks.PERL_WORKER,),
        config_keys={"perl_version": _PERL_VERSION, **_SMTP_KEYS},
        version_key="perl_version",
        version_note=perl.perl_version_note,
    )


def data_type(
    name: str,
    description: str,
    stack: Stack,
    port: DataPort,
    *,
    start_period: int,
    config_keys: dict[str, ConfigKey] | None = None,
    replicated: bool = False,
    default_instances: int = 1,
    more_ports: tuple[DataPort, ...] = (),
    instance_counts: tuple[int, ...] = (),
    replica_set: bool = False,
    platform_keys: tuple[str, ...] = (),
) -> ServiceType:
    return ServiceType(
        name,
        "data",
        description,
        stacks=(stack,),
        data_port=port,
        more_ports=more_ports,
        config_keys=config_keys or {},
        platform_keys=(port.password_key, *platform_keys),
        start_period=start_period,
        replicated=replicated,
        default_instances=default_instances,
        instance_counts=instance_counts,
        replica_set=replica_set,
    )


# The platform's smarthost settings: accepted; the emulator's relay keeps every message instead.
_SMTP_RELAY_KEYS: dict[str, ConfigKey] = {
    "smtp_relay_server": ConfigKey(str),
    "smtp_relay_port": ConfigKey(int, minimum=1, maximum=65535),
    "smtp_relay_username": ConfigKey(str),
    "smtp_relay_password": ConfigKey(str),
}


# MariaDB: replicas log in to the master as `replicator`, with a password of their own.
_MYSQL_PORT = DataPort(
    "mysql", "MYSQL", "mysql", 3306, "root", "mysql_password", replication_login="replicator"
)


# The server id of instance 0 (each other instance adds its number): the platform's recipe for
# extra slaves set one per standalone service so that they could replicate each other.
_MYSQL_KEYS: dict[str, ConfigKey] = {
    "mysql_serverid": ConfigKey(int, None, minimum=1, maximum=4_000_000_000),
}


# The platform's mongod tuning keys: accepted, with no effect on the emulator's server.
_MONGODB_KEYS: dict[str, ConfigKey] = {
    "mongodb_oplog_size": ConfigKey(int, 256, minimum=1),
    "mongodb_noprealloc": ConfigKey(bool, False),
    "mongodb_nopreallocj": ConfigKey(bool, False),
    "mongodb_smallfiles": ConfigKey(bool, False),
}


SERVICE_TYPES: dict[str, ServiceType] = {
    t.name: t
    for t in (
        python_type(stacks.PYTHON_RUNTIMES),
        python_worker_type(stacks.PYTHON_RUNTIMES),
        ServiceType("static", "static", "host static HTTP content", (stacks.STATIC,), http=True),
        ServiceType("custom", "code", "custom", (stacks.CUSTOM,)),
        data_type(
            "redis",
            "advanced key-value store",
            stacks.REDIS,
            DataPort("redis", "REDIS", "redis", 6379, "root", "redis_password"),
            start_period=30,
            replicated=True,
        ),
        # A database's first start creates its files before it answers.
        data_type(
            "postgresql",
            "the world's most advanced open source database",
            stacks.POSTGRESQL,
            DataPort("sql", "SQL", "pgsql", 5432, "root", "postgresql_password"),
            start_period=120,
        ),
        data_type(
            "mysql",  # served by MariaDB 10.11 (Debian has no Oracle MySQL)
            "the world's most popular open source database",
            stacks.MYSQL,
            _MYSQL_PORT,
            start_period=120,
            config_keys=_MYSQL_KEYS,
            replicated=True,
        ),
        ServiceType(
            "ruby",
            "code",
            "host any Ruby/Rack web app: Rails, Sinatra...",
            (stacks.RUBY,),
            http=True,
            config_keys={**_RUBY_KEYS, **_SMTP_KEYS},
            version_key="ruby-version",
            version_note=stacks.ruby_version_note,
        ),
        ServiceType(
            "ruby-worker",
            "code",
            "run background Ruby processes",
            (stacks.RUBY_WORKER,),
            config_keys={**_RUBY_KEYS, **_SMTP_KEYS},
            version_key="ruby-version",
            version_note=stacks.ruby_version_note,
        ),
        perl_type(),
        perl_worker_type(),
        ServiceType(
            "php",
            "code",
            "host any PHP web app: Drupal, WordPress...",
            (stacks.PHP,),
            http=True,
            config_keys={"phpfpm_processes": _PHPFPM_PROCESSES, **_SMTP_KEYS},
        ),
        ServiceType(
            "php-worker",
            "code",
            "run background PHP processes",
            (stacks.PHP_WORKER,),
            config_keys=dict(_SMTP_KEYS),
        ),
        nodejs_type(),
        java_type(),
        ServiceType("opa", "code", "the unified language for web 2.0 development"),
        # The platform's older name for a scaled mysql: a master and a slave unless told more.
        data_type(
            "mysql-masterslave",
            "MySQL Master/Slave replicated deployment",
            stacks.MYSQL,
            _MYSQL_PORT,
            start_period=120,
            config_keys=_MYSQL_KEYS,
            replicated=True,
            default_instances=2,
        ),
        data_type(
            "postgis",
            "PostgreSQL with the PostGIS extensions",
            stacks.POSTGIS,
            DataPort("sql", "SQL", "pgsql", 5432, "root", "postgresql_password"),
            start_period=120,
        ),
        # Served by the emulator's own MongoDB-protocol server (docs/mongodb.md).
        data_type(
            "mongodb",
            "scalable, high-performance, document-oriented database",
            stacks.MONGODB,
            DataPort("mongodb", "MONGODB", "mongodb", 27017, "root", "mongodb_password"),
            start_period=30,
            config_keys=_MONGODB_KEYS,
            # The platform's replica sets: 3 or 5 members, odd so that a majority can elect.
            replicated=True,
            instance_counts=(1, 3, 5),
            replica_set=True,
            platform_keys=("mongodb_replset",),
        ),
        # The platform's rabbitmq (removed in 2013) is documented nowhere: its variables come
        # from applications of the time (DOTCLOUD_<SVC>_AMQP_{HOST,PORT,LOGIN,PASSWORD} and
        # DOTCLOUD_<SVC>_HTTP_HOST, the management API). The login is `root` as on the other data
        # services, on RabbitMQ's default vhost `/` (what an AMQP URL with no path names), and
        # the HTTP port is the management plugin's: both inferences (reference §2.3).
        data_type(
            "rabbitmq",
            "AMQP message queue server",
            stacks.RABBITMQ,
            DataPort("amqp", "AMQP", "amqp", 5672, "root", "rabbitmq_password"),
            start_period=90,
            more_ports=(DataPort("http", "HTTP", "http", 15672, "root", "rabbitmq_password"),),
        ),
        ServiceType(
            "solr",
            "data",
            "the search server based on the Lucene Java search library",
            refusal=(
                "Debian packages no Solr (bookworm and bullseye have no solr-tomcat or "
                "solr-jetty) and neither PyPI nor npm serves its server; run Solr as a custom "
                "service (openjdk-17-jre-headless in its systempackages, Solr unpacked by its "
                "buildscript, a tcp port in its ports) and point the application at that port"
            ),
        ),
        # Served by the emulator's own relay: every message is kept, none is sent on.
        data_type(
            "smtp",
            "authenticated SMTP relay to send e-mails reliably",
            stacks.SMTP,
            DataPort("smtp", "SMTP", "smtp", 25, "dotcloud", "smtp_password"),
            start_period=30,
            config_keys=_SMTP_RELAY_KEYS,
        ),
    )
}
