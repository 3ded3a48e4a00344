"""BSON values as MongoDB compares them: one total order across types, and dotted paths.

MongoDB orders values of different types by a fixed rank (MinKey, null, numbers, strings,
documents, arrays, binary, ObjectId, booleans, dates, timestamps, regular expressions, MaxKey);
numbers of every width compare by value, so `1`, `1.0` and `Int64(1)` are equal.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from bson import Binary, Decimal128, MaxKey, MinKey, ObjectId, Regex, Timestamp

Document = dict[str, Any]

RANK_MIN = 0
RANK_NULL = 1
RANK_NUMBER = 2
RANK_STRING = 3
RANK_DOCUMENT = 4
RANK_ARRAY = 5
RANK_BINARY = 6
RANK_OBJECTID = 7
RANK_BOOL = 8
RANK_DATE = 9
RANK_TIMESTAMP = 10
RANK_REGEX = 11
RANK_OTHER = 12
RANK_MAX = 100


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal128) and not isinstance(value, bool)


def number(value: object) -> int | float | Decimal:
    """A number's value, integral floats as ints, so equal numbers have equal keys."""
    if isinstance(value, Decimal128):
        decimal = value.to_decimal()
        return int(decimal) if decimal == decimal.to_integral_value() else decimal
    if isinstance(value, float) and value.is_integer():
        return int(value)
    assert isinstance(value, int | float)
    return value


def rank(value: object) -> int:
    if value is None:
        return RANK_NULL
    if isinstance(value, bool):
        return RANK_BOOL
    if is_number(value):
        return RANK_NUMBER
    if isinstance(value, str):
        return RANK_STRING
    if isinstance(value, Mapping):
        return RANK_DOCUMENT
    if isinstance(value, list | tuple):
        return RANK_ARRAY
    if isinstance(value, bytes | Binary):
        return RANK_BINARY
    if isinstance(value, ObjectId):
        return RANK_OBJECTID
    if isinstance(value, datetime.datetime):
        return RANK_DATE
    if isinstance(value, Timestamp):
        return RANK_TIMESTAMP
    if isinstance(value, Regex | re.Pattern):
        return RANK_REGEX
    if isinstance(value, MinKey):
        return RANK_MIN
    if isinstance(value, MaxKey):
        return RANK_MAX
    return RANK_OTHER


def sort_key(value: object) -> tuple[Any, ...]:
    """A key that orders values as MongoDB does; equal keys mean equal values."""
    kind = rank(value)
    if kind == RANK_NUMBER:
        return (kind, number(value))
    if kind in (RANK_STRING, RANK_BOOL):
        return (kind, value)
    if kind == RANK_DOCUMENT:
        assert isinstance(value, Mapping)
        return (kind, tuple((str(k), sort_key(v)) for k, v in value.items()))
    if kind == RANK_ARRAY:
        assert isinstance(value, list | tuple)
        return (kind, tuple(sort_key(item) for item in value))
    if kind == RANK_BINARY:
        assert isinstance(value, bytes | Binary)
        data = bytes(value)
        return (kind, len(data), data)
    if kind == RANK_OBJECTID:
        assert isinstance(value, ObjectId)
        return (kind, value.binary)
    if kind == RANK_DATE:
        assert isinstance(value, datetime.datetime)
        return (kind, value.replace(tzinfo=None) if value.tzinfo else value)
    if kind == RANK_TIMESTAMP:
        assert isinstance(value, Timestamp)
        return (kind, value.time, value.inc)
    if kind == RANK_REGEX:
        return (kind, regex_pattern(value), str(getattr(value, "flags", "")))
    if kind == RANK_OTHER:
        return (kind, repr(value))
    return (kind,)


def equal(left: object, right: object) -> bool:
    return sort_key(left) == sort_key(right)


def canonical(value: object) -> bytes:
    """The bytes a unique index stores for a value: equal values, equal bytes."""
    return repr(sort_key(value)).encode()


def regex_pattern(value: object) -> str:
    if isinstance(value, re.Pattern):
        return str(value.pattern)
    return str(getattr(value, "pattern", value))


def compile_regex(value: object, options: str = "") -> re.Pattern[str]:
    """A Python pattern for a BSON regular expression or a `$regex` string with `$options`."""
    if isinstance(value, re.Pattern):
        return value
    pattern = regex_pattern(value)
    if isinstance(value, Regex):
        options = options or (value.flags if isinstance(value.flags, str) else "")
        if isinstance(value.flags, int):
            return re.compile(pattern, value.flags)
    flags = 0
    for letter, flag in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
        if letter in options:
            flags |= flag
    return re.compile(pattern, flags)


# --- dotted paths --------------------------------------------------------------------------------


def split(path: str) -> list[str]:
    return path.split(".")


def values_at(value: object, parts: list[str]) -> Iterator[object]:
    """Every value a dotted path reaches, descending into arrays as MongoDB does (`a.b` reaches
    the `b` of every document in the array `a`; `a.0` the first element). A missing field yields
    nothing."""
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if isinstance(value, Mapping):
        if head in value:
            yield from values_at(value[head], rest)
    elif isinstance(value, list):
        if head.isdigit() and int(head) < len(value):
            yield from values_at(value[int(head)], rest)
        for item in value:
            if isinstance(item, Mapping):
                yield from values_at(item, parts)


def get_path(document: Mapping[str, Any], path: str) -> tuple[bool, object]:
    """The one value at a path without descending through arrays of documents: (found, value)."""
    current: object = document
    for part in split(path):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current
