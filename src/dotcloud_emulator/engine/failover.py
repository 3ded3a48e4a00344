"""Which instance is the master of each scaled redis or mysql, as Docker holds it; which member
of a mongodb replica set is its primary, as the members say.

The master is the instance named as its service on the application's network (`db`, the address
environment.json gives): instance 0 at first; after a failover, the replica the healer promoted
and moved the name to. The engine reads it before it writes the Compose project again, so that
containers made again (`down` then `up`, a push that replaces them) give the name to the same
instance, and keeps it in the state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docker.errors import DockerException

from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.catalogue.model import SERVER_LIB_DIR
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.inventory import Instance
from dotcloud_emulator.mongoserver import replset
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.state import AppState


def replicated(instance: Instance) -> bool:
    service_type = SERVICE_TYPES.get(instance.type)
    return service_type is not None and service_type.replicated


def masters(found: Iterable[Instance]) -> dict[str, int]:
    """The instance holding its service's name, for each replicated service that has one."""
    held: dict[str, int] = {}
    for instance in found:
        named = instance.role == naming.ROLE_SERVICE and instance.holds_service_name
        if named and replicated(instance):
            held[instance.service] = instance.number
    return held


def master_of(found: Iterable[Instance], service: str) -> int:
    """The master's instance number among a service's containers (0 when none holds the name)."""
    return masters(instance for instance in found if instance.service == service).get(service, 0)


def note_masters(found: Iterable[Instance], state: AppState) -> bool:
    """Record in the state each replicated service's master as Docker holds it; True when the
    state changed. A service none of whose containers holds the name keeps what was recorded."""
    changed = False
    for service, number in masters(found).items():
        recorded = state.masters.get(service, 0)
        if number != recorded:
            changed = True
            if number:
                state.masters[service] = number
            else:
                state.masters.pop(service, None)
    return changed


def note_masters_of(client: Any, state: AppState) -> bool:
    return note_masters(inventory.instances(client, state.app), state)


def replica_set_primary(found: Iterable[Instance], port: int, client: Any = None) -> int | None:
    """The member of a replica set that says it is the primary, asked through the port each
    publishes on loopback (the set elects its primary itself), or, for a member that publishes
    none (under Swarm), from inside its container; None when none says so."""
    for instance in sorted(found, key=lambda i: i.number):
        if not instance.running:
            continue
        host_port = instance.host_port(port)
        if host_port:
            answer = replset.hello(f"127.0.0.1:{host_port}")
            primary = answer is not None and answer.primary
        else:
            primary = client is not None and says_primary_inside(client, instance, port)
        if primary:
            return instance.number
    return None


# Run by the server's own Python in a member's container: the hello of replset.hello.
_INSIDE_HELLO = (
    "from dotcloud_emulator.mongoserver import replset\n"
    "answer = replset.hello('127.0.0.1:%d')\n"
    "print('primary' if answer is not None and answer.primary else 'not primary')\n"
)


def says_primary_inside(client: Any, instance: Instance, port: int) -> bool:
    """Whether a member answers `hello` as the primary, asked in its container."""
    try:
        container = client.containers.get(instance.container_id)
        result = container.exec_run(
            ["/usr/bin/python3", "-c", _INSIDE_HELLO % port],
            environment={"PYTHONPATH": SERVER_LIB_DIR},
            user="dotcloud",
        )
    except DockerException:  # a container gone meanwhile, an engine error: no answer
        return False
    return bool(result.exit_code == 0 and result.output.decode().strip() == "primary")
