"""Per-application state: generated secrets, `env set` variables, scale and domains.

It lives outside the code, in `<state home>/apps/<app>/state.json` (0600, directories 0700), keyed
by the application name, the way dotCloud kept an application's state on its side of a push.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.catalogue import data_port
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.fsutil import write_atomic
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.appname import check_app_name
from dotcloud_emulator.platform.settings import DEFAULT_GATEWAY_PORT

STATE_FILE = "state.json"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PIP_TODAY = "today"  # `up --pip-date today`: today's releases, no era inferred
PASSWORD_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters


@dataclass
class AppState:
    app: str
    created_at: float
    passwords: dict[str, str] = field(default_factory=dict)
    # The password a scaled service's replicas log in to its master with (mysql's `replicator`).
    replication_passwords: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    scale: dict[str, int] = field(default_factory=dict)
    # The master of a scaled redis or mysql since a failover (the healer promoted a replica):
    # the instance its service's name goes to when its containers are made again; absent: 0.
    masters: dict[str, int] = field(default_factory=dict)
    domains: dict[str, list[str]] = field(default_factory=dict)
    gateway_port: int = DEFAULT_GATEWAY_PORT
    service_created: dict[str, float] = field(default_factory=dict)
    appdir: str | None = None  # where the application was last deployed from
    # `up --pip-date`: pip resolves requirements as on this date (YYYY-MM-DD), or as of today
    # (PIP_TODAY), until changed; None: as of the era inferred from the application (era_*).
    pip_date: str | None = None
    era_date: str | None = None  # the inferred era (YYYY-MM-DD), None for today's releases
    era_source: str | None = None  # where it came from; None: not inferred yet
    era_key: str | None = None  # what it was inferred from (engine.era.era_key)
    # `up --dev`: the code services run from the working tree; the next plain `up` clears it.
    dev_mode: bool = False

    @property
    def packages_before(self) -> str | None:
        """The date requirements resolve as of (YYYY-MM-DD), or None for today's releases."""
        if self.pip_date == PIP_TODAY:
            return None
        return self.pip_date or self.era_date

    def forget_service(self, service: str) -> None:
        """Drop what the state keeps about one service (its password, scale, domains)."""
        kept_maps = (
            self.passwords,
            self.replication_passwords,
            self.service_created,
            self.scale,
            self.masters,
            self.domains,
        )
        for kept in kept_maps:
            kept.pop(service, None)

    def domain_owner(self, domain: str) -> str | None:
        return next((s for s, names in self.domains.items() if domain in names), None)

    def add_domain(self, service: str, domain: str) -> None:
        self.domains.setdefault(service, []).append(domain)

    def remove_domain(self, service: str, domain: str) -> None:
        names = self.domains.get(service, [])
        names.remove(domain)
        if not names:
            del self.domains[service]


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


class StateStore:
    def __init__(self, home: Path) -> None:
        self.home = home

    def app_dir(self, app: str) -> Path:
        return self.home / "apps" / check_app_name(app)

    def state_file(self, app: str) -> Path:
        return self.app_dir(app) / STATE_FILE

    def exists(self, app: str) -> bool:
        return self.state_file(app).is_file()

    def load(self, app: str) -> AppState:
        """The saved state, or a fresh one (not saved) when the application has none yet."""
        path = self.state_file(app)
        if not path.is_file():
            return AppState(app=app, created_at=time.time())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"{path}: unreadable state file ({exc})") from exc
        return _state_from_json(path, app, data)

    def save(self, state: AppState) -> None:
        directory = self.app_dir(state.app)
        self._make_private_dirs(directory)
        text = json.dumps(asdict(state), indent=2, sort_keys=True) + "\n"
        _write_private_file(directory / STATE_FILE, text)

    def prepare(self, application: Application) -> AppState:
        """The state with a password for every data service and a creation time for every service.

        Saved only when something was added: the same build file gives the same secrets every run.
        """
        existed = self.exists(application.name)
        state = self.load(application.name)
        changed = _add_missing_entries(state, application)
        if changed or not existed:
            self.save(state)
        return state

    def instance_dir(self, app: str, service: str, instance: int) -> Path:
        return self.app_dir(app) / "instances" / naming.instance_service(service, instance)

    def write_instance_files(
        self, app: str, service: str, instance: int, files: Mapping[str, str]
    ) -> Path:
        directory = self.instance_dir(app, service, instance)
        self._make_private_dirs(directory)
        for name, content in files.items():
            _write_private_file(directory / name, content)
        return directory

    def destroy(self, app: str) -> None:
        """Forget the application: its secrets, variables and instance files."""
        directory = self.app_dir(app)
        if directory.exists():
            shutil.rmtree(directory)

    def apps(self) -> list[str]:
        root = self.home / "apps"
        if not root.is_dir():
            return []
        return sorted(entry.name for entry in root.iterdir() if (entry / STATE_FILE).is_file())

    def _make_private_dirs(self, directory: Path) -> None:
        """Make `directory` (under the home) and the folders above it, each private (0700).

        The home itself is the user's choice: created private when missing, its mode left as
        it is when it exists (a shared home such as a mode-1777 folder stays shared; what the
        emulator keeps in it is in `apps/`, private). The folders below it are the emulator's:
        each must be a real folder of this user, never a link somebody else put there.
        """
        self._make_home()
        path = self.home
        for part in directory.relative_to(self.home).parts:
            path = path / part
            try:
                path.mkdir(mode=PRIVATE_DIR_MODE)
            except FileExistsError:
                _check_own_folder(path)
            except OSError as exc:
                raise UsageError(f"{path}: cannot create the folder ({exc.strerror})") from exc
            path.chmod(PRIVATE_DIR_MODE)

    def _make_home(self) -> None:
        if self.home.is_dir():
            return
        if self.home.exists() or self.home.is_symlink():
            raise UsageError(
                f"{self.home}: the state directory is not a directory; set "
                f"{naming.STATE_ENV_VAR} to a folder"
            )
        try:
            self.home.mkdir(mode=PRIVATE_DIR_MODE, parents=True)
            self.home.chmod(PRIVATE_DIR_MODE)
        except OSError as exc:
            raise UsageError(
                f"{self.home}: cannot create the state directory ({exc.strerror})"
            ) from exc


