"""The tutorial on a real single-node Docker Swarm, and deployed from a local registry.

This module runs after every other integration test (conftest.py moves it last): it initialises a
swarm when none exists and leaves it at the end, and `docker swarm leave` breaks name resolution
in containers running across it (docs/scaling-out.md). It leaves only a swarm it created.

The tests share one deployment and run in order: deploy, count hits, scale, push, scale the
redis to a master and two replicas and back, remove and redeploy, deploy from a registry, destroy.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import (
    IN_CI,
    ROOT,
    Cli,
    RunningApp,
    copy_sample,
    free_port,
    poll,
    remove_app_leftovers,
    unique_app,
)
from .test_zero_downtime import Client, change_code

DEPLOY_TIMEOUT = 900.0
SCALE_TIMEOUT = 120.0
REGISTRY_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def swarm(docker_engine: None) -> Iterator[None]:
    """A swarm this engine manages: the one already there, or one made here and left after."""
    client = docker.from_env()
    state = client.info()["Swarm"]["LocalNodeState"]
    created = False
    if state != "active":
        subprocess.run(
            ["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"],
            check=True,
            capture_output=True,
        )
        created = True
    try:
        yield
    finally:
        if created:
            subprocess.run(["docker", "swarm", "leave", "--force"], check=False)


@pytest.fixture(scope="module")
def swarm_app(
    swarm: None, cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    app = RunningApp(
        unique_app("swarmtut"), free_port(), copy_sample(tmp_path_factory.mktemp("swarm"))
    )
    try:
        yield app
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_swarm_leftovers(app.name)
        remove_app_leftovers(app.name)


def deploy(cli: Cli, app: RunningApp, *more: str) -> subprocess.CompletedProcess[str]:
    return cli.run(
        "stack", "deploy", str(app.appdir), "-A", app.name, "--port", str(app.port), *more,
        timeout=DEPLOY_TIMEOUT,
    )  # fmt: skip


def labelled(app: str, *more: str) -> dict[str, list[str]]:
    return {"label": [f"{LABEL_APP}={app}", *more]}


def swarm_objects(app: str) -> list[str]:
    client = docker.from_env()
    selector = labelled(app)
    return [
        *(f"service {s.name}" for s in client.services.list(filters=selector)),
        *(f"secret {s.name}" for s in client.secrets.list(filters=selector)),
        *(f"config {c.name}" for c in client.configs.list(filters=selector)),
        *(f"network {n.name}" for n in client.networks.list(filters=selector)),
        *(f"volume {v.name}" for v in client.volumes.list(filters=selector)),
        *(f"container {c.name}" for c in client.containers.list(all=True, filters=selector)),
    ]


def remove_swarm_leftovers(app: str) -> None:
    client = docker.from_env()
    if client.info()["Swarm"]["LocalNodeState"] != "active":
        return
    for service in client.services.list(filters=labelled(app)):
        service.remove()
    poll(
        lambda: not client.containers.list(all=True, filters=labelled(app)),
        timeout=120,
        what="the stack's containers to go",
    )
    for item in [
        *client.secrets.list(filters=labelled(app)),
        *client.configs.list(filters=labelled(app)),
    ]:
        item.remove()


def service_image(app: str, service: str) -> str:
    client = docker.from_env()
    (found,) = client.services.list(filters=labelled(app, f"{LABEL_SERVICE}={service}"))
    return str(found.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"])


def test_the_tutorial_comes_up_on_swarm(cli: Cli, swarm_app: RunningApp) -> None:
    deployed = deploy(cli, swarm_app)
    assert f"http://www.{swarm_app.name}.localhost:{swarm_app.port}/" in deployed.stdout
    stack_file = cli.state_home / "apps" / swarm_app.name / "swarm" / "stack.yml"
    text = stack_file.read_text(encoding="utf-8")
    assert "endpoint_mode: dnsrr" in text
    assert saved_password(cli, swarm_app.name, "session") not in text
    status = cli.run("status", swarm_app.name).stdout
    assert "www.0: up" in status
    assert "session.0: up" in status
    assert cli.run("url", swarm_app.name).stdout.startswith(f"www: http://www.{swarm_app.name}")
    info = cli.run("info", f"{swarm_app.name}.www").stdout
    assert f"{swarm_app.name}.www.0:" in info
    assert "running" in info
    logs = cli.run("logs", f"{swarm_app.name}.www", "-n", "50").stdout
    assert "[www.0]" in logs


def saved_password(cli: Cli, app: str, service: str) -> str:
    state = json.loads((cli.state_home / "apps" / app / "state.json").read_text(encoding="utf-8"))
    password = str(state["passwords"][service])
    assert len(password) >= 20
    return password


@pytest.fixture(scope="module")
def visitor() -> requests.Session:
    """One browser session (its cookie) for every test of the module."""
    return requests.Session()


def test_hits_count_through_the_gateway(swarm_app: RunningApp, visitor: requests.Session) -> None:
    counts = [visitor.get(f"{swarm_app.base}/hits", timeout=10).text for _ in range(3)]
    assert counts == ["1", "2", "3"]


def test_scaling_www_to_two_replicas(
    cli: Cli, swarm_app: RunningApp, visitor: requests.Session
) -> None:
    cli.run("scale", swarm_app.name, "www=2", timeout=DEPLOY_TIMEOUT)
    seen: set[str] = set()

    def both_answered() -> bool:
        seen.add(requests.get(f"{swarm_app.base}/instance", timeout=10).text)
        return {"www.0", "www.1"} <= seen

    poll(both_answered, timeout=SCALE_TIMEOUT, what="www.0 and www.1 to answer")
    counts = [visitor.get(f"{swarm_app.base}/hits", timeout=10).text for _ in range(4)]
    assert counts == ["4", "5", "6", "7"]
    assert "www.1: up" in cli.run("status", swarm_app.name).stdout


def test_a_push_with_two_replicas_loses_no_request(cli: Cli, swarm_app: RunningApp) -> None:
    image_before = service_image(swarm_app.name, "www")
    change_code(swarm_app.appdir)
    client = Client(f"{swarm_app.base}/instance")
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        deploy(cli, swarm_app)
    finally:
        client.stop.set()
        thread.join(timeout=30)
    print(f"swarm push: {client.sent} requests, {len(client.failures)} failed")
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert service_image(swarm_app.name, "www") != image_before
    seen: set[str] = set()

    def both_new() -> bool:
        seen.add(requests.get(f"{swarm_app.base}/instance", timeout=10).text)
        return {"www.0 v2", "www.1 v2"} <= seen

    poll(both_new, timeout=SCALE_TIMEOUT, what="both replicas with the new code")


def test_scaling_back_to_one_replica(cli: Cli, swarm_app: RunningApp) -> None:
    cli.run("scale", swarm_app.name, "www=1", timeout=DEPLOY_TIMEOUT)
    status = cli.run("status", swarm_app.name).stdout
    assert "www.0: up" in status
    assert "www.1" not in status

    def only_www0() -> bool:
        answers = {requests.get(f"{swarm_app.base}/instance", timeout=10).text for _ in range(10)}
        return answers == {"www.0 v2"}

    poll(only_www0, timeout=SCALE_TIMEOUT, what="www.0 alone to answer")


def swarm_task(app: str, service: str, instance: int) -> Any:
    """The running container of one instance of a service."""
    client = docker.from_env()
    selector = labelled(app, f"{LABEL_SERVICE}={service}", f"{LABEL_INSTANCE}={instance}")
    (found,) = client.containers.list(filters=selector)
    return found


def redis(container: Any, password: str, *command: str) -> str:
    """A command by redis-cli in the instance's container (the password in its environment)."""
    result = container.exec_run(
        ["redis-cli", *command], environment={"REDISCLI_AUTH": password}, user="dotcloud"
    )
    return str(result.output.decode().strip())


