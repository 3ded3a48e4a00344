"""Renderers of the custom, postgresql and mysql types: exact key lines, quoting, no secrets."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import (
    buildscript_run,
    render_build_context,
    service_variables,
)
from dotcloud_emulator.render.files import File

from .test_render_contexts import stages, supervisor_programs

HOSTILE = """it's "$HOME" `id` 100%"""


def files_of(root: Path, service: Service) -> dict[str, str]:
    application = Application("shop", root, root / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(root / "state"))
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


def shell_syntax_ok(script: str) -> bool:
    return subprocess.run(["sh", "-n"], input=script, text=True, check=False).returncode == 0


def custom(**fields: object) -> Service:
    return Service("svc", "custom", approot="svc", **fields)  # type: ignore[arg-type]


# --- custom ---------------------------------------------------------------------------------------


def test_custom_context_has_supervisor_and_no_web_stack(tmp_path: Path) -> None:
    assert set(files_of(tmp_path, custom())) == {
        "Dockerfile",
        "ca-bundle.crt",  # for the trust stage of its buildscript's downloads
        "platform/profile",
        "platform/supervisord.conf",
        "platform/dotcloud-init",
        "platform/dotcloud-health",
        # the Python 2 tooling's fixes for the era's packages
        "platform/shims/pg_config",
        "platform/shims/era-cc",
    }
    tooling, _trust, stack = stages(files_of(tmp_path, custom())["Dockerfile"])[:3]
    assert "build-essential" in tooling
    assert "wget" in tooling
    # as on the platform, `python` and `virtualenv` in a buildscript are Python 2
    assert tooling.startswith("FROM debian:bullseye-slim")
    assert "python-is-python2" in tooling
    assert "ENV VIRTUALENV_PYTHON=python2.7" in tooling
    assert "install -y --no-install-recommends ca-certificates supervisor \\" in stack


def test_custom_runs_home_run_by_default_after_sourcing_its_profile(tmp_path: Path) -> None:
    programs = supervisor_programs(files_of(tmp_path, custom())["platform/supervisord.conf"])
    assert programs == {
        "svc": {
            "command": "/bin/bash -lc '[ -f ~/profile ] && . ~/profile; exec ~/run'",
            "directory": "/home/dotcloud",
            "autorestart": "true",
            "stopasgroup": "true",
            "killasgroup": "true",
            "stdout_logfile": "/dev/stdout",
            "stdout_logfile_maxbytes": "0",
            "stderr_logfile": "/dev/stderr",
            "stderr_logfile_maxbytes": "0",
        }
    }


def test_custom_processes_are_quoted_for_bash(tmp_path: Path) -> None:
    service = custom(processes=MappingProxyType({"feed": HOSTILE, "beat": "./beat"}))
    programs = supervisor_programs(files_of(tmp_path, service)["platform/supervisord.conf"])
    assert list(programs) == ["feed", "beat"]
    command = programs["feed"]["command"].replace("%%", "%")
    assert shlex.split(command) == [
        "/bin/bash",
        "-lc",
        f"[ -f ~/profile ] && . ~/profile; exec {HOSTILE}",
    ]


def test_the_buildscript_runs_as_dotcloud_from_the_code_root_between_the_hooks(
    tmp_path: Path,
) -> None:
    service = custom(buildscript="svc/builder", prebuild="echo pre", postbuild="echo post")
    final = stages(files_of(tmp_path, service)["Dockerfile"])[-1]
    run = next(line for line in final.splitlines() if line.startswith('RUN ["/usr/bin/env"'))
    assert final.index("USER dotcloud") < final.index("echo pre") < final.index(run)
    assert final.index(run) < final.index("echo post") < final.index("USER root")
    assert final.index("WORKDIR /home/dotcloud/code\n") < final.index(run)
    arguments = json.loads(run.removeprefix("RUN "))
    assert arguments[-3:] == [
        "/bin/sh",
        "-lc",
        "if [ ! -x ./svc/builder ]; then echo 'buildscript svc/builder is not executable' >&2;"
        " exit 126; fi; exec ./svc/builder",
    ]
    assert "SERVICE_BUILDSCRIPT=svc/builder" in arguments


