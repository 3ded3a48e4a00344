"""Which application a directory belongs to, found the way the dotCloud CLI found it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dotcloud_emulator import names
from dotcloud_emulator.errors import UsageError

CONNECT_FILE = Path(".dotcloud") / "config"


def check_app_name(name: str) -> str:
    """`name` when it is a valid application name, else a UsageError naming it (exit 2)."""
    return names.APPLICATION.check(name)


def connected_app(directory: Path) -> str | None:
    """The application named in `.dotcloud/config`, looked up from `directory` upwards (CLI 0.9)."""
    for folder in (directory.resolve(), *directory.resolve().parents):
        config = folder / CONNECT_FILE
        if config.is_file():
            try:
                data = json.loads(config.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UsageError(
                    f"{config}: not a readable dotCloud connection file ({exc})"
                ) from exc
            name = data.get("application") if isinstance(data, dict) else None
            if not isinstance(name, str):
                raise UsageError(f'{config}: no "application" name in it')
            return check_app_name(name)
    return None


def discover_app_name(appdir: Path, explicit: str | None = None) -> str:
    """An explicit name wins, then a connected directory, then the directory's own name."""
    if explicit:
        return check_app_name(explicit)
    connected = connected_app(appdir)
    if connected:
        return connected
    derived = re.sub(r"[^a-z0-9_]", "", appdir.resolve().name.lower().replace("-", "_"))[:30]
    if not derived:
        raise UsageError(
            f"cannot derive an application name from {appdir.resolve()}; pass --application NAME"
        )
    return check_app_name(derived)
