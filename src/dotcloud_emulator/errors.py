"""The one user-facing error type, and the exit codes the CLI documents."""

from __future__ import annotations

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
