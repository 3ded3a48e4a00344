"""The php and php-worker types without Docker: the catalogue entries and phpfpm_processes, the
build context (one stack layer for both types, nginx and PHP-FPM as dotcloud, the platform's PHP
settings before the application's php.ini), the php.ini copy without PHP 8's removed directives,
the mysql_* shim, readiness (a 5xx on / fails with PHP's lines), development mode, and valid
Swarm and Kubernetes output for examples/php-mysql."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import stacks
from dotcloud_emulator.catalogue.model import requirement_name
from dotcloud_emulator.engine.readiness import readiness_from_attrs, wait_until_ready
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.devmode import dev_volumes, runs_from_tree
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.swarm import StackImages, render_stack

from .kubernetes_support import REPO, example_state, manifests, of_kind, render, validate_strictly
from .test_engine_readiness import FakeClient, FakeClock, ProbedContainer, attrs
from .test_nodejs import stage, validate

EXAMPLE = REPO / "examples" / "php-mysql"


def php(type_name: str = "php", **fields: Any) -> Service:
    config = MappingProxyType(fields.pop("config", {}))
    return Service("www", type_name, approot="www", config=config, **fields)


def files_of(tmp_path: Path, service: Service) -> dict[str, str]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path / "state"))
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# --- the catalogue --------------------------------------------------------------------------------


def test_php_is_a_web_type_and_php_worker_is_not() -> None:
    assert catalogue.runs_here("php")
    assert catalogue.runs_here("php-worker")
    assert catalogue.serves_http("php")
    assert not catalogue.serves_http("php-worker")
    assert catalogue.stack_for(php()).programs[-1].name == "php-fpm"
    assert catalogue.stack_for(php("php-worker")).programs == ()


def test_the_platform_runs_four_fpm_workers_unless_told() -> None:
    assert catalogue.config_value(php(), "phpfpm_processes") == 4


def test_phpfpm_processes_is_checked_at_its_line(tmp_path: Path) -> None:
    assert validate(tmp_path, "www:\n  type: php\n  config:\n    phpfpm_processes: 8\n") == (
        [],
        True,
    )
    lines, ok = validate(tmp_path, "www:\n  type: php\n  config:\n    phpfpm_processes: 0\n")
    assert not ok
    assert len(lines) == 1
    assert lines[0].startswith("dotcloud.yml:4:23: error: ")
    assert "phpfpm_processes" in lines[0]


def test_a_worker_has_no_fpm_setting(tmp_path: Path) -> None:
    lines, ok = validate(tmp_path, "w:\n  type: php-worker\n  config:\n    phpfpm_processes: 2\n")
    assert ok
    assert len(lines) == 1
    assert lines[0].startswith("dotcloud.yml:4:5: warning: ")


# --- the build context ----------------------------------------------------------------------------


def test_both_types_build_the_same_stack_layer(tmp_path: Path) -> None:
    web = stage(files_of(tmp_path, php())["Dockerfile"], "stack")
    worker = stage(files_of(tmp_path, php("php-worker"))["Dockerfile"], "stack")
    assert web == worker
    for package in ("php8.2-fpm", "php8.2-mysql", "php8.2-pgsql", "php-redis", "nginx-light"):
        assert f" {package} " in web
    assert stage(files_of(tmp_path, php())["Dockerfile"], "stack").startswith(
        "FROM tooling AS stack\n"
    )


def test_nginx_hands_php_scripts_to_fpm_on_one_socket(tmp_path: Path) -> None:
    files = files_of(tmp_path, php())
    site = files["platform/nginx-site.conf"]
    fpm = files["platform/php-fpm.conf"]
    socket = re.search(r"^listen = (\S+)$", fpm, re.MULTILINE)
    assert socket
    assert site.count(f"fastcgi_pass unix:{socket.group(1)};") == 2  # scripts and the ping
    assert "include /etc/nginx/fastcgi.conf;" in site
    assert "include /home/dotcloud/current/*nginx.conf;" in site
    assert "include /home/dotcloud/current/*fastcgi.conf;" in site
    assert "root /home/dotcloud/current/;" in site
    # No `location /`, no `try_files`: the application's nginx.conf may have them.
    assert not re.search(r"^\s*location\s+/\s*\{", site, re.MULTILINE)
    server_block = site.split("location ~")[0]
    assert not re.search(r"^\s*try_files\b", server_block, re.MULTILINE)
    assert "if (-f /home/dotcloud/current/maintenance)" in site


def test_fpm_keeps_the_environment_and_runs_the_configured_workers(tmp_path: Path) -> None:
    fpm = files_of(tmp_path, php(config={"phpfpm_processes": 7}))["platform/php-fpm.conf"]
    assert "pm = static\npm.max_children = 7\n" in fpm
    assert "clear_env = no\n" in fpm
    assert "catch_workers_output = yes\n" in fpm


def test_nginx_and_fpm_run_as_dotcloud_under_supervisor(tmp_path: Path) -> None:
    files = files_of(tmp_path, php())
    conf = files["platform/supervisord.conf"]
    assert "[program:nginx]" in conf
    assert "[program:php-fpm]" in conf
    assert "exec /usr/sbin/php-fpm8.2 --nodaemonize" in conf
    # Neither asks to change user: both run as the dotcloud user that starts supervisord.
    assert not re.search(r"^\s*user\b", files["platform/php-fpm.conf"], re.MULTILINE)
    assert not re.search(r"^\s*user\b", files["platform/nginx.conf"], re.MULTILINE)


def test_a_process_cannot_take_the_name_of_fpm(tmp_path: Path) -> None:
    service = php(processes=MappingProxyType({"php-fpm": "php loop.php"}))
    with pytest.raises(UsageError, match='process name "php-fpm" is taken'):
        files_of(tmp_path, service)


def test_a_worker_runs_its_processes_with_the_php_command_line(tmp_path: Path) -> None:
    files = files_of(tmp_path, php("php-worker", process="php worker.php"))
    conf = files["platform/supervisord.conf"]
    assert "[program:www]\ncommand = /bin/sh -lc 'exec php worker.php'\n" in conf
    assert "nginx" not in conf
    assert "php-fpm" not in conf
    assert "platform/nginx-site.conf" not in files
    assert "EXPOSE" not in files["Dockerfile"]


def test_the_platforms_settings_come_before_the_applications_php_ini(tmp_path: Path) -> None:
    files = files_of(tmp_path, php())
    scan = f'ENV PHP_INI_SCAN_DIR=":{stacks.PHP_SETTINGS_DIR}:{stacks.PHP_APPLICATION_INI_DIR}"'
    assert scan in files["Dockerfile"]
    settings = files["platform/dotcloud.ini"]
    assert f"auto_prepend_file = {stacks.MYSQL_SHIM.target}\n" in settings
    assert f"COPY platform/dotcloud.ini {stacks.PHP_SETTINGS.target}" in files["Dockerfile"]
    assert stacks.PHP_SETTINGS.target.startswith(stacks.PHP_SETTINGS_DIR + "/")
    copier = files["platform/php-ini.py"]
    assert f'TARGET = "{stacks.PHP_APPLICATION_INI_DIR}/' in copier


def test_every_instance_copies_php_ini_before_postinstall(tmp_path: Path) -> None:
    init = files_of(tmp_path, php("php-worker"))["platform/dotcloud-init"]
    assert f"PRESTART='{stacks.COPY_PHP_INI}'\n" in init
    assert init.index("\nrun_prestart\n") < init.index("\nrun_postinstall\n")
    fpm = stacks.PHP_FPM_PROGRAM.command
    assert fpm.index(stacks.COPY_PHP_INI) < fpm.index("php-fpm8.2")  # again at each FPM start


def test_other_stacks_prepare_nothing(tmp_path: Path) -> None:
    service = Service("www", "python", approot="www", config=MappingProxyType({}))
    assert "PRESTART=''\n" in files_of(tmp_path, service)["platform/dotcloud-init"]


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("phpredis", "phpredis"),
        ("pecl/memcached", "memcached"),
        ("pecl.php.net/xdebug-2.2.1", "xdebug"),
        ("pear.php.net/Net_SMTP-1.6.1", "net_smtp"),
        ("channel://pear.php.net/Mail_Mime", "mail_mime"),
        ("pear.phpunit.de/PHPUnit", "phpunit"),
    ],
)
def test_a_requirement_is_known_by_its_package_name(requirement: str, name: str) -> None:
    assert requirement_name(requirement) == name


def test_pear_and_pecl_requirements_come_from_debian(tmp_path: Path) -> None:
    service = php(
        requirements=("phpredis", "pecl/memcached", "pear.php.net/Net_SMTP-1.6.1", "pecl/mongo")
    )
    stack_stage = stage(files_of(tmp_path, service)["Dockerfile"], "stack")
    # After the stack's own layer, which stays shared: phpredis is in it already.
    assert stack_stage.endswith(
        "apt-get install -y --no-install-recommends php-memcached php-net-smtp \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
    )
    assert stage(files_of(tmp_path, php())["Dockerfile"], "stack") in stack_stage


def test_a_requirement_no_debian_package_serves_is_a_warning(tmp_path: Path) -> None:
    lines, ok = validate(
        tmp_path, "www:\n  type: php\n  requirements:\n    - phpredis\n    - pecl/mongo\n"
    )
    assert ok
    assert lines == [
        'dotcloud.yml:5:7: warning: requirement "pecl/mongo" is not installed: no Debian package '
        "provides it for php here"
    ]


# --- php.ini --------------------------------------------------------------------------------------


def copier(tmp_path: Path) -> dict[str, Any]:
    source = files_of(tmp_path, php())["platform/php-ini.py"]
    namespace: dict[str, Any] = {"__name__": "copier"}
    exec(compile(source, "php-ini.py", "exec"), namespace)
    return namespace


PHP_INI_2012 = """\
[PHP]
; the guestbook's settings
magic_quotes_gpc = On
Register_Globals=off
short_open_tag = On
extension=apc.so
extension = "redis.so"
zend_extension=/usr/local/lib/php/extensions/no-debug-non-zts-20090626/xdebug.so
extension=gd.so
date.timezone = "Europe/Paris"
"""


def test_php_ini_loses_what_php_8_removed_or_cannot_load(tmp_path: Path) -> None:
    namespace = copier(tmp_path)
    copied, notes = namespace["copy"](PHP_INI_2012.splitlines(True), {"redis"}, {"gd", "redis"})
    assert notes == [
        "php.ini line 3: magic_quotes_gpc = On: left out (magic_quotes_gpc was removed in PHP 5.4)",
        "php.ini line 4: Register_Globals=off: left out (register_globals was removed in PHP 5.4)",
        "php.ini line 6: extension=apc.so: left out (the extension apc is not installed here)",
        'php.ini line 7: extension = "redis.so": left out (the extension redis is loaded already)',
        "php.ini line 8: zend_extension=/usr/local/lib/php/extensions/no-debug-non-zts-20090626/"
        "xdebug.so: left out (the extension xdebug is not installed here "
        "(/usr/local/lib/php/extensions/no-debug-non-zts-20090626/xdebug.so does not exist))",
    ]
    text = "".join(copied)
    for kept in ("[PHP]\n", "short_open_tag = On\n", "extension=gd.so\n", 'date.timezone = "'):
        assert kept in text
    assert "\nmagic_quotes_gpc" not in text
    assert "; left out (magic_quotes_gpc was removed in PHP 5.4): magic_quotes_gpc = On\n" in text


def test_php_ini_is_copied_where_php_reads_it_and_removed_with_it(tmp_path: Path) -> None:
    namespace = copier(tmp_path)
    source, target = tmp_path / "php.ini", tmp_path / "run" / "90-application.ini"
    namespace["main"].__globals__.update(SOURCE=str(source), TARGET=str(target))
    source.write_text("memory_limit = 64M\nsafe_mode = On\n")
    assert namespace["main"]() == 0
    assert "\nmemory_limit = 64M\n" in target.read_text()
    assert "\nsafe_mode" not in target.read_text()
    source.unlink()
    assert namespace["main"]() == 0
    assert not target.exists()


# --- the mysql_* shim -----------------------------------------------------------------------------


def shim(tmp_path: Path) -> str:
    return files_of(tmp_path, php())["platform/mysql-compat.php"]


def test_the_shim_defines_only_the_functions_php_lacks(tmp_path: Path) -> None:
    text = shim(tmp_path)
    defined = re.findall(r"^    function (mysql_\w+)\(", text, re.MULTILINE)
    guarded = re.findall(r"^if \(!function_exists\('(mysql_\w+)'\)\) \{$", text, re.MULTILINE)
    assert defined == guarded
    for needed in (
        "mysql_connect",
        "mysql_select_db",
        "mysql_query",
        "mysql_fetch_assoc",
        "mysql_fetch_array",
        "mysql_num_rows",
        "mysql_real_escape_string",
        "mysql_insert_id",
        "mysql_error",
        "mysql_result",
        "mysql_close",
    ):
        assert needed in defined
    assert text.startswith("<?php\n")
    assert "?>" not in text  # nothing printed before the application's own output


# --- environment and development mode -------------------------------------------------------------


def environment(service: Service) -> dict[str, Any]:
    application = Application("shop", Path("/app"), Path("/app/dotcloud.yml"), (service,))
    state = AppState(app="shop", created_at=0.0)
    return instance_environment(application, state, Settings(Path("/state")), "www", 0)


def test_nginx_listens_where_the_gateway_goes() -> None:
    env = environment(php())
    assert env["PORT_HTTP"] == 8080
    assert env["DOTCLOUD_WWW_HTTP_URL"] == "http://www.shop.localhost:8080/"
    assert "PORT_HTTP" not in environment(php("php-worker"))


def test_a_saved_script_is_live_and_php_ini_restarts_fpm(tmp_path: Path) -> None:
    service = php()
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    assert runs_from_tree(service)
    assert [v["target"] for v in dev_volumes(service)] == ["/home/dotcloud/code/www"]
    assert plan_changes(application, [tmp_path / "www" / "index.php"]).empty
    assert plan_changes(application, [tmp_path / "www" / "lib" / "db.php"]).empty
    for name in ("php.ini", "nginx.conf", "fastcgi.conf"):
        saved = plan_changes(application, [tmp_path / "www" / name])
        assert (saved.restart, saved.redeploy) == (["www"], False), name
    assert plan_changes(application, [tmp_path / "www" / "postinstall"]).redeploy


def test_a_workers_save_restarts_its_programs_and_php_ini_redeploys(tmp_path: Path) -> None:
    service = php("php-worker")
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    saved = plan_changes(application, [tmp_path / "www" / "worker.php"])
    assert (saved.restart, saved.redeploy) == (["www"], False)
    assert plan_changes(application, [tmp_path / "www" / "php.ini"]).redeploy


def test_the_scripts_are_checked_for_changes_at_every_request(tmp_path: Path) -> None:
    settings = files_of(tmp_path, php())["platform/dotcloud.ini"]
    assert "opcache.validate_timestamps = On\nopcache.revalidate_freq = 0\n" in settings


# --- readiness ------------------------------------------------------------------------------------


def probe(tmp_path: Path) -> dict[str, Any]:
    source = files_of(tmp_path, php())["platform/dotcloud-health"]
    assert source.startswith("#!/usr/bin/python3\n")
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    return namespace


NGINX_ERROR_LOG = (
    '2026/12/03 13:00:01 [error] 31#31: *5 FastCGI sent in stderr: "PHP message: PHP Warning:  '
    "mysql_connect(): Access denied for user 'root'@'10.0.0.3' (called in "
    "/home/dotcloud/current/index.php on line 2); PHP message: PHP Fatal "
    "error:  Uncaught Error: Call to undefined function mysql_fetch_field_bogus() in "
    "/home/dotcloud/current/index.php:4\nStack trace:\n#0 {main}\n  thrown in "
    '/home/dotcloud/current/index.php on line 4" while reading response header from upstream, '
    'client: 127.0.0.1, server: _, request: "GET / HTTP/1.1"\n'
)


def test_phps_lines_are_found_in_nginxs_error_log(tmp_path: Path) -> None:
    assert probe(tmp_path)["php_messages"](NGINX_ERROR_LOG) == [
        "PHP Warning:  mysql_connect(): Access denied for user 'root'@'10.0.0.3' (called in "
        "/home/dotcloud/current/index.php on line 2)",
        "PHP Fatal error:  Uncaught Error: Call to undefined function mysql_fetch_field_bogus() "
        "in /home/dotcloud/current/index.php:4",
        "Stack trace:",
        "#0 {main}",
        "  thrown in /home/dotcloud/current/index.php on line 4",
    ]


class Page(http.server.BaseHTTPRequestHandler):
    status = 200
    hosts: list[str] = []

    def do_GET(self) -> None:
        Page.hosts.append(self.headers["Host"])
        self.send_response(Page.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def page_probe(tmp_path: Path, port: int, status: int) -> dict[str, Any]:
    Page.status = status
    Page.hosts = []
    namespace = probe(tmp_path)
    (tmp_path / "error.log").write_text(NGINX_ERROR_LOG)
    (tmp_path / "environment.json").write_text('{"DOTCLOUD_WWW_HTTP_HOST": "www.shop.localhost"}')
    namespace.update(
        PAGE=("127.0.0.1", port, "/"),
        PAGE_ANSWERED=str(tmp_path / "answered"),
        MAINTENANCE=str(tmp_path / "maintenance"),
        NGINX_ERROR_LOG=str(tmp_path / "error.log"),
        ENVIRONMENT=str(tmp_path / "environment.json"),
    )
    return namespace


def test_a_5xx_on_the_first_page_is_a_failure_with_phps_lines(
    tmp_path: Path, page_server: int
) -> None:
    problem = page_probe(tmp_path, page_server, 500)["page_problem"]()
    first, *rest = problem.splitlines()
    assert first == "The application failed: GET / answered 500; PHP's last lines:"
    assert rest[1].startswith("PHP Fatal error:  Uncaught Error: Call to undefined function")
    assert Page.hosts == ["www.shop.localhost"]  # as the gateway sends it
    assert not (tmp_path / "answered").exists()


def test_the_page_is_asked_for_once_after_it_answered(tmp_path: Path, page_server: int) -> None:
    namespace = page_probe(tmp_path, page_server, 404)
    assert namespace["page_problem"]() is None
    assert namespace["page_problem"]() is None
    assert Page.hosts == ["www.shop.localhost"]


def test_a_maintenance_file_skips_the_page(tmp_path: Path, page_server: int) -> None:
    namespace = page_probe(tmp_path, page_server, 503)
    (tmp_path / "maintenance").touch()
    assert namespace["page_problem"]() is None
    assert Page.hosts == []


def test_the_engine_stops_waiting_when_the_application_failed() -> None:
    output = (
        b"The application failed: GET / answered 500; PHP's last lines:\n"
        b"PHP Fatal error:  Uncaught Error: Call to undefined function f()\n"
    )
    container = ProbedContainer([attrs(health={"Status": "starting"})], 1, output)
    clock = FakeClock()
    with pytest.raises(UserError) as caught:
        wait_until_ready(
            FakeClient({"a": container}), {"www.0": "a"}, clock=clock, sleep=clock.sleep
        )
    message = caught.value.message
    assert message.splitlines()[0] == (
        "www.0 did not become responsive: health check failed with exit code 1: "
        "The application failed: GET / answered 500; PHP's last lines:"
    )
    assert "    PHP Fatal error:  Uncaught Error: Call to undefined function f()" in message
    assert clock.sleeps == []
    logged = {"ExitCode": 1, "Output": output.decode()}
    docker_saw = readiness_from_attrs(attrs(health={"Status": "starting", "Log": [logged]}))
    assert docker_saw.verdict == "failed"


# --- the example on other engines -----------------------------------------------------------------


def example() -> Application:
    return load_application(EXAMPLE, "phpmysql").application


def test_the_example_validates_with_nothing_to_say() -> None:
    loaded = load_application(EXAMPLE, "phpmysql", strict=True)
    assert (loaded.warnings, loaded.notes) == ((), ())


def test_the_example_reads_its_database_from_environment_json_only() -> None:
    code = "".join(path.read_text() for path in sorted(EXAMPLE.glob("*/*.php")))
    assert "/home/dotcloud/environment.json" in code
    for modern in ("getenv", "$_ENV", "$_SERVER['DOTCLOUD", "mysqli", "PDO"):
        assert modern not in code
    assert "mysql_connect(" in code


def test_the_swarm_stack_routes_the_gateway_to_nginx_on_8080() -> None:
    application = example()
    images = StackImages(
        {name: f"dotcloud-phpmysql/{name}:img-1" for name in application.service_names},
        "dotcloud-phpmysql/gateway-nginx:img-1",
    )
    files = render_stack(
        application, example_state(application), Settings(Path("/nonexistent")), images, "n1"
    )
    contents = {file.path.name: file.content for file in files}
    stack = yaml.safe_load(contents["stack.yml"])
    assert stack["services"]["www"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert stack["services"]["www"]["image"] == "dotcloud-phpmysql/www:img-1"
    assert "www:8080" in contents["routes.conf"]
    assert "SecretDbPw0rd" not in contents["stack.yml"]


def test_the_kubernetes_export_is_valid_and_routes_port_8080(tmp_path: Path) -> None:
    files = manifests(render(example()))
    checked = validate_strictly(files, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    www = next(doc for doc in of_kind(files, "StatefulSet") if doc["metadata"]["name"] == "www")
    ports = www["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert "SecretDbPw0rd" not in "\n".join(file.content for file in files)
