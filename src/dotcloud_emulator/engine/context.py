"""What a command that changes a running application works with, built once and passed along."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine.compose import ComposeProject
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render import layout


class Reporter(Protocol):
    """Where deploy progress goes; the CLI decides how it looks."""

    def step(self, text: str) -> None: ...  # `---> Building the application...`

    def event(self, source: str, text: str) -> None: ...  # `[www.0] Waiting for ...`

    def activity(self, text: str) -> AbstractContextManager[None]: ...  # a spinner while it runs

    def detail(self, line: str) -> None: ...  # one line of a tool's output during an activity


class SilentReporter:
    def step(self, text: str) -> None:
        pass

    def event(self, source: str, text: str) -> None:
        pass

    def activity(self, text: str) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def detail(self, line: str) -> None:
        pass


@dataclass(frozen=True)
class DeployContext:
    client: Any  # docker-py's client
    application: Application
    state: AppState
    settings: Settings
    project: ComposeProject
    reporter: Reporter
    timeout: float = DEFAULT_TIMEOUT  # seconds an instance may take to answer

    @classmethod
    def create(
        cls,
        client: Any,
        application: Application,
        state: AppState,
        settings: Settings,
        *,
        reporter: Reporter | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeployContext:
        """The context of an application generated into its own directory, as `up` writes it."""
        project = ComposeProject.for_app(
            application.name,
            application.root / layout.COMPOSE_FILE,
            settings.state_home,
            state.gateway_port,
        )
        return cls(
            client, application, state, settings, project, reporter or SilentReporter(), timeout
        )

    @property
    def app(self) -> str:
        return self.application.name
