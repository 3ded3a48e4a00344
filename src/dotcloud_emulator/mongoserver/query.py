"""Query documents: which documents a filter matches, in which order, with which fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bson import Regex

from dotcloud_emulator.mongoserver import values
from dotcloud_emulator.mongoserver.values import Document


class QueryError(Exception):
    """A filter, sort or projection MongoDB would refuse: `code` is MongoDB's error code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    return all(_clause(document, key, condition) for key, condition in query.items())


def _clause(document: Mapping[str, Any], key: str, condition: object) -> bool:
    if key == "$and":
        return all(matches(document, part) for part in _clauses(key, condition))
    if key == "$or":
        return any(matches(document, part) for part in _clauses(key, condition))
    if key == "$nor":
        return not any(matches(document, part) for part in _clauses(key, condition))
    if key in ("$comment", "$isolated", "$atomic"):
        return True
    if key.startswith("$"):
        raise QueryError(f"unknown top level operator: {key}", 2)
    candidates = list(values.values_at(document, values.split(key)))
    return field_matches(candidates, condition)


def _clauses(key: str, condition: object) -> list[Mapping[str, Any]]:
    if not isinstance(condition, list) or not condition:
        raise QueryError(f"{key} must be a nonempty array", 2)
    if not all(isinstance(part, Mapping) for part in condition):
        raise QueryError(f"{key} entries need to be full objects", 2)
    return condition


def is_operator_document(condition: object) -> bool:
    return (
        isinstance(condition, Mapping)
        and bool(condition)
        and all(str(key).startswith("$") for key in condition)
    )


def field_matches(candidates: list[object], condition: object) -> bool:
    """Whether the values a path reached satisfy a condition (a value or `{$op: ...}`)."""
    if is_operator_document(condition):
        assert isinstance(condition, Mapping)
        options = str(condition.get("$options", ""))
        return all(
            _operator(candidates, operator, argument, options)
            for operator, argument in condition.items()
            if operator != "$options"
        )
    return _equals(candidates, condition)


def _expanded(candidates: Iterable[object]) -> list[object]:
    """The candidates and, for arrays, their elements: `{tags: "a"}` matches `tags: ["a"]`."""
    expanded: list[object] = []
    for candidate in candidates:
        expanded.append(candidate)
        if isinstance(candidate, list):
            expanded.extend(candidate)
    return expanded


def _equals(candidates: list[object], wanted: object) -> bool:
    if isinstance(wanted, Regex | re.Pattern):
        return _regex(candidates, wanted, "")
    if wanted is None and not candidates:
        return True  # {field: null} matches a missing field
    return any(values.equal(candidate, wanted) for candidate in _expanded(candidates))


def _regex(candidates: list[object], pattern: object, options: str) -> bool:
    compiled = values.compile_regex(pattern, options)
    return any(
        isinstance(candidate, str) and compiled.search(candidate) is not None
        for candidate in _expanded(candidates)
    )


def _compare(candidates: list[object], bound: object, test: Callable[[Any, Any], bool]) -> bool:
    """$gt and its kin compare only values of the bound's type (numbers with numbers)."""
    key = values.sort_key(bound)
    return any(
        values.rank(candidate) == values.rank(bound) and test(values.sort_key(candidate), key)
        for candidate in _expanded(candidates)
    )


def _in(candidates: list[object], argument: object, operator: str) -> bool:
    if not isinstance(argument, list):
        raise QueryError(f"{operator} needs an array", 2)
    return any(_equals(candidates, wanted) for wanted in argument)


def _operator(candidates: list[object], operator: str, argument: object, options: str) -> bool:
    if operator == "$eq":
        return _equals(candidates, argument)
    if operator == "$ne":
        return not _equals(candidates, argument)
    if operator == "$gt":
        return _compare(candidates, argument, lambda a, b: a > b)
    if operator == "$gte":
        return _compare(candidates, argument, lambda a, b: a >= b)
    if operator == "$lt":
        return _compare(candidates, argument, lambda a, b: a < b)
    if operator == "$lte":
        return _compare(candidates, argument, lambda a, b: a <= b)
    if operator == "$in":
        return _in(candidates, argument, operator)
    if operator == "$nin":
        return not _in(candidates, argument, operator)
    if operator == "$exists":
        return bool(candidates) == bool(argument)
    if operator == "$regex":
        return _regex(candidates, argument, options)
    if operator == "$not":
        if isinstance(argument, Regex | re.Pattern):
            return not _regex(candidates, argument, "")
        return not field_matches(candidates, argument)
    if operator == "$all":
        if not isinstance(argument, list):
            raise QueryError("$all needs an array", 2)
        return bool(argument) and all(_equals(candidates, wanted) for wanted in argument)
    if operator == "$size":
        return any(isinstance(c, list) and len(c) == argument for c in candidates)
    if operator == "$elemMatch":
        return _elem_match(candidates, argument)
    if operator == "$mod":
        return _mod(candidates, argument)
    raise QueryError(f"unknown operator: {operator}", 2)


