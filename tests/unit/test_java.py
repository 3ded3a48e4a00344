"""The java type: its catalogue entry (versions, heap options), the files its build context gets
(Jetty's start script and base, nginx in front), development mode and its readiness check."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.devmode import dev_volumes, runs_from_tree
from dotcloud_emulator.render.swarm import StackImages, render_stack

from .kubernetes_support import REPO, example_state, manifests, of_kind, render, validate_strictly
from .test_nodejs import stage, validate
from .test_php import environment, files_of

EXAMPLE = REPO / "examples" / "servlet-postgresql"


def java(**config: object) -> Service:
    return Service("www", "java", approot="www", config=MappingProxyType(config))


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# --- the catalogue --------------------------------------------------------------------------------


def test_java_is_a_web_type_run_by_jetty_behind_nginx() -> None:
    assert catalogue.runs_here("java")
    assert catalogue.serves_http("java")
    assert [program.name for program in catalogue.stack_for(java()).programs] == ["nginx", "jetty"]
    env = environment(java())
    assert env["PORT_HTTP"] == 8080  # nginx, where the gateway goes


@pytest.mark.parametrize(
    ("line", "note"),
    [
        *(
            (f"jetty_version: {v}", f"jetty_version {v} runs on Jetty 9.4 here (Debian's jetty9)")
            for v in ("jetty-6", "jetty-8")
        ),
        ("java_version: java-7", "java_version java-7 runs on OpenJDK 17 here (Debian's JRE)"),
        (
            "java_maximum_permgen_size: 256",
            "java_maximum_permgen_size has no effect here: OpenJDK 17 has no permanent "
            "generation (class metadata lives in Metaspace, which grows as needed)",
        ),
    ],
)
def test_the_platforms_versions_and_permgen_are_noted_at_their_line(
    tmp_path: Path, line: str, note: str
) -> None:
    lines, ok = validate(tmp_path, f"www:\n  type: java\n  config:\n    {line}\n")
    assert ok
    column = len(line.split(":")[0]) + 7
    assert lines == [f"dotcloud.yml:4:{column}: note: {note}"]


def test_a_version_the_platform_never_had_is_refused(tmp_path: Path) -> None:
    lines, ok = validate(tmp_path, "www:\n  type: java\n  config:\n    jetty_version: jetty-9\n")
    assert not ok
    assert lines[0].startswith("dotcloud.yml:4:20: error: ")
    assert "jetty-6, jetty-7 or jetty-8" in lines[0]


def test_a_heap_size_is_a_positive_number_of_megabytes(tmp_path: Path) -> None:
    text = "www:\n  type: java\n  config:\n    java_maximum_heap_size: 0\n"
    lines, ok = validate(tmp_path, text)
    assert not ok
    assert lines[0].startswith("dotcloud.yml:4:29: error: ")
    assert validate(tmp_path, text.replace(": 0", ": 512")) == ([], True)


# --- the build context ----------------------------------------------------------------------------


def start_script(tmp_path: Path, **config: object) -> str:
    return files_of(tmp_path, java(**config))["platform/jetty-start"]


def java_command(script: str) -> str:
    found = re.search(r"^java (.*?) \\\n(.*)$", script, re.MULTILINE)
    assert found, script
    return found.group(0)


@pytest.mark.parametrize(
    ("config", "heap"),
    [
        ({}, ""),
        ({"java_maximum_heap_size": 256}, "-Xmx256m"),
        ({"java_initial_heap_size": 64}, "-Xms64m"),
        ({"java_initial_heap_size": 64, "java_maximum_heap_size": 192}, "-Xms64m -Xmx192m"),
        ({"java_maximum_permgen_size": 128}, ""),
    ],
)
def test_the_heap_options_become_xms_and_xmx(
    tmp_path: Path, config: dict[str, object], heap: str
) -> None:
    script = start_script(tmp_path, **config)
    assert f'\nHEAP="{heap}"\n' in script
    assert java_command(script).startswith("java $HEAP -Djava.io.tmpdir=")
    assert "PermSize" not in script


def test_jetty_runs_the_approots_wars_from_its_own_base(tmp_path: Path) -> None:
    files = files_of(tmp_path, java())
    script = files["platform/jetty-start"]
    assert "for war in /home/dotcloud/current/*.war /home/dotcloud/current/*/WEB-INF; do" in script
    assert 'ln -s "$war" "$RUNTIME/webapps/"' in script
    assert 'ln -s "${war%/WEB-INF}" "$RUNTIME/webapps/"' in script  # an unpacked WAR
    assert "jetty.home=/usr/share/jetty9 jetty.base=/etc/dotcloud/jetty" in script
    assert script.rstrip().endswith('| tee "$RUNTIME/jetty.log"')
    assert "dotcloud-jetty: no WAR in the approot" in script  # said in the log, not an error
    ini = files["platform/start.ini"]
    for line in ("--module=deploy", "--module=http-forwarded", "--module=jsp"):
        assert f"\n{line}\n" in ini
    assert "\njetty.http.host=127.0.0.1\njetty.http.port=8081\n" in ini
    assert "\njetty.deploy.scanInterval=0\n" in ini
    site = files["platform/nginx-site.conf"]
    assert "listen 8080 default_server;" in site
    assert "server 127.0.0.1:8081;" in site
    assert "proxy_pass http://jetty;" in site
    assert "include /home/dotcloud/current/*nginx.conf;" in site


def test_the_image_has_a_jre_and_jetty_and_no_compiler_of_its_own(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, java())["Dockerfile"]
    layer = stage(dockerfile, "stack")
    for package in ("openjdk-17-jre-headless", "jetty9", "nginx-light", "supervisor"):
        assert f" {package}" in layer
    assert "jdk-headless" not in dockerfile
    assert "mkdir -p /usr/share/man/man1" in layer  # OpenJDK's postinst on a slim image
    final = stage(dockerfile, "final")
    assert "COPY platform/jetty-start /etc/dotcloud/jetty-start\n" in final
    assert "RUN ln -s /var/dotcloud/jetty/webapps /etc/dotcloud/jetty/webapps\n" in final


def test_supervisor_runs_jetty_and_the_services_own_processes(tmp_path: Path) -> None:
    service = Service(
        "www",
        "java",
        approot="www",
        processes=MappingProxyType({"mailer": "java -cp mailer.jar Mailer"}),
    )
    conf = files_of(tmp_path, service)["platform/supervisord.conf"]
    assert (
        "[program:jetty]\ncommand = /etc/dotcloud/jetty-start\ndirectory = /home/dotcloud/current\n"
        in conf
    )
    assert "startsecs = 4\n" in conf
    assert "[program:mailer]\ncommand = /bin/sh -lc 'exec java -cp mailer.jar Mailer'\n" in conf
    assert "files = /var/dotcloud/supervisord-app.conf" in conf  # the approot's supervisord.conf


def test_a_process_cannot_take_the_name_of_jetty(tmp_path: Path) -> None:
    service = Service(
        "www", "java", approot="www", processes=MappingProxyType({"jetty": "java -jar x.jar"})
    )
    with pytest.raises(UsageError, match='process name "jetty" is taken'):
        files_of(tmp_path, service)


def test_two_java_services_share_the_stack_layer(tmp_path: Path) -> None:
    one = stage(files_of(tmp_path, java())["Dockerfile"], "stack")
    other = stage(files_of(tmp_path, java(java_maximum_heap_size=512))["Dockerfile"], "stack")
    assert one == other


def test_a_saved_war_restarts_jetty_in_development_mode(tmp_path: Path) -> None:
    service = java()
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    assert runs_from_tree(service)
    assert [v["target"] for v in dev_volumes(service)] == ["/home/dotcloud/code/www"]
    for name in ("ROOT.war", "thing.war", "nginx.conf"):
        saved = plan_changes(application, [tmp_path / "www" / name])
        assert (saved.restart, saved.redeploy) == (["www"], False), name
    assert plan_changes(application, [tmp_path / "www" / "postinstall"]).redeploy


# --- readiness ------------------------------------------------------------------------------------


def probe(tmp_path: Path) -> dict[str, Any]:
    source = files_of(tmp_path, java())["platform/dotcloud-health"]
    assert source.startswith("#!/usr/bin/python3\n")
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    ("war", "path"),
    [
        ("ROOT.war", "/"),
        ("thing.war", "/thing/"),
        ("/home/dotcloud/current/shop.war", "/shop/"),
        ("/home/dotcloud/current/ROOT/", "/"),  # an unpacked WAR, by its folder's name
        ("/home/dotcloud/current/admin", "/admin/"),
    ],
)
def test_a_war_is_served_at_its_name_and_root_at_slash(tmp_path: Path, war: str, path: str) -> None:
    assert probe(tmp_path)["context_path"](war) == path


JETTY_LOG = """\
2026-12-03 17:20:33.000:INFO::main: Logging initialized @1292ms to org.eclipse.jetty.util.log.StdErrLog
2026-12-03 17:20:35.482:WARN:oejshC.broken:main: unavailable
javax.servlet.ServletException: guestbook_open_2012: no database configured
\tat broken.BrokenServlet.init(BrokenServlet.java:10)
\tat javax.servlet.GenericServlet.init(GenericServlet.java:203)
2026-12-03 17:20:35.493:WARN:oejw.WebAppContext:main: Failed startup of context o.e.j.w.WebAppContext@1722011b{broken,/broken,file:///var/dotcloud/jetty/work/jetty-broken_war/webapp/,UNAVAILABLE}{/home/dotcloud/code/www/broken.war}
javax.servlet.ServletException: guestbook_open_2012: no database configured
\tat broken.BrokenServlet.init(BrokenServlet.java:10)
Caused by: java.lang.IllegalStateException: no DOTCLOUD_DB_SQL_HOST
\t... 12 more
2026-12-03 17:20:35.775:INFO:oejs.AbstractConnector:main: Started ServerConnector@595325d6{HTTP/1.1, (http/1.1)}{127.0.0.1:8081}
2026-12-03 17:20:35.796:INFO:oejs.Server:main: Started @5839ms
"""  # noqa: E501 (Jetty's lines as it writes them)


def jetty_probe(tmp_path: Path, log: str) -> dict[str, Any]:
    namespace = probe(tmp_path)
    (tmp_path / "jetty.log").write_text(log)
    namespace.update(JETTY_LOG=str(tmp_path / "jetty.log"), APPROOT=str(tmp_path / "approot"))
    return namespace


def test_a_war_jetty_could_not_deploy_fails_with_jettys_lines(tmp_path: Path) -> None:
    problem = jetty_probe(tmp_path, JETTY_LOG)["jetty_problem"]()
    assert problem.splitlines() == [
        "The application failed: Jetty could not deploy broken.war (at /broken); Jetty's last "
        "lines:",
        "2026-12-03 17:20:35.482:WARN:oejshC.broken:main: unavailable",
        "javax.servlet.ServletException: guestbook_open_2012: no database configured",
        JETTY_LOG.splitlines()[5],
        "javax.servlet.ServletException: guestbook_open_2012: no database configured",
        "Caused by: java.lang.IllegalStateException: no DOTCLOUD_DB_SQL_HOST",
    ]


def test_the_approots_wars_are_its_war_files_and_unpacked_folders(tmp_path: Path) -> None:
    namespace = jetty_probe(tmp_path, JETTY_LOG)
    approot = tmp_path / "approot"
    for folder in ("ROOT/WEB-INF", "static", "src/main/webapp/WEB-INF"):
        (approot / folder).mkdir(parents=True)
    (approot / "thing.war").touch()
    (approot / "thing.war.txt").touch()
    assert namespace["wars"]() == [str(approot / "ROOT"), str(approot / "thing.war")]


def test_jetty_is_waited_for_until_it_says_it_started(tmp_path: Path) -> None:
    problem = jetty_probe(tmp_path, JETTY_LOG.splitlines()[0] + "\n")["jetty_problem"]()
    assert problem == "starting: Jetty has not started yet"


def test_a_jvm_that_never_started_jetty_is_shown_in_its_own_words(tmp_path: Path) -> None:
    log = (
        "Error occurred during initialization of VM\n"
        "Initial heap size set to a larger value than the maximum heap size\n"
    )
    assert jetty_probe(tmp_path, log)["jetty_lines"](log) == log.splitlines()


# --- the example ----------------------------------------------------------------------------------


def test_the_example_validates_with_nothing_to_say() -> None:
    loaded = load_application(EXAMPLE, "servletpg", strict=True)
    assert (loaded.warnings, loaded.notes) == ((), ())


def test_the_examples_sources_read_environment_json() -> None:
    sources = "".join(path.read_text() for path in sorted(EXAMPLE.glob("src/**/*.java")))
    assert "/home/dotcloud/environment.json" in sources
    assert "getenv" not in sources
    assert "DriverManager.getConnection" in sources
    assert (EXAMPLE / "build-wars.sh").stat().st_mode & 0o111


# --- the example on other engines -----------------------------------------------------------------


def example() -> Application:
    return load_application(EXAMPLE, "servletpg").application


def test_the_swarm_stack_routes_the_gateway_to_nginx_on_8080() -> None:
    application = example()
    images = StackImages(
        {name: f"dotcloud-servletpg/{name}:img-1" for name in application.service_names},
        "dotcloud-servletpg/gateway-nginx:img-1",
    )
    files = render_stack(
        application, example_state(application), Settings(Path("/nonexistent")), images, "n1"
    )
    contents = {file.path.name: file.content for file in files}
    stack = yaml.safe_load(contents["stack.yml"])
    assert stack["services"]["www"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert stack["services"]["www"]["image"] == "dotcloud-servletpg/www:img-1"
    assert "www:8080" in contents["routes.conf"]


def test_the_kubernetes_export_is_valid_and_routes_port_8080(tmp_path: Path) -> None:
    files = manifests(render(example()))
    checked = validate_strictly(files, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    www = next(doc for doc in of_kind(files, "StatefulSet") if doc["metadata"]["name"] == "www")
    ports = www["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