def test_a_scaled_redis_replicates_on_swarm_and_scales_back(
    cli: Cli, swarm_app: RunningApp, visitor: requests.Session
) -> None:
    app = swarm_app.name
    password = saved_password(cli, app, "session")
    before = int(visitor.get(f"{swarm_app.base}/hits", timeout=10).text)
    cli.run("scale", app, "session=3", timeout=DEPLOY_TIMEOUT)
    status = cli.run("status", app).stdout
    assert all(f"session.{n}: up" in status for n in range(3)), status
    master = swarm_task(app, "session", 0)
    assert "role:master" in redis(master, password, "info", "replication")
    assert redis(master, password, "set", "swarm-probe", "written-on-master") == "OK"
    for number in (1, 2):
        replica = swarm_task(app, "session", number)
        poll(
            lambda replica=replica: (
                redis(replica, password, "get", "swarm-probe") == "written-on-master"
            ),
            timeout=SCALE_TIMEOUT,
            what=f"session.{number} to replicate the master's write",
        )
        assert "role:slave" in redis(replica, password, "info", "replication")
    # The application still reaches the master by the service's name, its data intact.
    assert visitor.get(f"{swarm_app.base}/hits", timeout=10).text == str(before + 1)
    cli.run("scale", app, "session=1", timeout=DEPLOY_TIMEOUT)
    status = cli.run("status", app).stdout
    assert "session.0: up" in status
    assert "session.1" not in status
    assert visitor.get(f"{swarm_app.base}/hits", timeout=10).text == str(before + 2)
    volumes = {v.name for v in docker.from_env().volumes.list(filters=labelled(app))}
    assert any(name.endswith("session-2-data") for name in volumes), volumes  # kept


