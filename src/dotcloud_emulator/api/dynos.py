"""`status` of a Procfile application as `heroku ps` printed it: one block per process type,
`=== web: `COMMAND``, then `web.1: up 2013/03/05 06:28:13 (~ 21m ago)` for each dyno.

Dynos are numbered from 1, as on Heroku: `web.1` is the instance `web.0`. A dyno that runs is
`up` since its start; one that does not is `crashed` since it stopped (`down` when Docker has no
container for it). The add-ons' data services are not dynos and are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dotcloud_emulator.api.services import AppView
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import inventory


@dataclass(frozen=True)
class Dyno:
    type: str  # the process type (the service)
    number: int  # Heroku's, from 1
    command: str
    state: str  # up, crashed, down
    since: datetime | None

    @property
    def name(self) -> str:
        return f"{self.type}.{self.number}"

    def document(self) -> dict[str, object]:
        """As Heroku's API described a dyno (`heroku ps --json`)."""
        return {
            "type": self.type,
            "name": self.name,
            "command": self.command,
            "state": self.state,
            "updated_at": self.since.strftime("%Y-%m-%dT%H:%M:%SZ") if self.since else None,
        }


def dynos(view: AppView, application: Application, only: str | None = None) -> list[Dyno]:
    """Every dyno of the application's process types (or of one), in Procfile order."""
    statuses = view.statuses()
    found = {
        (instance.service, instance.number): instance
        for instance in inventory.instances(view.client, view.app)
    }
    listed = []
    for service in application.services:
        if not service.process or (only is not None and service.name != only):
            continue
        for (name, label), state in statuses.items():
            if name != service.name:
                continue
            number = int(label.rsplit(".", 1)[1])
            instance = found.get((name, number))
            listed.append(dyno(service.name, number, service.process, state, instance))
    return listed


def dyno(
    process_type: str, number: int, command: str, state: str, instance: inventory.Instance | None
) -> Dyno:
    if instance is None:
        return Dyno(process_type, number + 1, command, "down", None)
    if state == "up":
        return Dyno(process_type, number + 1, command, "up", parse_time(instance.started_at))
    return Dyno(process_type, number + 1, command, "crashed", parse_time(instance.finished_at))


def parse_time(text: str) -> datetime | None:
    """Docker's RFC 3339 time (nanoseconds and all) as an aware datetime."""
    if not text:
        return None
    whole, _, rest = text.partition(".")
    zone = rest[rest.find("+") :] if "+" in rest else "+00:00"
    try:
        return datetime.fromisoformat(whole.removesuffix("Z") + zone)
    except ValueError:
        return None


def ps_lines(found: list[Dyno], now: datetime | None = None) -> list[str]:
    """`heroku ps`'s text: a header per process type, then its dynos."""
    moment = now or datetime.now(UTC)
    lines: list[str] = []
    for process_type in dict.fromkeys(d.type for d in found):
        of_type = [d for d in found if d.type == process_type]
        if lines:
            lines.append("")
        lines.append(f"=== {process_type}: `{of_type[0].command}`")
        lines.extend(dyno_line(d, moment) for d in of_type)
    return lines


def dyno_line(found: Dyno, now: datetime) -> str:
    if found.since is None:
        return f"{found.name}: {found.state}"
    local = found.since.astimezone()
    return f"{found.name}: {found.state} {local:%Y/%m/%d %H:%M:%S} (~ {ago(now - found.since)})"


def ago(elapsed: timedelta) -> str:
    """Heroku's `21m ago`: seconds, minutes, hours, then days."""
    seconds = max(0, int(elapsed.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"
