"""Docker Swarm: images tagged by content, `docker stack deploy`/`rm`, waiting for the replicas.

Everything is found by the labels the stack file puts on it: services (`deploy.labels`), task
containers (`labels`), secrets, configs, the network and the data volumes.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.context import Reporter
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.swarm import GATEWAY_SWARM_SERVICE, StackImages, stack_name

POLL_INTERVAL = 1.0
REMOVAL_TIMEOUT = 120.0
FAILED_TASKS_LIMIT = 2  # a service whose new tasks failed this often will not come up
LOG_TAIL_LINES = 20
SWARM_SERVICE_ID = "com.docker.swarm.service.id"
STACK_NAMESPACE = "com.docker.stack.namespace"
FAILED_STATES = ("failed", "rejected")
UPDATE_FAILED = ("paused", "rollback_started", "rollback_paused", "rollback_completed")
Clock = Callable[[], float]


# The engine we talk to and what already runs there.


def check_swarm_manager(client: Any) -> None:
    swarm = client.info().get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        raise UserError(
            "this Docker engine is not a Swarm manager: run `docker swarm init` (one machine) or "
            "deploy from a manager node (see docs/scaling-out.md; `docker swarm leave` breaks "
            "name resolution in Compose applications running at that moment)"
        )


def node_hostname(client: Any) -> str:
    """The host name of the node we deploy from: data services and the gateway run there."""
    return str(client.info().get("Name", ""))


def check_not_on_compose(client: Any, app: str) -> None:
    """One application runs under one engine: its data volume would be used twice."""
    compose = [
        instance
        for instance in inventory.instances(client, app, include_gateway=True)
        if instance.running and SWARM_SERVICE_ID not in instance.labels
    ]
    if compose:
        raise UserError(
            f"application {app} runs under Compose here ({compose[0].label}): stop it with "
            f"`down {app}` before deploying it to Swarm"
        )


def services(client: Any, app: str) -> list[Any]:
    return list(client.services.list(filters=inventory.app_selector(app)))


def is_deployed(client: Any, app: str) -> bool:
    """True when the application has services in the swarm (False when there is no swarm)."""
    swarm = client.info().get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        return False
    return bool(services(client, app))


# Images: a tag per content, so a new build changes the stack file and Swarm rolls it out.


def content_tag(image_id: str) -> str:
    """`img-3f2a...`: the image's own id, so the tag changes exactly when the image does."""
    return "img-" + image_id.removeprefix("sha256:")[:12]


def tag_images(client: Any, app: str, service_names: Iterable[str], gateway: bool) -> StackImages:
    """Tag each built image (`dotcloud-tutorial/www:latest`) with its content tag."""
    names = {name: naming.image(app, name) for name in service_names}
    if gateway:
        names[GATEWAY_SWARM_SERVICE] = naming.image(app, layout.GATEWAY_IMAGE)
    tagged = {name: _tag_by_content(client, reference) for name, reference in names.items()}
    return StackImages(
        services={n: ref for n, ref in tagged.items() if n != GATEWAY_SWARM_SERVICE},
        gateway=tagged.get(GATEWAY_SWARM_SERVICE, ""),
    )


def _tag_by_content(client: Any, reference: str) -> str:
    image = client.images.get(reference)
    repository = reference.rsplit(":", 1)[0]
    tag = content_tag(image.id)
    image.tag(repository, tag)
    return f"{repository}:{tag}"


def push_images(client: Any, images: StackImages, registry: str, reporter: Reporter) -> StackImages:
    """Tag every image under `registry` (`HOST:PORT[/PREFIX]`) and push it; the pushed names."""
    pushed = {name: _push(client, ref, registry, reporter) for name, ref in images.services.items()}
    gateway = _push(client, images.gateway, registry, reporter) if images.gateway else ""
    return StackImages(services=pushed, gateway=gateway)


def registry_reference(reference: str, registry: str) -> str:
    return f"{registry.rstrip('/')}/{reference}"


def _push(client: Any, reference: str, registry: str, reporter: Reporter) -> str:
    target = registry_reference(reference, registry)
    repository, tag = target.rsplit(":", 1)
    client.images.get(reference).tag(repository, tag)
    reporter.event("push", target)
    for line in client.images.push(repository, tag=tag, stream=True, decode=True):
        if "error" in line:
            raise UserError(f"pushing {target} failed: {line.get('error')}")
    return target


# The stack itself.


def deploy_argv(stack_file: Path, app: str, *, from_registry: bool) -> list[str]:
    # Without a registry the images exist only in this engine: never ask a registry for them.
    resolve = "always" if from_registry else "never"
    return [
        "docker",
        "stack",
        "deploy",
        "--prune",
        "--resolve-image",
        resolve,
        "-c",
        str(stack_file),
        stack_name(app),
    ]


