"""CherryPy sessions kept in Redis, shared by all uWSGI workers and all instances of the service."""

from __future__ import annotations

import datetime
import json
from typing import Any, ClassVar

import cherrypy
import redis
from cherrypy.lib.sessions import Session
from redis.exceptions import LockError
from redis.lock import Lock

KEY_PREFIX = "tutorial:session:"
LOCK_PREFIX = "tutorial:session-lock:"


class SessionBusyError(cherrypy.HTTPError):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(503, "Another request of this session holds its lock; try again.")


class RedisSession(Session):  # type: ignore[misc]
    """Stored as JSON `[data, expiration timestamp]` with a TTL, so Redis drops expired sessions."""

    url: ClassVar[str] = "redis://localhost:6379/0"
    lock_ttl_seconds: ClassVar[float] = 30.0
    lock_wait_seconds: ClassVar[float] = 10.0
    clients: ClassVar[dict[str, redis.Redis]] = {}

    _lock: Lock | None = None

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(cls, name, value)

    @property
    def client(self) -> redis.Redis:
        # Not made in setup(): CherryPy calls setup() once per process, for the first session only.
        client = self.clients.get(self.url)
        if client is None:
            client = self.clients[self.url] = redis.Redis.from_url(self.url, decode_responses=True)
        return client

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.id}"

    def _exists(self) -> bool:
        return bool(self.client.exists(self.key))

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        stored = self.client.get(self.key)
        if stored is None:
            return None
        data, expires_at = json.loads(str(stored))
        return data, datetime.datetime.fromtimestamp(expires_at)

    def _save(self, expiration_time: datetime.datetime) -> None:
        expires_at = expiration_time.timestamp()
        ttl_seconds = max(1, round(expires_at - self.now().timestamp()))
        self.client.set(self.key, json.dumps([self._data, expires_at]), ex=ttl_seconds)

    def _delete(self) -> None:
        self.client.delete(self.key)

    def acquire_lock(self) -> None:
        # redis-py Lock: SET NX PX with a random token, released by a compare-and-delete Lua
        # script; its TTL frees the session if a worker dies holding it.
        lock = self.client.lock(
            f"{LOCK_PREFIX}{self.id}",
            timeout=self.lock_ttl_seconds,
            sleep=0.01,
            blocking_timeout=self.lock_wait_seconds,
            thread_local=False,
        )
        if not lock.acquire():
            raise SessionBusyError()
        self._lock = lock
        self.locked = True

    def release_lock(self) -> None:
        lock, self._lock = self._lock, None
        self.locked = False
        if lock is None:
            return
        try:
            lock.release()
        except LockError:
            cherrypy.log(f"session lock {lock.name} expired before release", "TOOLS.SESSIONS")

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=f"{KEY_PREFIX}*"))
