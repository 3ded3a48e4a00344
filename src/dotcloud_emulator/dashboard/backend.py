"""The dashboard's one door to the application API (the same calls the CLI makes).

Every call here is a read-only query except `restart` and `scale`; none takes a lock, so a page
keeps answering while `up` pushes the application in another terminal (what the API cannot read
meanwhile comes back as an error the page shows).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from dotcloud_emulator.api import instances, lifecycle, scaling, variables
from dotcloud_emulator.api.connect import require_application
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.api.services import AppView
from dotcloud_emulator.dashboard.shaping import Snapshot
from dotcloud_emulator.errors import NotRunning, UsageError
from dotcloud_emulator.platform.target import Target, parse_target

NO_BUILDFILE = (
    "the dotcloud.yml of {app} cannot be found: services are shown as Docker has them, "
    "and scaling waits until `up APPDIR` runs again"
)


class Backend(Protocol):
    """What the views ask; unit tests pass a fake."""

    def applications(self) -> dict[str, list[dict[str, object]]]: ...

    def snapshot(self, app: str) -> Snapshot: ...

    def environment(self, app: str, service: str) -> dict[str, object]: ...

    def past_lines(self, app: str, instance: str, lines: int) -> list[str]: ...

    def follow(
        self, app: str, instance: str, lines: int, stop: threading.Event
    ) -> Iterator[str]: ...

    def restart(self, app: str, instance: str, progress: Progress) -> None: ...

    def scale(self, app: str, service: str, count: int, progress: Progress) -> None: ...

    def mail(self, app: str, service: str) -> list[dict[str, object]]: ...


def instance_target(app: str, instance: str) -> Target:
    """`www.0` of `app` as a target; anything but SERVICE.N is a usage error."""
    target = parse_target(f"{app}.{instance}", require_service=True)
    if target.instance is None:
        raise UsageError(f'"{instance}" is not an instance: use SERVICE.N, e.g. www.0')
    return target


class ApiBackend:
    """The real thing: `dotcloud_emulator.api`."""

    def applications(self) -> dict[str, list[dict[str, object]]]:
        return lifecycle.applications()

    def snapshot(self, app: str) -> Snapshot:
        view = AppView.open(app)
        facts = [view.facts(name) for name in view.names]
        try:
            found = instances.select(Target(app)).instances
        except NotRunning:
            found = []
        problems = [] if view.application or not facts else [NO_BUILDFILE.format(app=app)]
        return Snapshot(app, facts, view.statuses(), found, problems)

    def environment(self, app: str, service: str) -> dict[str, object]:
        application = require_application(app)
        return variables.instance_variables(application, Target(app, service, 0))

    def past_lines(self, app: str, instance: str, lines: int) -> list[str]:
        return instances.past_lines(instances.select(instance_target(app, instance)), lines)

    def follow(self, app: str, instance: str, lines: int, stop: threading.Event) -> Iterator[str]:
        selection = instances.select(instance_target(app, instance))
        return instances.follow(selection, lines, stop)

    def restart(self, app: str, instance: str, progress: Progress) -> None:
        target = instance_target(app, instance)
        instances.restart(instances.select(target), target, progress, lambda number: None)

    def scale(self, app: str, service: str, count: int, progress: Progress) -> None:
        request = scaling.ScaleRequest(service, count)
        scaling.parse_scale(request.text)  # the CLI's checks of the count
        application = scaling.scalable_application(app, [request])
        scaling.store_scale(application, [request])
        if not lifecycle.apply_to_running(app, progress):
            progress.announce(f"{app} is not running: the change applies at its next `up`")

    def mail(self, app: str, service: str) -> list[dict[str, object]]:
        return instances.kept_mail(app, service)