def run_docker(argv: Sequence[str], reporter: Reporter | None = None) -> None:
    try:
        result = subprocess.run(
            list(argv), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        raise UserError(f"cannot run `{shlex.join(argv)}`: {exc}") from exc
    if reporter is not None:
        for line in result.stdout.splitlines():
            reporter.detail(line)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-10:]
        lines = [f"`{shlex.join(argv)}` failed with exit code {result.returncode}", *tail]
        raise UserError("\n".join(lines))


def deploy_stack(stack_file: Path, app: str, reporter: Reporter, *, from_registry: bool) -> None:
    run_docker(deploy_argv(stack_file, app, from_registry=from_registry), reporter)


@dataclass(frozen=True)
class ServiceProgress:
    name: str  # the dotCloud service (`www`), or `gateway`
    wanted: int
    current: int  # running replicas of the current definition
    failed: int  # tasks of the current definition that failed
    update: str  # Swarm's UpdateStatus.State, "" when none
    update_message: str
    last_error: str
    failed_container: str | None

    @property
    def ready(self) -> bool:
        return self.current == self.wanted and self.update in ("", "completed")


def service_progress(service: Any, since: str) -> ServiceProgress:
    """Where one Swarm service stands: replicas of its current definition running (healthy,
    since Swarm reports a task running only after its healthcheck passes) and failed."""
    attrs = service.attrs
    spec = attrs["Spec"]
    labels = spec.get("Labels") or {}
    wanted = int(((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 1))
    template = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    tasks = service.tasks()
    current_tasks = [t for t in tasks if _same_definition(t, template)]
    running = [
        t
        for t in current_tasks
        if t.get("DesiredState") == "running" and t["Status"].get("State") == "running"
    ]
    failed = [
        t
        for t in current_tasks
        if t["Status"].get("State") in FAILED_STATES and str(t.get("CreatedAt", "")) >= since
    ]
    failed.sort(key=lambda t: str(t.get("CreatedAt", "")))
    update = attrs.get("UpdateStatus") or {}
    last = failed[-1] if failed else None
    name = labels.get(naming.LABEL_SERVICE, spec.get("Name", ""))
    if naming.LABEL_INSTANCE in labels:  # an instance of a data service: `db.1`
        name = naming.instance_name(name, int(labels[naming.LABEL_INSTANCE]))
    return ServiceProgress(
        name=name,
        wanted=wanted,
        current=len(running),
        failed=len(failed),
        update=str(update.get("State", "")),
        update_message=str(update.get("Message", "")),
        last_error=str(last["Status"].get("Err", "")) if last else "",
        failed_container=((last["Status"].get("ContainerStatus") or {}).get("ContainerID"))
        if last
        else None,
    )


def _same_definition(task: Mapping[str, Any], template: Mapping[str, Any]) -> bool:
    spec = (task.get("Spec") or {}).get("ContainerSpec") or {}
    keys = ("Image", "Env", "Secrets", "Configs")
    return all(spec.get(key) == template.get(key) for key in keys)


def swarm_now(client: Any) -> str:
    """The engine's clock as Swarm writes task times (RFC 3339), to tell new tasks from old."""
    return str(client.info().get("SystemTime", ""))


def wait_until_deployed(
    client: Any,
    app: str,
    reporter: Reporter,
    *,
    since: str,
    gateway_url: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Clock = time.monotonic,
) -> None:
    """Poll every service until each runs its wanted replicas of its current definition and no
    update is in progress; then, with a gateway, until it answers. Fails fast on failed tasks."""
    deadline = clock() + timeout
    seen: dict[str, tuple[int, int]] = {}
    while True:
        found = [service_progress(s, since) for s in services(client, app)]
        for progress in found:
            counts = (progress.current, progress.wanted)
            if seen.get(progress.name) != counts:
                seen[progress.name] = counts
                reporter.event(progress.name, f"{counts[0]}/{counts[1]} replicas ready")
            check_not_failing(client, progress)
        if found and all(p.ready for p in found) and gateway_answers(gateway_url):
            return
        if clock() > deadline:
            waiting = [p.name for p in found if not p.ready] or ["the gateway"]
            raise UserError(
                f"the stack of {app} did not become ready within {timeout:.0f} s "
                f"(waiting for {', '.join(waiting)})"
            )
        time.sleep(POLL_INTERVAL)


def check_not_failing(client: Any, progress: ServiceProgress) -> None:
    if progress.update in UPDATE_FAILED:
        raise UserError(
            f"{progress.name}: the update failed ({progress.update}: {progress.update_message})"
            + _log_tail(client, progress.failed_container)
        )
    if progress.failed >= FAILED_TASKS_LIMIT:
        raise UserError(
            f"{progress.name}: {progress.failed} replicas failed to start ({progress.last_error})"
            + _log_tail(client, progress.failed_container)
        )


def _log_tail(client: Any, container_id: str | None) -> str:
    if not container_id:
        return ""
    try:
        raw = client.containers.get(container_id).logs(tail=LOG_TAIL_LINES)
    except Exception:  # the logs only decorate the message
        return ""
    lines = raw.decode("utf-8", "replace").splitlines()
    return "\nlast log lines:\n" + "\n".join(f"    {line}" for line in lines) if lines else ""


def gateway_answers(url: str | None) -> bool:
    """The gateway reached its first web service: any answer but a 5xx (nginx gives 502 while
    Docker's DNS has no replica for the name yet)."""
    if url is None:
        return True
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL)
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


