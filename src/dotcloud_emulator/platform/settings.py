"""Machine-level settings: where state lives, the gateway's port, the base image."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotcloud_emulator.platform.naming import STATE_ENV_VAR

DEFAULT_GATEWAY_PORT = 8080  # the default; an application's chosen port is kept in its state
DEFAULT_DOMAIN = "localhost"
DEFAULT_BASE_IMAGE = "debian:bookworm-slim"


@dataclass(frozen=True)
class Settings:
    state_home: Path
    domain: str = DEFAULT_DOMAIN
    base_image: str = DEFAULT_BASE_IMAGE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            state_home=state_home(env),
            base_image=env.get("DOTCLOUD_BASE_IMAGE", DEFAULT_BASE_IMAGE),
        )


def state_home(environ: Mapping[str, str]) -> Path:
    if environ.get(STATE_ENV_VAR):
        return Path(environ[STATE_ENV_VAR])
    xdg = environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path(environ.get("HOME", "~")).expanduser() / ".local" / "state"
    return base / "dotcloud-emulator"
