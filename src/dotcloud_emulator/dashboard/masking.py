"""Which values of an environment are secrets, and what the page shows in their place.

A value is secret when its variable's name says so (`..._PASSWORD`, `..._SECRET`, `API_KEY`),
when it is a URL carrying a password (`redis://root:PASSWORD@session:6379`), or when it holds
the value of another secret (a connection string built from the password). The page receives a
secret's name only; its value is fetched when the user asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

MASK = "••••••••"
SECRET_NAME = re.compile(
    r"(PASS(WORD|WD)?|SECRET|TOKEN|PRIVATE|CREDENTIALS?|(^|_)(API_|ACCESS_)?KEY)($|_)", re.I
)
SHORTEST_SECRET = 4  # a shorter "secret" would mask every value that happens to contain it


def is_secret_name(name: str) -> bool:
    return SECRET_NAME.search(name) is not None


def url_password(value: str) -> str | None:
    """The password of a `scheme://user:password@host` URL, else None."""
    if "://" not in value:
        return None
    try:
        return urlsplit(value).password or None
    except ValueError:
        return None


def secret_names(env: Mapping[str, object]) -> set[str]:
    named = {name for name, value in env.items() if is_secret_name(name) and str(value)}
    passwords = {str(env[name]) for name in named}
    passwords.update(p for value in env.values() if (p := url_password(str(value))))
    found = set(named)
    for name, value in env.items():
        text = str(value)
        if any(len(p) >= SHORTEST_SECRET and p in text for p in passwords):
            found.add(name)
    return found


def masked_environment(env: Mapping[str, object]) -> list[dict[str, object]]:
    """The variables in name order, each secret's value left out (`value` is None)."""
    secret = secret_names(env)
    return [
        {"name": name, "secret": name in secret, "value": None if name in secret else env[name]}
        for name in sorted(env)
    ]


def masked_url(url: str) -> str:
    """A URL with its password (if any) replaced by the mask, for showing a data service's port."""
    password = url_password(url)
    if password is None:
        return url
    return url.replace(f":{password}@", f":{MASK}@", 1)