def test_data_survives_stack_rm_and_redeploy(
    cli: Cli, swarm_app: RunningApp, visitor: requests.Session
) -> None:
    before = int(visitor.get(f"{swarm_app.base}/hits", timeout=10).text)
    removed = cli.run("stack", "rm", swarm_app.name)
    assert "data volumes kept" in removed.stdout
    client = docker.from_env()
    assert not client.services.list(filters=labelled(swarm_app.name))
    assert client.volumes.list(filters=labelled(swarm_app.name))
    deploy(cli, swarm_app)
    assert visitor.get(f"{swarm_app.base}/hits", timeout=10).text == str(before + 1)


@pytest.fixture(scope="module")
def registry(swarm: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's docker-registry on a free 127.0.0.1 port, its storage in a temporary folder."""
    ensure = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-registry.sh")], capture_output=True, text=True
    )
    if ensure.returncode != 0:
        message = f"docker-registry is not available: {ensure.stderr.strip()}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("registry")
    address = f"127.0.0.1:{free_port()}"
    config = folder / "config.yml"
    config.write_text(registry_config(folder / "storage", address), encoding="utf-8")
    with running(["docker-registry", "serve", str(config)], folder / "registry.log"):
        poll(lambda: registry_answers(address), timeout=REGISTRY_TIMEOUT, what="the registry")
        yield address


def registry_config(storage: Path, address: str) -> str:
    return (
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
        f"http:\n  addr: {address}\n"
    )


@contextlib.contextmanager
def running(argv: list[str], log: Path) -> Iterator[subprocess.Popen[Any]]:
    with log.open("w") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def registry_answers(address: str) -> bool:
    try:
        return requests.get(f"http://{address}/v2/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_images_pushed_to_a_registry_and_deployed_from_it(
    cli: Cli, swarm_app: RunningApp, registry: str, visitor: requests.Session
) -> None:
    pushed = cli.run("images", "push", swarm_app.name, "--registry", registry, "--json").stdout
    assert f'"www": "{registry}/dotcloud-{swarm_app.name}/www:img-' in pushed
    catalog = requests.get(f"http://{registry}/v2/_catalog", timeout=10).json()
    assert f"dotcloud-{swarm_app.name}/www" in catalog["repositories"]
    assert f"dotcloud-{swarm_app.name}/session" in catalog["repositories"]
    deploy(cli, swarm_app, "--registry", registry)
    assert service_image(swarm_app.name, "www").startswith(f"{registry}/dotcloud-")
    assert service_image(swarm_app.name, "session").startswith(f"{registry}/dotcloud-")
    assert int(visitor.get(f"{swarm_app.base}/hits", timeout=10).text) > 1


def test_destroy_removes_everything(cli: Cli, swarm_app: RunningApp) -> None:
    cli.run("destroy", swarm_app.name, "-y")
    assert swarm_objects(swarm_app.name) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{swarm_app.base}/", timeout=5)