def test_a_hostile_buildscript_path_and_values_stay_single_arguments(tmp_path: Path) -> None:
    service = custom(
        buildscript="build it; rm -rf ~",
        config=MappingProxyType({"motd": HOSTILE}),
    )
    run = next(
        line
        for line in files_of(tmp_path, service)["Dockerfile"].splitlines()
        if line.startswith('RUN ["/usr/bin/env"')
    )
    arguments = json.loads(run.removeprefix("RUN "))
    assert f"SERVICE_CONFIG_MOTD={HOSTILE}" in arguments
    assert "exec ./'build it; rm -rf ~'" in arguments[-1]


def test_service_variables_flatten_one_level_and_upper_case_keys() -> None:
    service = custom(
        buildscript="builder",
        instances=2,
        config=MappingProxyType({"python_version": "v2.7", "debug": True, "opts": {"a": 1}}),
        environment=MappingProxyType({"mode": "prod"}),
        ports=MappingProxyType({"www": "http", "feed": "tcp"}),
        systempackages=("libpq-dev", "memcached"),
        extra=MappingProxyType({"version": "9.2.4", "znc_user": None}),
    )
    assert service_variables(service) == {
        "SERVICE_APPROOT": "svc",
        "SERVICE_BUILDSCRIPT": "builder",
        "SERVICE_CONFIG_DEBUG": "true",
        "SERVICE_CONFIG_OPTS": '{"a": 1}',
        "SERVICE_CONFIG_PYTHON_VERSION": "v2.7",
        "SERVICE_ENVIRONMENT_MODE": "prod",
        "SERVICE_INSTANCES": "2",
        "SERVICE_PORTS_FEED": "tcp",
        "SERVICE_PORTS_WWW": "http",
        "SERVICE_POSTINSTALL": "",
        "SERVICE_PROCESS": "",
        "SERVICE_REQUIREMENTS": "",
        "SERVICE_SYSTEMPACKAGES": "libpq-dev memcached",
        "SERVICE_TYPE": "custom",
        "SERVICE_VERSION": "9.2.4",
        "SERVICE_ZNC_USER": "",
    }


def test_no_buildscript_no_build_step(tmp_path: Path) -> None:
    assert buildscript_run(custom()) == []
    assert buildscript_run(Service("www", "python", buildscript="b")) == []
    assert "/usr/bin/env" not in files_of(tmp_path, custom())["Dockerfile"]


def test_a_buildscript_outside_the_application_is_refused() -> None:
    with pytest.raises(UsageError, match=r'buildscript "../b" must be a file inside'):
        buildscript_run(custom(buildscript="../b"))


def test_custom_health_waits_for_tcp_and_http_ports_not_udp(tmp_path: Path) -> None:
    ports = MappingProxyType({"web": "http", "feed": "tcp", "stats": "udp"})
    health = files_of(tmp_path, custom(ports=ports))["platform/dotcloud-health"]
    assert "PORTS = (('web', 42800), ('feed', 42801))\n" in health
    assert 'SUPERVISORCTL = ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf"' in health
    compile(health, "dotcloud-health", "exec")
    without = files_of(tmp_path, custom())["platform/dotcloud-health"]
    assert "PORTS = ()\n" in without
    compile(without, "dotcloud-health", "exec")


# --- postgresql -----------------------------------------------------------------------------------


def postgresql(tmp_path: Path) -> dict[str, str]:
    return files_of(tmp_path, Service("db", "postgresql"))


def test_postgresql_context_and_dockerfile(tmp_path: Path) -> None:
    files = postgresql(tmp_path)
    assert set(files) == {
        "Dockerfile",
        "platform/profile",
        "platform/dotcloud-init",
        "platform/dotcloud-health",
        "platform/pg_hba.conf",
        "platform/pg_ident.conf",
    }
    dockerfile = files["Dockerfile"]
    assert (
        "RUN install -d /etc/postgresql-common/createcluster.d && echo 'create_main_cluster = "
        "false' > /etc/postgresql-common/createcluster.d/dotcloud.conf \\\n && apt-get update"
    ) in dockerfile
    assert "--no-install-recommends postgresql-15 \\" in dockerfile
    assert "COPY platform/pg_hba.conf /etc/dotcloud/pg_hba.conf\n" in dockerfile
    assert "EXPOSE 5432\nSTOPSIGNAL SIGINT\n" in dockerfile
    owned = "install -d -o dotcloud -g dotcloud /home/dotcloud/data /var/dotcloud /run/postgresql"
    assert owned in dockerfile
    assert "PASSWORD" not in dockerfile


