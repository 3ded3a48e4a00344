"""Stopping and removing what an application made, by label: `down` keeps data, `destroy` not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from docker.errors import APIError, NotFound

from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT, wait_until_ready
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming

MAX_PARALLEL = 8


@dataclass(frozen=True)
class Removed:
    containers: int = 0
    networks: int = 0
    volumes: int = 0
    images: int = 0


def stop_containers(containers: Iterable[Any]) -> None:
    running = [c for c in containers if c.status in ("running", "restarting")]
    _in_parallel(lambda c: _tolerant(c.stop, timeout=naming.STOP_TIMEOUT), running)


def remove_containers(containers: Iterable[Any]) -> int:
    found = list(containers)
    stop_containers(found)
    _in_parallel(lambda c: _tolerant(c.remove, force=True), found)
    return len(found)


def down(client: Any, app: str) -> Removed:
    """Stop and remove the containers and networks; keep the volumes (the data) and the images."""
    containers = remove_containers(inventory.containers(client, app))
    networks = _remove_networks(inventory.networks(client, app))
    return Removed(containers=containers, networks=networks)


def destroy_app(client: Any, app: str) -> Removed:
    removed = down(client, app)
    volumes = _remove_volumes(inventory.volumes(client, app))
    images = remove_images(client, app)
    return Removed(removed.containers, removed.networks, volumes, images)


def destroy_service(client: Any, app: str, service: str) -> Removed:
    containers = remove_containers(inventory.containers(client, app, service))
    volumes = _remove_volumes(inventory.volumes(client, app, service))
    return Removed(containers=containers, volumes=volumes)


def restart(
    client: Any,
    app: str,
    service: str,
    number: int | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[str]:
    """Restart a service's instances (or one) and wait until they answer; returns their labels."""
    found = inventory.instances(client, app, service, number)
    if not found:
        raise UserError(f"{app}.{service} has no containers: run `up` first")
    restart_containers(client, found)
    wait_until_ready(client, {i.label: i.container_id for i in found}, timeout=timeout)
    return [i.label for i in found]


def restart_containers(client: Any, found: Iterable[inventory.Instance]) -> None:
    """Restart the instances' containers, all at once; the one restart every command uses."""
    _in_parallel(
        lambda i: client.containers.get(i.container_id).restart(timeout=naming.STOP_TIMEOUT),
        list(found),
    )


def remove_images(client: Any, app: str) -> int:
    """Untag the application's images; an image shared with another app keeps its other tags."""
    prefix = naming.image_prefix(app)
    count = 0
    for image in inventory.images(client, app):
        own_tags = [tag for tag in image.tags if tag.startswith(prefix)]
        for reference in own_tags or [image.id]:
            _tolerant(client.images.remove, reference)
        count += 1
    return count


def _remove_networks(networks: Iterable[Any]) -> int:
    found = list(networks)
    for network in found:
        _tolerant(network.remove)
    return len(found)


def _remove_volumes(volumes: Iterable[Any]) -> int:
    found = list(volumes)
    for volume in found:
        _tolerant(volume.remove, force=True)
    return len(found)


def _tolerant(action: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run one Docker call; what is already gone is fine, anything else is the user's to see."""
    try:
        action(*args, **kwargs)
    except NotFound:
        pass
    except APIError as exc:
        raise UserError(f"Docker refused: {exc.explanation or exc}") from exc


def _in_parallel(action: Callable[[Any], object], items: list[Any]) -> None:
    if not items:
        return
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(items))) as pool:
        list(pool.map(action, items))
