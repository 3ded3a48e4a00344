"""The healer: one small container per application that starts again an instance which died
while nobody stopped it (`docker kill`), which Docker's restart policy leaves down."""

from __future__ import annotations

from typing import Any

from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.templating import render_template

EXECUTABLE = 0o755
# The engine's socket on the host, as Compose interpolates it (another engine: set the variable).
DOCKER_SOCKET = f"${{{naming.DOCKER_SOCKET_ENV_VAR}:-/var/run/docker.sock}}"


def render_healer_context(settings: Settings) -> list[File]:
    """The healer's Dockerfile and script (the same for every application)."""
    context = layout.HEALER_CONTEXT
    return [
        File(
            context / "Dockerfile",
            render_template("healer/Dockerfile.j2", base_image=settings.base_image),
        ),
        File(context / "dotcloud-healer", render_template("healer/dotcloud-healer"), EXECUTABLE),
    ]


def healer_service(app: str) -> dict[str, Any]:
    """The healer's Compose service: the engine's socket, no network, no port, no user code."""
    labels = {
        naming.LABEL_APP: app,
        naming.LABEL_SERVICE: naming.HEALER_SERVICE,
        naming.LABEL_ROLE: naming.ROLE_HEALER,
    }
    return {
        "image": naming.image(app, layout.HEALER_IMAGE),
        "build": {"context": layout.HEALER_CONTEXT.as_posix(), "labels": dict(labels)},
        "labels": labels,
        "environment": {"DOTCLOUD_APP": app},
        "volumes": [
            {
                "type": "bind",
                "source": DOCKER_SOCKET,
                "target": "/var/run/docker.sock",
            }
        ],
        "network_mode": "none",
        "stop_grace_period": "2s",
        "restart": "unless-stopped",
    }
