"""The user-facing error types and the exit codes the CLI documents.

Each error a user meets in more than one command is a named type here, its text written once:
a target that does not exist is a usage error (exit 2), something that is not running is a
failure of the environment (exit 1).
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1  # the environment failed: Docker missing, a build or a service failed
EXIT_USAGE = 2  # the user's input is wrong: bad argument, bad build file


class UserError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits with `exit_code`."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(UserError):
    """A bad argument or bad input file."""

    exit_code = EXIT_USAGE


class NoSuchService(UsageError):
    """APP.SERVICE names a service the application does not have."""

    def __init__(self, app: str, service: str, known: Sequence[str]) -> None:
        listing = ", ".join(known) or "none found"
        super().__init__(f'application {app} has no service "{service}" (services: {listing})')


class NoSuchInstance(UsageError):
    """APP.SERVICE.N names an instance the service does not have here."""

    def __init__(self, target: str, known: Sequence[str]) -> None:
        super().__init__(f'"{target}" names no instance here (instances: {", ".join(known)})')


class NoSuchApplication(UsageError):
    """No build file of the application can be found (neither where it was deployed from nor
    in the current directory)."""

    def __init__(self, app: str) -> None:
        super().__init__(
            f'cannot find the dotcloud.yml of "{app}": run `up APPDIR` once, or run this from '
            "the application's directory"
        )


class NotRunning(UserError):
    """An application, service or instance that has no running container here."""

    def __init__(self, target: str) -> None:
        super().__init__(f'"{target}" is not running: run `up` first')


class ContainerGone(UserError):
    """A container disappeared while a command was using it (removed by someone else)."""

    def __init__(self, instance: str | None) -> None:
        who = instance or "an instance"
        super().__init__(f"{who}: its container was removed while the command ran")


class DockerRefused(UserError):
    """The Docker engine answered a request with an error."""

    def __init__(self, instance: str | None, explanation: str) -> None:
        prefix = f"{instance}: " if instance else ""
        super().__init__(f"{prefix}Docker refused the request: {explanation}")
