"""Names shared by every stage: Compose services, hosts, labels, URLs.

One place decides how `tutorial.www.1` is spelled in Docker, so the renderers, the environment and
the engine always agree.
"""

from __future__ import annotations

LABEL_PREFIX = "io.dotcloud.emulator"
LABEL_APP = f"{LABEL_PREFIX}.app"
LABEL_SERVICE = f"{LABEL_PREFIX}.service"
LABEL_INSTANCE = f"{LABEL_PREFIX}.instance"
LABEL_TYPE = f"{LABEL_PREFIX}.type"
LABEL_ROLE = f"{LABEL_PREFIX}.role"  # "service", "gateway", "data" (volumes)
# "true" on an instance that runs its code from the working tree (`up --dev`); absent otherwise.
LABEL_DEV = f"{LABEL_PREFIX}.dev"

GATEWAY_SERVICE = "gateway"
# Not an instance either: "healer-engine" is no valid dotCloud service name, so it is no one's.
HEALER_SERVICE = "healer-engine"
STATE_ENV_VAR = "DOTCLOUD_EMULATOR_HOME"
# The gateway's host port is a Compose variable, so the generated file does not change with it;
# the engine sets it from the application's state.
GATEWAY_PORT_ENV_VAR = "DOTCLOUD_GATEWAY_PORT"
# The engine's socket the healer watches, as a Compose variable (DOCKER_HOST's, when it names one).
DOCKER_SOCKET_ENV_VAR = "DOTCLOUD_DOCKER_SOCKET"
DEFAULT_STATE_HOME = "${HOME}/.local/state/dotcloud-emulator"  # as Compose interpolates it
INSTANCE_MOUNT = "/run/dotcloud"  # where an instance's environment files are mounted
DOTCLOUD_UID = 1000  # the uid of the images' `dotcloud` user, which runs the servers
HOME = "/home/dotcloud"


def compose_project(app: str) -> str:
    return f"dotcloud-{app}"


def instance_service(service: str, instance: int) -> str:
    """The Compose service (and stack-internal host name) of one instance: `www-0`."""
    return f"{service}-{instance}"


def instance_name(service: str, instance: int) -> str:
    """The dotCloud spelling of an instance: `www.0`."""
    return f"{service}.{instance}"


def image_prefix(app: str) -> str:
    """What every image of the application is named under: `dotcloud-tutorial/`."""
    return f"{compose_project(app)}/"


def image(app: str, name: str) -> str:
    """One image per dotCloud service, shared by its instances: `dotcloud-tutorial/www:latest`."""
    return f"{image_prefix(app)}{name}:latest"


def registry_image(registry: str, app: str, name: str) -> str:
    """The same image under a registry other hosts pull from:
    `registry.example.com:5000/team/dotcloud-tutorial/www:latest`."""
    return f"{registry.rstrip('/')}/{image(app, name)}"


def data_volume(service: str, instance: int) -> str:
    return f"{service}-{instance}-data"


def http_host(app: str, service: str, domain: str) -> str:
    return f"{service}.{app}.{domain}"


def http_url(host: str, port: int) -> str:
    return f"http://{host}/" if port == 80 else f"http://{host}:{port}/"


# The role label of what the emulator makes (containers, volumes).
ROLE_SERVICE = "service"
ROLE_GATEWAY = "gateway"
ROLE_DATA = "data"
ROLE_HEALER = "healer"
# Seconds Docker waits after SIGTERM before SIGKILL, for Compose files and the engine alike.
STOP_TIMEOUT = 20