# Removing what the stack made.


def retire_data_services(
    client: Any, app: str, keep: Iterable[str], timeout: float = REMOVAL_TIMEOUT
) -> list[str]:
    """Remove the data instances' Swarm services the new stack file no longer has (an instance
    scaled away, or a service deployed by an older layout), and wait until their containers are
    gone: a deploy never starts a data server on a volume another one still has open. Their
    volumes stay. The names removed."""
    prefix = stack_name(app) + "_"
    kept = {prefix + name for name in keep}
    gone = [s for s in services(client, app) if _is_data_service(s) and s.name not in kept]
    for service in gone:
        service.remove()
    names = {service.name for service in gone}
    if names:
        wait_until_stopped(client, app, timeout, services=names)
    return sorted(name.removeprefix(prefix) for name in names)


def _is_data_service(service: Any) -> bool:
    """Whether a Swarm service runs a data service's instance: it mounts a data volume."""
    mounts = ((service.attrs["Spec"].get("TaskTemplate") or {}).get("ContainerSpec") or {}).get(
        "Mounts"
    ) or []
    return any(mount.get("Type") == "volume" for mount in mounts)


def remove_stack(client: Any, app: str, timeout: float = REMOVAL_TIMEOUT) -> bool:
    """`docker stack rm`, then wait until its containers are gone (Swarm stops them in the
    background) and remove its network; the data volumes stay. False when nothing was deployed."""
    if not is_deployed(client, app):
        return False
    run_docker(["docker", "stack", "rm", stack_name(app)])
    wait_until_stopped(client, app, timeout)
    remove_networks(client, app)
    return True


def stack_selector(app: str) -> dict[str, list[str]]:
    return {"label": [f"{STACK_NAMESPACE}={stack_name(app)}"]}


def wait_until_stopped(
    client: Any,
    app: str,
    timeout: float,
    clock: Clock = time.monotonic,
    *,
    services: Collection[str] = (),
) -> None:
    """Until no container of the stack is left (of those Swarm services only, when named)."""
    deadline = clock() + timeout
    while _containers_left(client, app, services):
        if clock() > deadline:
            if services:
                raise UserError(
                    f"the containers of {', '.join(sorted(services))} did not stop within "
                    f"{timeout:.0f} s; the stack was not deployed"
                )
            raise UserError(f"the stack of {app} was not removed within {timeout:.0f} s")
        time.sleep(POLL_INTERVAL)


def _containers_left(client: Any, app: str, services: Collection[str]) -> bool:
    found = inventory.list_containers(client, stack_selector(app))
    if services:
        return any(c.labels.get("com.docker.swarm.service.name") in services for c in found)
    return bool(found)


def remove_networks(client: Any, app: str) -> None:
    """The stack's network; the CLI's own removal fails while a task is still attached."""
    for network in client.networks.list(filters=stack_selector(app)):
        _removed(network)


def remove_everything(client: Any, app: str) -> None:
    """`destroy`: the services, their network, then the secrets and configs the application's
    label names (the volumes, images and the rest go the way of every application)."""
    swarm = client.info().get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        return
    for service in services(client, app):
        service.remove()
    wait_until_stopped(client, app, REMOVAL_TIMEOUT)
    remove_networks(client, app)
    for item in _labelled_objects(client, app):
        _removed(item)


def _labelled_objects(client: Any, app: str) -> list[Any]:
    selector = inventory.app_selector(app)
    return [*client.secrets.list(filters=selector), *client.configs.list(filters=selector)]


def prune_unused(client: Any, app: str) -> int:
    """Secrets and configs of earlier deployments that no service uses any more."""
    used: set[str] = set()
    for service in services(client, app):
        spec = service.attrs["Spec"]["TaskTemplate"].get("ContainerSpec") or {}
        used.update(s["SecretName"] for s in spec.get("Secrets") or [])
        used.update(c["ConfigName"] for c in spec.get("Configs") or [])
    removed = 0
    for item in _labelled_objects(client, app):
        if item.name not in used and _removed(item):
            removed += 1
    return removed


def _removed(item: Any) -> bool:
    from docker.errors import APIError

    try:
        item.remove()
    except APIError:  # still held by a task shutting down: the next deploy prunes it
        return False
    return True


def untag_registry_images(client: Any, app: str) -> None:
    """The tags `images push` added (`127.0.0.1:5000/dotcloud-app/www:img-…`)."""
    marker = "/" + naming.image_prefix(app)
    for image in inventory.images(client, app):
        for tag in image.tags:
            if marker in tag:
                client.images.remove(tag)