def _elem_match(candidates: list[object], argument: object) -> bool:
    if not isinstance(argument, Mapping):
        raise QueryError("$elemMatch needs an Object", 2)
    for candidate in candidates:
        if not isinstance(candidate, list):
            continue
        for item in candidate:
            if is_operator_document(argument):
                if field_matches([item], argument):
                    return True
            elif isinstance(item, Mapping) and matches(item, argument):
                return True
    return False


def _mod(candidates: list[object], argument: object) -> bool:
    if not isinstance(argument, list) or len(argument) != 2 or not argument[0]:
        raise QueryError("malformed mod, needs [divisor, remainder]", 2)
    divisor, remainder = int(argument[0]), int(argument[1])
    return any(
        values.is_number(c) and int(values.number(c)) % divisor == remainder
        for c in _expanded(candidates)
    )


# --- sort -----------------------------------------------------------------------------------------


def sort_documents(documents: list[Document], order: Mapping[str, Any]) -> list[Document]:
    """Sorted by each key of `order` in turn (1 ascending, -1 descending); an array sorts by its
    smallest element ascending and its largest descending; a missing field as null."""
    result = list(documents)
    for field, direction in reversed(list(order.items())):
        if isinstance(direction, Mapping):
            continue  # {$meta: "textScore"}: no text search here
        descending = values.number(direction) < 0 if values.is_number(direction) else False

        def key(doc: Document, f: str = field, d: bool = descending) -> tuple[Any, ...]:
            return _sort_value(doc, f, d)

        result.sort(key=key, reverse=descending)
    return result


def _sort_value(document: Mapping[str, Any], field: str, descending: bool) -> tuple[Any, ...]:
    found = list(values.values_at(document, values.split(field)))
    keys = [values.sort_key(item) for item in _expanded(found) if not isinstance(item, list)]
    keys += [values.sort_key(item) for item in found if isinstance(item, list) and not item]
    if not keys:
        return values.sort_key(None)
    return max(keys) if descending else min(keys)


# --- projection -----------------------------------------------------------------------------------


def project(document: Document, projection: Mapping[str, Any] | None) -> Document:
    """The fields a projection keeps: `{a: 1}` includes (and `_id` unless `_id: 0`), `{a: 0}`
    excludes; dotted paths reach into sub-documents."""
    if not projection:
        return document
    fields = {key: _truthy(value) for key, value in projection.items() if key != "_id"}
    keep_id = _truthy(projection.get("_id", 1))
    if fields and any(fields.values()):
        if not all(fields.values()):
            raise QueryError("Projection cannot have a mix of inclusion and exclusion.", 31254)
        result: Document = {}
        if keep_id and "_id" in document:
            result["_id"] = document["_id"]
        for path in fields:
            _copy_path(document, result, values.split(path))
        return result
    result = deep_copy(document)
    for path in fields:
        _remove_path(result, values.split(path))
    if not keep_id:
        result.pop("_id", None)
    return result


def _truthy(value: object) -> bool:
    if isinstance(value, Mapping):
        return True  # $slice, $elemMatch: kept whole here
    if values.is_number(value):
        return bool(values.number(value))
    return bool(value)


def _copy_path(source: object, target: Document, parts: list[str]) -> None:
    if not isinstance(source, Mapping) or parts[0] not in source:
        return
    value = source[parts[0]]
    if len(parts) == 1:
        target[parts[0]] = value
    elif isinstance(value, Mapping):
        inner = target.setdefault(parts[0], {})
        if isinstance(inner, dict):
            _copy_path(value, inner, parts[1:])
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, Mapping):
                part: Document = {}
                _copy_path(item, part, parts[1:])
                items.append(part)
        target[parts[0]] = items


def _remove_path(target: object, parts: list[str]) -> None:
    if isinstance(target, list):
        for item in target:
            _remove_path(item, parts)
        return
    if not isinstance(target, dict) or parts[0] not in target:
        return
    if len(parts) == 1:
        del target[parts[0]]
    else:
        _remove_path(target[parts[0]], parts[1:])


def deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [deep_copy(item) for item in value]
    return value
