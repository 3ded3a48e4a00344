"""The JSON the page reads, shaped from what the application API returns (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dotcloud_emulator.api.instances import Instance
from dotcloud_emulator.api.services import ServiceFacts
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.dashboard.masking import masked_url, url_password


@dataclass(frozen=True)
class Snapshot:
    """One application as the API saw it in one look."""

    app: str
    facts: Sequence[ServiceFacts]
    statuses: Mapping[tuple[str, str], str]  # (service, "www.0") -> "up" | "down"
    found: Sequence[Instance] = ()  # the containers, with Docker's state and health
    problems: Sequence[str] = field(default_factory=list)  # what could not be read


@dataclass(frozen=True)
class ActionView:
    """What the dashboard is doing to an application (or did last)."""

    kind: str  # "restart" | "scale"
    target: str  # "www.0" for a restart, "www" for a scale
    running: bool
    error: str | None = None
    lines: Sequence[str] = ()


def instance_state(found: Instance | None) -> str:
    """`up` as `status` says it (running, and not unhealthy), else why not: unhealthy, or
    Docker's word (exited, created…). Docker's health stays "starting" until its next
    healthcheck, long after the engine's own probe found the instance ready: it is shown
    beside the state, not instead of it."""
    if found is None:
        return "down"
    if found.running and found.health == "unhealthy":
        return "unhealthy"
    return "up" if found.running else found.status


def instance_row(
    label: str, found: Instance | None, action: ActionView | None
) -> dict[str, object]:
    restarting = action is not None and action.running and action.kind == "restart"
    restarting = restarting and action is not None and action.target == label
    return {
        "label": label,
        "state": "restarting" if restarting else instance_state(found),
        "health": (found.health if found else None) or "none",
        "status": found.status if found else "missing",
    }


def port_entry(name: str, url: str) -> dict[str, object]:
    """A port as the page shows it: a web URL to open, or a data URL with its password masked."""
    return {
        "name": name,
        "url": masked_url(url),
        "open": url.startswith(("http://", "https://")) and url_password(url) is None,
    }


def is_scalable(type_name: str) -> bool:
    service_type = SERVICE_TYPES.get(type_name)
    return service_type is not None and not service_type.is_data


def service_entry(
    facts: ServiceFacts, snapshot: Snapshot, action: ActionView | None
) -> dict[str, object]:
    labels = [label for (service, label) in snapshot.statuses if service == facts.name]
    by_label = {i.label: i for i in snapshot.found if i.service == facts.name}
    labels += [label for label in sorted(by_label) if label not in labels]
    scaling = action is not None and action.running and action.kind == "scale"
    return {
        "name": facts.name,
        "type": facts.type,
        "scalable": is_scalable(facts.type),
        "scaling": scaling and action is not None and action.target == facts.name,
        "instances": [instance_row(label, by_label.get(label), action) for label in labels],
        "ports": [port_entry(name, url) for name, url in facts.ports],
    }


def action_entry(action: ActionView | None) -> dict[str, object] | None:
    if action is None:
        return None
    return {
        "kind": action.kind,
        "target": action.target,
        "running": action.running,
        "error": action.error,
        "lines": list(action.lines),
    }


def application_document(snapshot: Snapshot, action: ActionView | None) -> dict[str, object]:
    return {
        "app": snapshot.app,
        "services": [service_entry(facts, snapshot, action) for facts in snapshot.facts],
        "action": action_entry(action),
        "problems": list(snapshot.problems),
    }


def applications_document(apps: Mapping[str, list[dict[str, object]]]) -> list[dict[str, object]]:
    """`list` as the page shows it: each application with its services' counts."""
    return [
        {
            "app": app,
            "services": services,
            "running": sum(int(str(s.get("running", 0))) for s in services),
            "instances": sum(int(str(s.get("instances", 0))) for s in services),
        }
        for app, services in apps.items()
    ]
