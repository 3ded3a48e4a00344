"""The validated build file as frozen data. Nothing here touches the disk or Docker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

PortProtocol = Literal["http", "tcp", "udp"]
Scalar = str | int | float | bool | None


def _frozen(mapping: dict[str, object] | None = None) -> MappingProxyType[str, object]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Service:
    """One entry of dotcloud.yml, with the validator's defaults applied."""

    name: str
    type: str
    approot: str = "."
    instances: int = 1
    config: MappingProxyType[str, object] = field(default_factory=_frozen)
    environment: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ports: MappingProxyType[str, PortProtocol] = field(default_factory=lambda: MappingProxyType({}))
    process: str = ""
    processes: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prebuild: str | None = None
    postbuild: str | None = None
    postinstall: str = ""
    requirements: tuple[str, ...] = ()
    systempackages: tuple[str, ...] = ()
    buildscript: str | None = None
    # Keys the platform ignored but kept; `custom` builds see them as SERVICE_* variables.
    extra: MappingProxyType[str, object] = field(default_factory=_frozen)
    # Variables made from the platform's own (a Procfile application's DATABASE_URL and PORT):
    # `string.Template` texts over the instance's DOTCLOUD_* and PORT_* variables.
    derived_environment: MappingProxyType[str, str] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True)
class Application:
    """A whole build file: the application's name, its directory, and its services in file order."""

    name: str
    root: Path
    buildfile: Path
    services: tuple[Service, ...]

    @property
    def is_procfile(self) -> bool:
        """A Heroku-style application: its services come from a Procfile (buildfile/heroku.py)."""
        return self.buildfile.name == "Procfile"

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(service.name for service in self.services)