def _check_own_folder(path: Path) -> None:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder"
    elif info.st_uid != os.getuid():
        problem = "belongs to another user"
    else:
        return
    raise UsageError(f"{path}: {problem}, where the state directory keeps secrets; move it away")


def _add_missing_entries(state: AppState, application: Application) -> bool:
    changed = False
    now = time.time()
    for service in application.services:
        port = data_port(service.type)
        if port and service.name not in state.passwords:
            state.passwords[service.name] = new_password()
            changed = True
        if port and port.replication_login and service.name not in state.replication_passwords:
            state.replication_passwords[service.name] = new_password()
            changed = True
        if service.name not in state.service_created:
            state.service_created[service.name] = now
            changed = True
    return changed


def _write_private_file(path: Path, content: str) -> None:
    data = content.encode("utf-8")
    if _holds(path, data):  # each write is flushed to disk: skip it when nothing changed
        return
    write_atomic(path, data, PRIVATE_FILE_MODE)


def _holds(path: Path, data: bytes) -> bool:
    try:
        info = path.lstat()
        return (
            stat.S_ISREG(info.st_mode)
            and stat.S_IMODE(info.st_mode) == PRIVATE_FILE_MODE
            and path.read_bytes() == data
        )
    except OSError:
        return False


def _state_from_json(path: Path, app: str, data: object) -> AppState:
    if not isinstance(data, dict):
        raise UserError(f"{path}: the state file does not hold a JSON object")
    try:
        return AppState(
            app=app,
            created_at=float(data["created_at"]),
            passwords={str(k): str(v) for k, v in data.get("passwords", {}).items()},
            replication_passwords={
                str(k): str(v) for k, v in data.get("replication_passwords", {}).items()
            },
            variables=_variables_from_json(path, data.get("variables", {})),
            scale={str(k): int(v) for k, v in data.get("scale", {}).items()},
            masters={str(k): int(v) for k, v in data.get("masters", {}).items()},
            domains=_domains_from_json(path, data.get("domains", {})),
            gateway_port=int(data.get("gateway_port", DEFAULT_GATEWAY_PORT)),
            service_created={str(k): float(v) for k, v in data.get("service_created", {}).items()},
            appdir=str(data["appdir"]) if data.get("appdir") else None,
            pip_date=str(data["pip_date"]) if data.get("pip_date") else None,
            era_date=str(data["era_date"]) if data.get("era_date") else None,
            era_source=str(data["era_source"]) if data.get("era_source") else None,
            era_key=str(data["era_key"]) if data.get("era_key") else None,
            dev_mode=data.get("dev_mode") is True,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{path}: malformed state file ({exc!r})") from exc


def _variables_from_json(path: Path, data: dict[object, object]) -> dict[str, str]:
    """The `env set` variables; a name saved before names were checked whole would break the
    profile of every instance."""
    variables = {str(name): str(value) for name, value in data.items()}
    for name in variables:
        if not names.VARIABLE.is_valid(name):
            raise UserError(
                f"{path}: the variable {names.printable(name)} stored by `env set` is not a "
                "valid variable name; delete it from this file"
            )
    return variables


def _domains_from_json(path: Path, data: dict[object, list[object]]) -> dict[str, list[str]]:
    """The stored domains, each a host name: one saved before names were checked whole (with a
    trailing newline, say) would otherwise break the gateway configuration of every generate."""
    domains = {str(service): [str(domain) for domain in listed] for service, listed in data.items()}
    for service, listed in domains.items():
        for domain in listed:
            if not names.is_host_name(domain):
                raise UserError(
                    f"{path}: the domain {names.printable(domain)} stored for service "
                    f"{names.printable(service)} is not a valid host name; delete it from this file"
                )
    return domains
