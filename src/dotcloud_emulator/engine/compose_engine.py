"""Carrying out a plan with `docker compose` (to create and start) and docker-py (to look, wait,
restart and remove); the gateway is reloaded through `GatewayControl`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.compose import ComposeError, beside_argv, run_compose, up_argv
from dotcloud_emulator.engine.context import DeployContext
from dotcloud_emulator.engine.executor import OnReady, Rotation, Side
from dotcloud_emulator.engine.lifecycle import remove_containers, restart_containers
from dotcloud_emulator.engine.plan import Action, InstanceKey, is_data_service, label
from dotcloud_emulator.engine.readiness import first_failure, wait_until_ready
from dotcloud_emulator.engine.routing import GatewayControl
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.devmode import runs_from_tree
from dotcloud_emulator.render.gateway import render_gateway_routes


class ComposeEngine:
    def __init__(self, ctx: DeployContext) -> None:
        self.ctx = ctx
        self._gateway: GatewayControl | None = None
        self._gateway_looked_up = False
        # Instances being replaced beside themselves: their running containers before, and
        # the new one; and the containers (by name) the gateway sends their traffic to.
        self._previous: dict[InstanceKey, list[inventory.Instance]] = {}
        self._new: dict[InstanceKey, inventory.Instance] = {}
        self._pinned: dict[InstanceKey, list[str]] = {}

    def running(self) -> list[InstanceKey]:
        return [(i.service, i.number) for i in self._instances() if i.running]

    def existing(self) -> list[InstanceKey]:
        return [(i.service, i.number) for i in self._instances()]

    def outdated(self) -> list[InstanceKey]:
        """Code instances whose container was made from another image than the one just built,
        or runs its code from elsewhere (the working tree, the image) than the application's
        mode says: only they need replacing, so a push of unchanged code recreates nothing."""
        client, application = self.ctx.client, self.ctx.application
        stale: list[InstanceKey] = []
        for instance in self._instances():
            if is_data_service(application, instance.service):
                continue
            container = client.containers.get(instance.container_id)
            built = self._runs_built(container, naming.image(self.ctx.app, instance.service))
            if not built or self._mode_differs(container, instance.service):
                stale.append((instance.service, instance.number))
        return stale

    def _runs_built(self, container: Any, image: str) -> bool:
        """True when `container` was made from the image now named `image` (the one just built)."""
        return bool(container.image.id == self.ctx.client.images.get(image).id)

    def _mode_differs(self, container: Any, service: str) -> bool:
        """True when the container runs from the tree and should not, or the other way round."""
        if service not in self.ctx.application.service_names:
            return False
        from_tree = bool(container.labels.get(naming.LABEL_DEV) == "true")
        wanted = self.ctx.state.dev_mode and runs_from_tree(self.ctx.application.service(service))
        return from_tree != wanted

    def start(self, keys: Sequence[InstanceKey], *, first: bool = False) -> None:
        services = [naming.instance_service(*key) for key in keys]
        self._up(services, first=first)

    def wait(self, keys: Sequence[InstanceKey], on_ready: OnReady | None = None) -> None:
        found = {(i.service, i.number): i.container_id for i in self._instances()}
        found.update({key: new.container_id for key, new in self._new.items()})
        waiting: dict[str, str] = {}
        for key in keys:
            if key not in found:
                raise UserError(f"{label(key)} was not created")
            waiting[label(key)] = found[key]
        self._wait(waiting, on_ready)

    def replace(self, key: InstanceKey, action: Action) -> None:
        if action == "recreate":
            self._up([naming.instance_service(*key)], recreate=True)
            return
        found = inventory.instances(self.ctx.client, self.ctx.app, *key)
        if not found:
            raise UserError(f"{label(key)} has no container: run `up` first")
        restart_containers(self.ctx.client, found)

    def pin(self, key: InstanceKey, which: Side) -> None:
        """Send the instance's traffic to its current containers, or to the new one only."""
        if which == "new":
            self._pinned[key] = [self._new[key].container_name]
        else:
            current = self._running_containers(key)
            self._previous[key] = current
            self._pinned[key] = [i.container_name for i in current]

    def start_beside(self, key: InstanceKey) -> None:
        before = {i.container_id for i in self._previous.get(key, [])}
        service = naming.instance_service(*key)
        run_compose(
            self.ctx.project,
            beside_argv(self.ctx.project, service, len(before)),
            on_line=self.ctx.reporter.detail,
        )
        started = [i for i in self._running_containers(key) if i.container_id not in before]
        if len(started) != 1:
            raise UserError(f"{label(key)}: Compose did not start one new container beside it")
        self._new[key] = started[0]

    def end_beside(self, key: InstanceKey, *, keep: Side) -> None:
        """Remove the old containers (`keep="new"`) or the new one, and route by name again."""
        new = self._new.pop(key, None)
        previous = self._previous.pop(key, [])
        leaving = previous if keep == "new" else [new] if new is not None else []
        client = self.ctx.client
        remove_containers([client.containers.get(i.container_id) for i in leaving])
        self._pinned.pop(key, None)

    def retire(self, key: InstanceKey) -> None:
        found = inventory.instances(self.ctx.client, self.ctx.app, *key)
        remove_containers([self.ctx.client.containers.get(i.container_id) for i in found])

    def gateway_serves(self) -> bool:
        """True when the gateway runs on the application's port, from the image just built: a
        gateway made from another image (the emulator was upgraded since) is replaced too."""
        if self._running_gateway() is None:
            return False
        found = inventory.gateway(self.ctx.client, self.ctx.app)
        if found is None:
            return False
        port = next(iter(found.published.values()), None)
        return port == self.ctx.state.gateway_port and self._gateway_image_current(found)

    def _gateway_image_current(self, gateway: inventory.Instance) -> bool:
        from docker.errors import ImageNotFound

        container = self.ctx.client.containers.get(gateway.container_id)
        try:
            return self._runs_built(container, naming.image(self.ctx.app, layout.GATEWAY_IMAGE))
        except ImageNotFound:
            return True  # nothing to replace it with

    def start_gateway(self, *, first: bool = False) -> None:
        # Alone: the instances it depends on were just seen ready by our own probes, which do not
        # wait for Docker's next healthcheck as Compose's `depends_on` would. A running
        # application gets a new gateway (a port change is a new container).
        self._up([naming.GATEWAY_SERVICE], first=first, recreate=not first, alone=True)
        self._gateway_looked_up = False

    def wait_gateway(self, on_ready: OnReady | None = None) -> None:
        found = inventory.gateway(self.ctx.client, self.ctx.app)
        if found is None:
            raise UserError(f"the gateway of {self.ctx.app} was not created")
        self._wait({naming.GATEWAY_SERVICE: found.container_id}, on_ready)

    def route(self, rotation: Rotation) -> None:
        gateway = self._running_gateway()
        if gateway is None:
            return
        ctx = self.ctx
        routes = render_gateway_routes(
            ctx.application, ctx.state, ctx.settings, rotation, self._pinned
        )
        gateway.apply(routes.content)

    def keep_healing(self) -> None:
        """Have the application's healer run (Compose leaves a running, current one alone)."""
        self._up([naming.HEALER_SERVICE], alone=True)

    def _up(
        self,
        services: list[str],
        *,
        first: bool = False,
        recreate: bool = False,
        alone: bool | None = None,
    ) -> None:
        project = self.ctx.project
        argv = up_argv(
            project, *services, alone=not first if alone is None else alone, recreate=recreate
        )
        try:
            run_compose(project, argv, on_line=self.ctx.reporter.detail)
        except ComposeError as exc:
            # With dependencies, Compose stops at one's failed healthcheck: name it, with its logs.
            failure = first_failure(self.ctx.client, self._all_containers()) if first else None
            if failure is not None:
                raise failure from exc
            raise

    def _wait(self, waiting: dict[str, str], on_ready: OnReady | None) -> None:
        wait_until_ready(self.ctx.client, waiting, timeout=self.ctx.timeout, on_ready=on_ready)

    def _running_gateway(self) -> GatewayControl | None:
        if not self._gateway_looked_up:
            self._gateway = GatewayControl.find(self.ctx.client, self.ctx.app)
            self._gateway_looked_up = True
        return self._gateway

    def _running_containers(self, key: InstanceKey) -> list[inventory.Instance]:
        return [i for i in inventory.instances(self.ctx.client, self.ctx.app, *key) if i.running]

    def _instances(self) -> list[inventory.Instance]:
        return inventory.instances(self.ctx.client, self.ctx.app)

    def _all_containers(self) -> dict[str, str]:
        """`{"www.0": container id}` for every container of the application, the gateway too."""
        found = inventory.instances(self.ctx.client, self.ctx.app, include_gateway=True)
        return {instance.label: instance.container_id for instance in found}
