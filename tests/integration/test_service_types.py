"""static, python-worker, custom, postgresql, postgis and mysql (MariaDB), run for real in one app.

One `up` for the module. Database clients run from this machine's network namespace in a throwaway
container of the service's own image (`--network host`), so the URLs `info` prints are tried from
here without installing a database driver on the host.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import yaml

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import Cli, RunningApp, running_app

BUILD_FILE = """\
site:
  type: static
  approot: site
worker:
  type: python-worker
  approot: worker
  process: python -u loop.py
db:
  type: postgresql
gis:
  type: postgis
mdb:
  type: mysql
svc:
  type: custom
  approot: custom
  buildscript: custom/builder
  systempackages: [netcat-openbsd]
  ports:
    echo: tcp
    web: http
    beacon: udp
  config:
    greeting: hello world
  flavour: vanilla
"""
SITE_NGINX_CONF = """\
add_header X-App-Conf included;
location = /from-app-conf {
    return 200 "from the app's nginx.conf\\n";
}
"""
WORKER_LOOP = """\
import signal

signal.pause()
"""
BUILDER = """\
#!/bin/sh
set -e
env | grep '^SERVICE_' | sort > "$HOME/service-variables"
pwd > "$HOME/build-cwd"
id -un > "$HOME/build-user"
cp custom/run.py "$HOME/run.py"
printf '#!/bin/sh\\nexec python3 -u "$HOME/run.py"\\n' > "$HOME/run"
chmod +x "$HOME/run"
echo 'export FROM_PROFILE=yes' > "$HOME/profile"
"""
CUSTOM_SERVER = """\
import http.server
import os
import socketserver
import threading


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)