def test_postgresql_init_gives_the_password_to_initdb_in_a_private_file(tmp_path: Path) -> None:
    init = postgresql(tmp_path)["platform/dotcloud-init"]
    assert 'password="$(profile_value DOTCLOUD_DB_SQL_PASSWORD)"' in init
    assert '(umask 077 && printf \'%s\\n\' "$password" > "$pwfile")' in init
    assert '--username=root --pwfile="$pwfile"' in init
    assert "--auth-host=md5" in init
    assert 'rm -f "$pwfile"' in init
    # Stored as md5 for the drivers of 2012; the password goes on stdin, never on a command line.
    assert "SET password_encryption = 'md5'; ALTER ROLE root PASSWORD '%s';" in init
    assert "-c password_encryption=md5" in init
    assert 'if [ -f "$MARKER" ]; then\n        return 0' in init
    assert 'echo "CREATE DATABASE root;"' in init
    assert "-c listen_addresses='*' -c port=5432" in init
    assert shell_syntax_ok(init)


def test_postgresql_asks_every_network_client_for_a_password(tmp_path: Path) -> None:
    hba = postgresql(tmp_path)["platform/pg_hba.conf"]
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert rules == [
        ["local", "all", "all", "peer", "map=dotcloud"],
        ["host", "all", "all", "0.0.0.0/0", "md5"],
        ["host", "all", "all", "::/0", "md5"],
    ]
    assert "dotcloud   dotcloud         root\n" in postgresql(tmp_path)["platform/pg_ident.conf"]


def test_postgresql_health_logs_in_with_the_password_from_the_environment(
    tmp_path: Path,
) -> None:
    health = postgresql(tmp_path)["platform/dotcloud-health"]
    assert 'PGPASSWORD="${DOTCLOUD_DB_SQL_PASSWORD:-}"\nexport PGPASSWORD\n' in health
    assert '"$PGBIN/pg_isready" -q -h 127.0.0.1 -p 5432 -d template1' in health
    assert "-h 127.0.0.1 -p 5432 -U root -d template1 -tAc 'SELECT 1'" in health
    assert shell_syntax_ok(health)


# --- mysql (MariaDB) ------------------------------------------------------------------------------


def mysql(tmp_path: Path) -> dict[str, str]:
    return files_of(tmp_path, Service("mdb", "mysql"))


def test_mysql_is_mariadb_configured_after_debian(tmp_path: Path) -> None:
    files = mysql(tmp_path)
    dockerfile = files["Dockerfile"]
    assert "--no-install-recommends mariadb-server \\" in dockerfile
    assert "COPY platform/dotcloud.cnf /etc/mysql/mariadb.conf.d/99-dotcloud.cnf\n" in dockerfile
    assert "EXPOSE 3306\n" in dockerfile
    assert "STOPSIGNAL" not in dockerfile
    cnf = files["platform/dotcloud.cnf"]
    for line in (
        "datadir = /home/dotcloud/data/mysql",
        "bind-address = 0.0.0.0",
        "socket = /var/dotcloud/mysqld.sock",
        "port = 3306",
        "skip-name-resolve",
    ):
        assert f"\n{line}\n" in cnf


def test_mysql_init_sets_the_login_over_stdin(tmp_path: Path) -> None:
    init = mysql(tmp_path)["platform/dotcloud-init"]
    assert 'password="$(profile_value DOTCLOUD_MDB_MYSQL_PASSWORD)"' in init
    assert "printf \"CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\\n\" \"$password\"" in init
    assert "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%%' WITH GRANT OPTION;" in init
    assert 'login_sql | as_dotcloud mariadb --socket="$INIT_SOCKET"' in init
    assert "--skip-networking" in init
    assert "*[!A-Za-z0-9_-]*)" in init
    assert 'if [ -f "$MARKER" ]; then\n        return 0' in init
    assert shell_syntax_ok(init)


def test_mysql_health_reads_the_password_from_a_private_option_file(tmp_path: Path) -> None:
    files = mysql(tmp_path)
    init, health = files["platform/dotcloud-init"], files["platform/dotcloud-health"]
    assert "HEALTH_OPTIONS=/root/.dotcloud-health.cnf" in init
    assert "umask 077" in init[init.index("write_health_options()") :]
    assert "OPTIONS=--defaults-extra-file=/root/.dotcloud-health.cnf" in health
    assert 'mariadb-admin "$OPTIONS" --connect-timeout=5 ping' in health
    assert "-N -B -e 'SELECT 1'" in health
    assert "$password" not in health
    assert "DOTCLOUD_MDB_MYSQL_PASSWORD" not in health
    assert shell_syntax_ok(health)
