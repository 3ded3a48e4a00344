"""What keeps other web pages away from the dashboard.

The dashboard answers only on 127.0.0.1, but any page the user's browser opens can still send it
requests: a cross-site POST (a form or `fetch` aimed at 127.0.0.1:PORT) or, through DNS
rebinding, a page whose own host name resolves to 127.0.0.1. So every request must name the
dashboard itself as its Host, and a request that changes something must also come from the
dashboard's own origin and carry the token only the dashboard's pages hold.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

TOKEN_HEADER = "x-csrf-token"  # noqa: S105 (a header name, not a secret)
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
JSON_TYPE = "application/json"


def new_token() -> str:
    """A token for one run of the dashboard (≥128 bits), handed to its pages only."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Guard:
    """The checks for one dashboard listening on `port`; headers are keyed in lower case."""

    port: int
    token: str = field(repr=False)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in LOOPBACK_NAMES)

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.hosts)

    def refuse_host(self, headers: Mapping[str, str]) -> str | None:
        """Why a request is refused for its Host (DNS rebinding), or None."""
        host = headers.get("host", "").strip().lower()
        if host not in self.hosts:
            return "this dashboard answers only to http://127.0.0.1 or http://localhost on its port"
        return None

    def refuse_change(self, headers: Mapping[str, str]) -> str | None:
        """Why a state-changing request (a POST) is refused, or None when it may proceed."""
        refused = self.refuse_host(headers)
        if refused:
            return refused
        if headers.get("origin", "").strip().lower() not in self.origins:
            return "cross-site request refused: its Origin is not this dashboard"
        if not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            return "cross-site request refused: the dashboard's token is missing or wrong"
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != JSON_TYPE:
            return f"a change must be sent as {JSON_TYPE}"
        return None


SECURITY_HEADERS = {
    # Scripts and styles from the dashboard only (no inline script can run), no framing
    # (clickjacking the restart and reveal buttons), no sniffing, no referrer to opened apps.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
