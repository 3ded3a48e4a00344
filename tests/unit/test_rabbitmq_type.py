"""The rabbitmq type: its catalogue entry (AMQP and the management API), the variables, its build
context (no password and no Erlang cookie in it), its ports under Compose, Kubernetes and Swarm,
and solr's refusal."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.compose import published_ports
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.kubernetes.workloads import container_ports, render_service
from dotcloud_emulator.render.swarm import STACK_FILE, StackImages, render_stack

PASSWORD = "Rabbit-Password_0123456789abcdef"
SETTINGS = Settings(Path("/nonexistent-state"))
WEB = Service("web", "python")
MQ = Service("mq", "rabbitmq")


def application(tmp_path: Path) -> Application:
    return Application("shop", tmp_path, tmp_path / "dotcloud.yml", (WEB, MQ))


def state() -> AppState:
    return AppState(app="shop", created_at=0.0, passwords={"mq": PASSWORD})


def context(tmp_path: Path) -> dict[str, File]:
    items = render_build_context(application(tmp_path), MQ, SETTINGS)
    prefix = ".dotcloud/build/mq/"
    return {str(item.path).removeprefix(prefix): item for item in items if isinstance(item, File)}


def test_the_catalogue_entry_has_amqp_and_the_management_api() -> None:
    ports = catalogue.data_ports("rabbitmq")
    shown = [(p.name, p.infix, p.scheme, p.port, p.login, p.password_key) for p in ports]
    assert shown == [
        ("amqp", "AMQP", "amqp", 5672, "root", "rabbitmq_password"),
        ("http", "HTTP", "http", 15672, "root", "rabbitmq_password"),
    ]
    assert catalogue.data_port("rabbitmq") == ports[0]
    assert catalogue.runs_here("rabbitmq")
    assert catalogue.SERVICE_TYPES["rabbitmq"].platform_keys == ("rabbitmq_password",)


def test_the_environment_names_both_ports(tmp_path: Path) -> None:
    env = instance_environment(application(tmp_path), state(), SETTINGS, "web", 0)
    found = {key: value for key, value in env.items() if key.startswith("DOTCLOUD_MQ_")}
    assert found == {
        "DOTCLOUD_MQ_AMQP_HOST": "mq",
        "DOTCLOUD_MQ_AMQP_PORT": "5672",
        "DOTCLOUD_MQ_AMQP_LOGIN": "root",
        "DOTCLOUD_MQ_AMQP_PASSWORD": PASSWORD,
        "DOTCLOUD_MQ_AMQP_URL": f"amqp://root:{PASSWORD}@mq:5672",
        "DOTCLOUD_MQ_HTTP_HOST": "mq",
        "DOTCLOUD_MQ_HTTP_PORT": "15672",
        "DOTCLOUD_MQ_HTTP_LOGIN": "root",
        "DOTCLOUD_MQ_HTTP_PASSWORD": PASSWORD,
        "DOTCLOUD_MQ_HTTP_URL": f"http://root:{PASSWORD}@mq:15672",
    }


def test_the_build_context_has_no_secret_and_no_baked_cookie(tmp_path: Path) -> None:
    files = context(tmp_path)
    assert PASSWORD not in "".join(file.content for file in files.values())
    dockerfile = files["Dockerfile"].content
    install = re.search(r"RUN apt-get update.*?lists/\*\n", dockerfile, re.DOTALL)
    assert install is not None
    # The cookie Debian's install writes is removed in the layer that installs the package.
    assert "rabbitmq-server" in install.group(0)
    assert "rm -f /var/lib/rabbitmq/.erlang.cookie" in install.group(0)
    assert "EXPOSE 5672 15672\n" in dockerfile
    assert files["platform/rabbitmqctl"].mode == 0o755
    assert files["platform/enabled_plugins"].content.endswith("[rabbitmq_management].\n")
    env_conf = files["platform/rabbitmq-env.conf"].content
    assert "NODENAME=rabbit@localhost\n" in env_conf
    assert "MNESIA_BASE=/home/dotcloud/data/rabbitmq/mnesia\n" in env_conf
    assert "ERL_EPMD_ADDRESS=127.0.0.1\n" in env_conf


def test_the_entrypoint_makes_the_cookie_and_the_login(tmp_path: Path) -> None:
    init = context(tmp_path)["platform/dotcloud-init"].content
    assert 'password="$(profile_value DOTCLOUD_MQ_AMQP_PASSWORD)"' in init
    assert "/dev/urandom" in init
    assert 'echo "default_user = root"' in init
    assert 'echo "default_pass = $password"' in init
    assert 'echo "management.tcp.port = 15672"' in init
    assert 'echo "channel_max = 0"' in init  # node-amqp 0.1 asks for no limit
    assert init.rstrip().endswith("become_dotcloud /usr/lib/rabbitmq/bin/rabbitmq-server")
    syntax = subprocess.run(["sh", "-n"], input=init, text=True, capture_output=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


@pytest.mark.skipif(shutil.which("perl") is None, reason="no perl on this machine")
def test_the_healthcheck_speaks_amqp_with_the_password_from_the_environment(
    tmp_path: Path,
) -> None:
    health = context(tmp_path)["platform/dotcloud-health"].content
    assert 'AMQP_PASSWORD="${DOTCLOUD_MQ_AMQP_PASSWORD:-}"' in health
    assert health.rstrip().endswith("' root 5672")
    script = health.split("exec /usr/bin/perl -e '", 1)[1].rsplit("' root 5672", 1)[0]
    checked = subprocess.run(
        ["perl", "-c", "-e", script], text=True, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_both_ports_are_published_on_loopback() -> None:
    assert published_ports(MQ) == [
        {"target": 5672, "host_ip": "127.0.0.1", "protocol": "tcp"},
        {"target": 15672, "host_ip": "127.0.0.1", "protocol": "tcp"},
    ]


def test_kubernetes_names_both_ports(tmp_path: Path) -> None:
    assert container_ports(MQ) == [
        {"name": "amqp", "containerPort": 5672, "protocol": "TCP"},
        {"name": "http", "containerPort": 15672, "protocol": "TCP"},
    ]
    service = render_service(application(tmp_path), MQ)
    assert [port["name"] for port in service["spec"]["ports"]] == ["amqp", "http"]


def test_swarm_runs_one_replica_on_its_volume_publishing_nothing(tmp_path: Path) -> None:
    images = StackImages({"web": "shop/web:1", "mq": "shop/mq:1"}, "shop/gateway:1")
    files = render_stack(application(tmp_path), state(), SETTINGS, images, "node-1")
    stack_file = next(file for file in files if file.path == STACK_FILE)
    assert PASSWORD not in stack_file.content
    mq = yaml.safe_load(stack_file.content)["services"]["mq-0"]  # the instance, `mq` its alias
    assert mq["deploy"]["replicas"] == 1
    assert "ports" not in mq
    assert [volume["target"] for volume in mq["volumes"]] == ["/home/dotcloud/data"]


def test_solr_is_refused_with_the_reason_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    (tmp_path / "dotcloud.yml").write_text("www:\n  type: ruby\nsearch:\n  type: solr\n")
    with pytest.raises(BuildFileError) as caught:
        load_application(tmp_path, "app")
    assert [found.format() for found in caught.value.diagnostics] == [
        f"{tmp_path / 'dotcloud.yml'}:4:9: error: 'solr' is a dotCloud service type this "
        "emulator does not run: Debian packages no Solr (bookworm and bullseye have no "
        "solr-tomcat or solr-jetty) and neither PyPI nor npm serves its server; run Solr as a "
        "custom service (openjdk-17-jre-headless in its systempackages, Solr unpacked by its "
        "buildscript, a tcp port in its ports) and point the application at that port"
    ]


def test_bad_rabbitmq_settings_are_positioned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "dotcloud.yml").write_text(
        "mq:\n  type: rabbitmq\n  config:\n    rabbitmq_password: 42\n    vhost: other\n"
    )
    assert main(["validate", str(app)]) == 2
    path = app / "dotcloud.yml"
    assert capsys.readouterr().err.splitlines() == [
        f'{path}:4:5: error: config "rabbitmq_password" is set by the platform (it generates '
        "the password); remove it",
        f'{path}:5:5: warning: unknown config key "vhost" for a rabbitmq service (it takes '
        "none); it is ignored",
    ]
