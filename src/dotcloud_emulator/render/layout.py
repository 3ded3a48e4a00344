"""Where `generate` writes things: build contexts, the gateway's files, instance mounts."""

from __future__ import annotations

from pathlib import PurePosixPath

from dotcloud_emulator.platform import naming

COMPOSE_FILE = PurePosixPath("docker-compose.yml")
BUILD_ROOT = PurePosixPath(".dotcloud/build")
# Not under BUILD_ROOT: "gateway" is a valid dotCloud service name and would share the folder.
GATEWAY_CONTEXT = PurePosixPath(".dotcloud/gateway")
GATEWAY_ROUTES_DIR = GATEWAY_CONTEXT / "conf.d"
GATEWAY_ROUTES = GATEWAY_ROUTES_DIR / "routes.conf"
GATEWAY_IMAGE = "gateway-nginx"  # the hyphen keeps it apart from any service's image
GATEWAY_LISTEN_PORT = 8080
HEALER_CONTEXT = PurePosixPath(".dotcloud/healer")
HEALER_IMAGE = "healer-engine"  # the hyphen keeps it apart from any service's image
# Development mode's files (`up --dev`), mounted into the instances; pruned by a plain `up`.
DEV_ROOT = PurePosixPath(".dotcloud/dev")
GENERATED_ROOTS = (BUILD_ROOT, GATEWAY_CONTEXT, HEALER_CONTEXT, DEV_ROOT)


def build_context(service: str) -> PurePosixPath:
    return BUILD_ROOT / service


def dev_folder(service: str) -> PurePosixPath:
    return DEV_ROOT / service


def instance_mount_source(app: str, service: str, instance: int) -> str:
    """The instance's environment folder, for Compose to interpolate: no absolute path."""
    home = f"${{{naming.STATE_ENV_VAR}:-{naming.DEFAULT_STATE_HOME}}}"
    return f"{home}/apps/{app}/instances/{naming.instance_service(service, instance)}"