class Datagram(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"custom profile={os.environ.get('FROM_PROFILE')}\\n".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


socketserver.ThreadingTCPServer.allow_reuse_address = True
servers = [
    socketserver.ThreadingTCPServer(("0.0.0.0", int(os.environ["PORT_ECHO"])), Echo),
    socketserver.ThreadingUDPServer(("0.0.0.0", int(os.environ["PORT_BEACON"])), Datagram),
    http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT_WEB"])), Page),
]
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""


def write_app(appdir: Path) -> Path:
    files = {
        "dotcloud.yml": BUILD_FILE,
        "site/index.html": "<h1>static ok</h1>\n",
        "site/nginx.conf": SITE_NGINX_CONF,
        "worker/loop.py": WORKER_LOOP,
        "custom/builder": BUILDER,
        "custom/run.py": CUSTOM_SERVER,
    }
    for name, content in files.items():
        (appdir / name).parent.mkdir(parents=True, exist_ok=True)
        (appdir / name).write_text(content)
    (appdir / "custom/builder").chmod(0o755)
    return appdir


@pytest.fixture(scope="module")
def types_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = write_app(tmp_path_factory.mktemp("types"))
    with running_app(cli, "types", appdir, cleanup_apps) as app:
        yield app


def run_in(cli: Cli, app: RunningApp, service: str, command: str) -> str:
    return cli.run("run", f"{app.name}.{service}", "--", command).stdout


def container(app: RunningApp, service: str) -> Any:
    selector = [f"{LABEL_APP}={app.name}", f"{LABEL_SERVICE}={service}", f"{LABEL_INSTANCE}=0"]
    (found,) = docker.from_env().containers.list(filters={"label": selector})
    return found


def host_port(app: RunningApp, service: str, port: str) -> int:
    bindings = container(app, service).attrs["NetworkSettings"]["Ports"][port]
    (binding,) = [b for b in bindings if b["HostIp"] == "127.0.0.1"]
    return int(binding["HostPort"])


def info(cli: Cli, app: RunningApp, service: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(cli.run("info", f"{app.name}.{service}").stdout)
    return document


def client_on_this_machine(
    app: RunningApp, service: str, entrypoint: str, args: list[str], env: dict[str, str]
) -> str:
    """Run a database client of the service's image in the host's network namespace."""
    output = docker.from_env().containers.run(
        f"dotcloud-{app.name}/{service}:latest",
        args,
        entrypoint=entrypoint,
        environment=env,
        network_mode="host",
        labels={LABEL_APP: app.name},
        remove=True,
        stderr=True,
    )
    return output.decode().strip() if isinstance(output, bytes) else str(output).strip()


# --- static ---------------------------------------------------------------------------------------


def test_static_serves_the_approot_with_the_apps_nginx_conf(types_app: RunningApp) -> None:
    host = {"Host": types_app.host("site")}
    page = requests.get(f"{types_app.base}/", headers=host, timeout=10)
    extra = requests.get(f"{types_app.base}/from-app-conf", headers=host, timeout=10)

    assert page.status_code == 200
    assert page.text == "<h1>static ok</h1>\n"
    assert page.headers["X-App-Conf"] == "included"
    assert extra.text == "from the app's nginx.conf\n"


# --- python-worker --------------------------------------------------------------------------------


def test_the_worker_process_runs_under_supervisor_as_dotcloud(
    types_app: RunningApp, cli: Cli
) -> None:
    status = run_in(cli, types_app, "worker", "supervisorctl status")
    owner = run_in(
        cli, types_app, "worker", "stat -c %U /proc/$(supervisorctl pid worker) && ls ~/env/bin"
    )

    assert status.split()[:2] == ["worker", "RUNNING"]
    assert owner.splitlines()[0] == "dotcloud"
    assert "python" in owner.split()


# --- custom ---------------------------------------------------------------------------------------


def test_the_buildscript_ran_as_dotcloud_from_the_code_root_with_service_variables(
    types_app: RunningApp, cli: Cli
) -> None:
    output = run_in(
        cli, types_app, "svc", "cat ~/build-user ~/build-cwd ~/service-variables; command -v nc"
    )
    lines = output.splitlines()

    assert lines[:2] == ["dotcloud", "/home/dotcloud/code"]
    for variable in (
        "SERVICE_APPROOT=custom",
        "SERVICE_BUILDSCRIPT=custom/builder",
        "SERVICE_CONFIG_GREETING=hello world",
        "SERVICE_FLAVOUR=vanilla",
        "SERVICE_PORTS_ECHO=tcp",
        "SERVICE_SYSTEMPACKAGES=netcat-openbsd",
        "SERVICE_TYPE=custom",
    ):
        assert variable in lines
    assert lines[-1] == "/usr/bin/nc"


def test_custom_tcp_and_udp_ports_answer_on_loopback(types_app: RunningApp, cli: Cli) -> None:
    tcp_port = host_port(types_app, "svc", "42800/tcp")
    udp_port = host_port(types_app, "svc", "42802/udp")
    shown = {port["url"] for port in info(cli, types_app, "svc")["ports"]}
    assert {f"tcp://127.0.0.1:{tcp_port}", f"udp://127.0.0.1:{udp_port}"} <= shown

    with socket.create_connection(("127.0.0.1", tcp_port), timeout=10) as echo:
        echo.sendall(b"ping over tcp\n")
        assert echo.makefile("rb").readline() == b"ping over tcp\n"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as beacon:
        beacon.settimeout(10)
        beacon.sendto(b"ping over udp", ("127.0.0.1", udp_port))
        assert beacon.recvfrom(100)[0] == b"ping over udp"


def test_custom_http_port_is_routed_by_the_gateway_and_sees_the_profile(
    types_app: RunningApp, cli: Cli
) -> None:
    response = requests.get(
        f"{types_app.base}/", headers={"Host": types_app.host("svc")}, timeout=10
    )
    environment = run_in(cli, types_app, "svc", "echo $PORT_ECHO $PORT_WEB $PORT_BEACON")

    assert response.status_code == 200
    assert response.text == "custom profile=yes\n"
    assert environment.split() == ["42800", "42801", "42802"]


# --- postgresql and mysql -------------------------------------------------------------------------


def test_info_postgresql_gives_a_url_that_works_from_this_machine(
    types_app: RunningApp, cli: Cli
) -> None:
    details = info(cli, types_app, "db")
    password = details["config"]["postgresql_password"]
    (url,) = [p["url"] for p in details["ports"] if p["name"] == "sql"]
    port = host_port(types_app, "db", "5432/tcp")
    assert url == f"pgsql://root:{password}@127.0.0.1:{port}"

    libpq_url = url.replace("pgsql://", "postgresql://", 1)  # libpq does not know pgsql://
    psql = "/usr/lib/postgresql/15/bin/psql"
    query = ["-X", "-tA", "-c", "SELECT current_user || ' ' || current_database()"]
    assert client_on_this_machine(types_app, "db", psql, [libpq_url, *query], {}) == "root root"
    denied = client_on_this_machine(
        types_app,
        "db",
        "/bin/sh",
        ["-c", f'{psql} -w "$URL" -c "SELECT 1" 2>&1 || true'],
        {"URL": libpq_url.replace(password, "wrong")},
    )
    assert 'password authentication failed for user "root"' in denied


def test_postgis_has_the_extension_and_the_postgresql_contract(
    types_app: RunningApp, cli: Cli
) -> None:
    details = info(cli, types_app, "gis")
    password = details["config"]["postgresql_password"]
    (url,) = [p["url"] for p in details["ports"] if p["name"] == "sql"]
    assert url == f"pgsql://root:{password}@127.0.0.1:{host_port(types_app, 'gis', '5432/tcp')}"
    environment = json.loads(
        run_in(cli, types_app, "worker", "cat /home/dotcloud/environment.json")
    )
    assert environment["DOTCLOUD_GIS_SQL_PASSWORD"] == password
    assert environment["DOTCLOUD_GIS_SQL_LOGIN"] == "root"

    libpq_url = url.replace("pgsql://", "postgresql://", 1)
    psql = "/usr/lib/postgresql/15/bin/psql"
    query = (
        "CREATE EXTENSION IF NOT EXISTS postgis; "
        "SELECT round(ST_Distance('POINT(0 0)'::geography, 'POINT(0 1)'::geography) / 1000)"
    )
    answer = client_on_this_machine(
        types_app, "gis", psql, [libpq_url, "-X", "-tA", "-c", query], {}
    )
    assert answer.splitlines()[-1] == "111"  # one degree of latitude at the equator, in km


def test_info_mysql_gives_a_url_that_works_from_this_machine(
    types_app: RunningApp, cli: Cli
) -> None:
    details = info(cli, types_app, "mdb")
    password = details["config"]["mysql_password"]
    (url,) = [p["url"] for p in details["ports"] if p["name"] == "mysql"]
    port = host_port(types_app, "mdb", "3306/tcp")
    assert url == f"mysql://root:{password}@127.0.0.1:{port}"

    login = ["-h", "127.0.0.1", "-P", str(port), "-u", "root", "-N", "-B", "-e"]
    answer = client_on_this_machine(
        types_app,
        "mdb",
        "mariadb",
        [*login, "SELECT CURRENT_USER(), VERSION()"],
        {"MYSQL_PWD": password},
    )
    assert answer.startswith("root@%\t10.11.")
    # `-log`: instance 0 keeps a binary log for replicas, as MySQL says of a logging server.
    assert answer.endswith("MariaDB-0+deb12u1-log")


def test_database_passwords_are_in_no_file_image_log_or_command_line(
    types_app: RunningApp, cli: Cli
) -> None:
    client = docker.from_env()
    compose_file = (types_app.appdir / "docker-compose.yml").read_text()
    for service, key in (("db", "postgresql_password"), ("mdb", "mysql_password")):
        password = info(cli, types_app, service)["config"][key]
        instance = container(types_app, service)
        history = client.images.get(f"dotcloud-{types_app.name}/{service}:latest").history()
        command_lines = run_in(cli, types_app, service, "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")

        assert password not in compose_file
        assert password not in str(history)
        assert password not in instance.logs().decode(errors="replace")
        assert password not in command_lines


def test_databases_keep_data_and_password_across_a_restart(types_app: RunningApp, cli: Cli) -> None:
    run_in(cli, types_app, "db", "psql -U root -d template1 -c 'CREATE TABLE kept (x int)'")
    run_in(cli, types_app, "db", "psql -U root -d template1 -c 'INSERT INTO kept VALUES (42)'")
    run_in(cli, types_app, "mdb", "mariadb -e 'CREATE DATABASE kept; CREATE TABLE kept.t (x int)'")
    run_in(cli, types_app, "mdb", "mariadb -e 'INSERT INTO kept.t VALUES (7)'")

    cli.run("restart", f"{types_app.name}.db")
    cli.run("restart", f"{types_app.name}.mdb")

    kept = run_in(cli, types_app, "db", "psql -U root -d template1 -tAc 'SELECT x FROM kept'")
    assert kept.split() == ["42"]
    assert run_in(cli, types_app, "mdb", "mariadb -N -e 'SELECT x FROM kept.t'").split() == ["7"]
    logs = container(types_app, "db").logs().decode() + container(types_app, "mdb").logs().decode()
    assert logs.count("creating the PostgreSQL cluster") == 1
    assert logs.count("creating the MariaDB databases") == 1
