"""Every rule for a name a user writes, in one place, matched against the whole string.

`re.match` with a `$` anchor also accepts a trailing newline ("db\\n"), which then breaks the
Dockerfile, profile or configuration the name is written into: every rule here is applied with
`fullmatch`, and every caller checks names through `is_valid` / `check` (never its own pattern).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dotcloud_emulator.errors import UsageError


@dataclass(frozen=True)
class NameRule:
    """A kind of name: its whole-string pattern, its length limit and how to explain it."""

    what: str  # "service name", as a message says it
    pattern: re.Pattern[str]
    explanation: str  # what a valid one is made of
    max_length: int = 0  # 0: no limit beyond the pattern

    def is_valid(self, value: str) -> bool:
        return self.is_short_enough(value) and self.has_valid_characters(value)

    def is_short_enough(self, value: str) -> bool:
        return not self.max_length or len(value) <= self.max_length

    def has_valid_characters(self, value: str) -> bool:
        """The pattern alone, for a message that explains length and characters apart."""
        return self.pattern.fullmatch(value) is not None

    def check(self, value: str) -> str:
        """`value` when valid, else a UsageError naming it (escaped, so it prints as one line)."""
        if not self.is_valid(value):
            raise UsageError(f"invalid {self.what} {printable(value)}: {self.explanation}")
        return value


SERVICE = NameRule(
    "service name",
    re.compile(r"[a-z0-9_]+"),
    "use up to 16 lowercase letters, digits and underscores",
    max_length=16,
)
APPLICATION = NameRule(
    "application name",
    re.compile(r"[a-z0-9][a-z0-9_]{0,29}"),
    "use 1 to 30 lowercase letters, digits and underscores, starting with a letter or digit",
)
VARIABLE = NameRule(
    "variable name",
    re.compile(r"[A-Za-z_][A-Za-z0-9_]*"),
    "use letters, digits and underscores, not starting with a digit",
)
# Real build files name ports in upper case too (`MC: tcp`); the variables are upper-cased anyway.
PORT = NameRule(
    "port name",
    re.compile(r"[A-Za-z0-9_]+"),
    "use letters, digits and underscores",
)
PROGRAM = NameRule(
    "process name",
    re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*"),
    'use letters, digits, "_", "." and "-", starting with a letter, digit or "_"',
)
DEBIAN_PACKAGE = NameRule(
    "Debian package name",
    re.compile(r"[a-z0-9][a-z0-9+.-]+"),
    "use lowercase letters, digits, +, - and .",
)
HOST_LABEL = NameRule(
    "host name label",
    re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"),
    "use letters, digits and hyphens",
)
# What may be written unquoted into an nginx directive (server names, paths).
NGINX_WORD = NameRule(
    "nginx word",
    re.compile(r"[A-Za-z0-9._:*~-]+"),
    "it cannot be written into an nginx configuration",
)

MAX_HOST_LENGTH = 253


def is_host_name(value: str) -> bool:
    """A DNS name of two labels or more whose last label is not all digits (not an address)."""
    labels = value.split(".")
    return (
        len(value) <= MAX_HOST_LENGTH
        and len(labels) >= 2
        and all(HOST_LABEL.is_valid(label) for label in labels)
        and not labels[-1].isdigit()
    )


def printable(value: str) -> str:
    """A user's value quoted for one line of a message: control characters and non-printing
    characters escaped, so a value cannot move the cursor, set a title or forge another line."""
    return f'"{escaped(value)}"'


def escaped(value: str) -> str:
    """`value` with what `printable` escapes escaped, without the quotes around it."""
    return "".join(ch if ch.isprintable() and ch not in '"\\' else _escape(ch) for ch in value)


def _escape(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
