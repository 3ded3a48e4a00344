"""Heroku's add-ons of 2012-2013 that a data service here stands in for, and the variables each
set in the application's config, written over the data service's DOTCLOUD_* variables.

Heroku gave each add-on's credentials as one URL. The user part of a Redis URL was ignored by
Redis 2 (`redis://h:PASSWORD@…`, `redis://redistogo:PASSWORD@…`); Redis 7 checks it, so here
it is the service's login, `root`. The databases are those the data services have: `root` on
PostgreSQL, `admin` (where `root` logs in) on MongoDB.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Addon:
    """An add-on: the data service type it runs as here, that service's name, and the variables
    it sets, as `string.Template` texts over `${HOST}`, `${PORT}`, `${LOGIN}`, `${PASSWORD}`."""

    name: str
    service_type: str
    service: str
    variables: tuple[tuple[str, str], ...]


_CREDENTIALS = "${LOGIN}:${PASSWORD}@${HOST}:${PORT}"
_POSTGRES_URL = f"postgres://{_CREDENTIALS}/root"
_REDIS_URL = f"redis://{_CREDENTIALS}"
_MONGODB_URI = f"mongodb://{_CREDENTIALS}/admin"

ADDONS: dict[str, Addon] = {
    addon.name: addon
    for addon in (
        Addon("heroku-postgresql", "postgresql", "postgresql", (("DATABASE_URL", _POSTGRES_URL),)),
        Addon("heroku-redis", "redis", "redis", (("REDIS_URL", _REDIS_URL),)),
        Addon(
            "redistogo",
            "redis",
            "redis",
            (("REDISTOGO_URL", f"{_REDIS_URL}/"), ("REDIS_URL", _REDIS_URL)),
        ),
        Addon(
            "rediscloud",
            "redis",
            "redis",
            (("REDISCLOUD_URL", _REDIS_URL), ("REDIS_URL", _REDIS_URL)),
        ),
        Addon(
            "mongolab",
            "mongodb",
            "mongodb",
            (("MONGOLAB_URI", _MONGODB_URI), ("MONGODB_URI", _MONGODB_URI)),
        ),
        Addon(
            "mongohq",
            "mongodb",
            "mongodb",
            (("MONGOHQ_URL", _MONGODB_URI), ("MONGODB_URI", _MONGODB_URI)),
        ),
    )
}


def addon_named(plan: str) -> Addon | None:
    """The add-on of a plan as app.json writes it (`heroku-postgresql`, `heroku-postgresql:dev`)."""
    return ADDONS.get(plan.split(":", 1)[0].strip().lower())
