"""Update documents: a replacement, or operators ($set, $inc, $push, ...) applied to a copy."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from bson import Int64

from dotcloud_emulator.mongoserver import query, values
from dotcloud_emulator.mongoserver.values import Document

# MongoDB's codes: a bad update operator, a value of the wrong type, an immutable _id.
BAD_VALUE = 2
TYPE_MISMATCH = 14
FAILED_TO_PARSE = 9
IMMUTABLE_FIELD = 66


class UpdateError(Exception):
    def __init__(self, message: str, code: int = BAD_VALUE) -> None:
        super().__init__(message)
        self.code = code


def is_operator_update(update: Mapping[str, Any]) -> bool:
    return any(str(key).startswith("$") for key in update)


def apply_update(
    document: Document, update: Mapping[str, Any], *, inserting: bool = False
) -> Document:
    """The document after `update`; `inserting` (an upsert's new document) applies $setOnInsert."""
    if not is_operator_update(update):
        return replacement(document, update)
    if not all(str(key).startswith("$") for key in update):
        raise UpdateError("Unknown modifier: mixing update operators and fields", FAILED_TO_PARSE)
    result: Document = query.deep_copy(document)
    for operator, fields in update.items():
        if not isinstance(fields, Mapping):
            raise UpdateError(
                f"Modifiers operate on fields but we found another type instead: {operator}",
                FAILED_TO_PARSE,
            )
        apply = _OPERATORS.get(operator)
        if apply is None:
            raise UpdateError(f"Unknown modifier: {operator}", FAILED_TO_PARSE)
        if operator == "$setOnInsert" and not inserting:
            continue
        for path, argument in fields.items():
            if path == "_id" or path.startswith("_id."):
                if operator in ("$set", "$setOnInsert") and values.equal(
                    document.get("_id"), argument
                ):
                    continue
                if "_id" in document:
                    raise UpdateError(
                        "Performing an update on the path '_id' would modify the immutable "
                        "field '_id'",
                        IMMUTABLE_FIELD,
                    )
            apply(result, values.split(path), argument)
    return result


def resolve_positional(
    document: Document, selector: Mapping[str, Any], update: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The update with each positional `$` (`comments.$.text`) replaced by the index of the first
    element of that array the selector matched, as MongoDB does."""
    if not is_operator_update(update):
        return update
    resolved: dict[str, Any] = {}
    for operator, fields in update.items():
        if not isinstance(fields, Mapping) or not any(".$" in str(path) for path in fields):
            resolved[operator] = fields
            continue
        resolved[operator] = {
            _positioned(document, selector, str(path)): value for path, value in fields.items()
        }
    return resolved


def _positioned(document: Document, selector: Mapping[str, Any], path: str) -> str:
    parts = values.split(path)
    if "$" not in parts:
        return path
    at = parts.index("$")
    prefix = ".".join(parts[:at])
    found, array = values.get_path(document, prefix)
    if found and isinstance(array, list):
        for index, element in enumerate(array):
            if _element_matches(element, selector, prefix):
                return ".".join([*parts[:at], str(index), *parts[at + 1 :]])
    raise UpdateError("The positional operator did not find the match needed from the query.")


def _element_matches(element: object, selector: Mapping[str, Any], prefix: str) -> bool:
    """Whether an array element satisfies every condition the selector puts on that array."""
    conditions = [
        (key, condition)
        for key, condition in selector.items()
        if key == prefix or key.startswith(prefix + ".")
    ]
    if not conditions:
        return False
    for key, condition in conditions:
        if key == prefix:
            if isinstance(condition, Mapping) and "$elemMatch" in condition:
                wanted = condition["$elemMatch"]
                if query.is_operator_document(wanted):
                    ok = query.field_matches([element], wanted)
                else:
                    ok = isinstance(element, Mapping) and query.matches(element, wanted)
            else:
                ok = query.field_matches([element], condition)
        else:
            inner = key[len(prefix) + 1 :]
            ok = isinstance(element, Mapping) and query.matches(element, {inner: condition})
        if not ok:
            return False
    return True


def replacement(document: Document, new: Mapping[str, Any]) -> Document:
    if any(str(key).startswith("$") for key in new):
        raise UpdateError(
            "The dollar ($) prefixed field is not valid in a replacement", FAILED_TO_PARSE
        )
    result: Document = {}
    if "_id" in document:
        if "_id" in new and not values.equal(new["_id"], document["_id"]):
            raise UpdateError("The _id field cannot be changed by a replacement", IMMUTABLE_FIELD)
        result["_id"] = document["_id"]
    result.update((key, value) for key, value in new.items() if key not in result)
    return result


def upsert_seed(selector: Mapping[str, Any]) -> Document:
    """The new document of an upsert before its update: the selector's equality conditions."""
    seed: Document = {}
    for key, condition in selector.items():
        if key == "$and" and isinstance(condition, list):
            for part in condition:
                if isinstance(part, Mapping):
                    _merge(seed, upsert_seed(part))
        elif key.startswith("$"):
            continue
        elif query.is_operator_document(condition):
            assert isinstance(condition, Mapping)
            if "$eq" in condition:
                _set(seed, values.split(key), condition["$eq"])
        else:
            _set(seed, values.split(key), condition)
    return seed


def _merge(target: Document, source: Document) -> None:
    for key, value in source.items():
        target[key] = value


# --- paths ---------------------------------------------------------------------------------------


def _parent(document: Document, parts: list[str], *, create: bool) -> tuple[Any, str] | None:
    """The container holding the last part of a path (a document or an array), made on the way
    when `create`."""
    current: Any = document
    for part in parts[:-1]:
        if isinstance(current, dict):
            if part not in current:
                if not create:
                    return None
                current[part] = {}
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                if not create:
                    return None
                current.extend([None] * (index + 1 - len(current)))
                current[index] = {}
            current = current[index]
        else:
            if not create:
                return None
            raise UpdateError(
                f"cannot use the part ({part} of {'.'.join(parts)}) to traverse the element", 28
            )
        if current is None and create:
            raise UpdateError(
                f"cannot use the part ({part} of {'.'.join(parts)}) to traverse the element", 28
            )
    return current, parts[-1]


def _get(document: Document, parts: list[str]) -> tuple[bool, Any]:
    return values.get_path(document, ".".join(parts))


def _set(document: Document, parts: list[str], value: object) -> None:
    place = _parent(document, parts, create=True)
    assert place is not None
    container, last = place
    if isinstance(container, dict):
        container[last] = value
    elif isinstance(container, list) and last.isdigit():
        index = int(last)
        if index >= len(container):
            container.extend([None] * (index + 1 - len(container)))
        container[index] = value
    else:
        raise UpdateError(f"cannot use the part ({last}) to traverse the element", 28)


def _unset(document: Document, parts: list[str], _argument: object) -> None:
    place = _parent(document, parts, create=False)
    if place is None:
        return
    container, last = place
    if isinstance(container, dict):
        container.pop(last, None)
    elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
        container[int(last)] = None  # as MongoDB: an array keeps its length


# --- the operators -------------------------------------------------------------------------------


def _op_set(document: Document, parts: list[str], argument: object) -> None:
    _set(document, parts, argument)


def _arithmetic(document: Document, parts: list[str], argument: object, operator: str) -> None:
    if not values.is_number(argument):
        raise UpdateError(
            f"Cannot {operator} with non-numeric argument: {{{'.'.join(parts)}: {argument!r}}}",
            TYPE_MISMATCH,
        )
    found, current = _get(document, parts)
    if not found:
        _set(document, parts, argument if operator == "increment" else 0)
        return
    if not values.is_number(current):
        raise UpdateError(
            "Cannot apply $inc to a value of non-numeric type. "
            f"{{_id: {document.get('_id')!r}}} has the field "
            f"'{parts[-1]}' of non-numeric type {type(current).__name__}",
            TYPE_MISMATCH,
        )
    result = current + argument if operator == "increment" else current * argument
    if isinstance(current, Int64) or isinstance(argument, Int64):
        result = Int64(result)
    _set(document, parts, result)


def _op_inc(document: Document, parts: list[str], argument: object) -> None:
    _arithmetic(document, parts, argument, "increment")


def _op_mul(document: Document, parts: list[str], argument: object) -> None:
    _arithmetic(document, parts, argument, "multiply")


def _array_at(document: Document, parts: list[str], operator: str) -> list[Any] | None:
    found, current = _get(document, parts)
    if not found:
        return None
    if not isinstance(current, list):
        raise UpdateError(
            f"The field '{'.'.join(parts)}' must be an array but is of type "
            f"{type(current).__name__} in document {{_id: {document.get('_id')!r}}}",
            TYPE_MISMATCH,
        )
    return current


def _each(argument: object) -> tuple[list[Any], Mapping[str, Any]]:
    if isinstance(argument, Mapping) and "$each" in argument:
        items = argument["$each"]
        if not isinstance(items, list):
            raise UpdateError("The argument to $each must be an array", BAD_VALUE)
        return list(items), argument
    return [argument], {}


def _op_push(document: Document, parts: list[str], argument: object) -> None:
    items, modifiers = _each(argument)
    current = _array_at(document, parts, "$push")
    new = list(current or [])
    position = modifiers.get("$position")
    if position is None:
        new.extend(items)
    else:
        new[int(position) : int(position)] = items
    if "$sort" in modifiers:
        order = modifiers["$sort"]
        if isinstance(order, Mapping):
            new = query.sort_documents(new, order)
        else:
            new.sort(key=values.sort_key, reverse=values.number(order) < 0)
    if "$slice" in modifiers:
        limit = int(modifiers["$slice"])
        new = new[limit:] if limit < 0 else new[:limit]
    _set(document, parts, new)


def _op_push_all(document: Document, parts: list[str], argument: object) -> None:
    if not isinstance(argument, list):
        raise UpdateError("$pushAll requires an array of values", BAD_VALUE)
    _op_push(document, parts, {"$each": argument})


def _op_add_to_set(document: Document, parts: list[str], argument: object) -> None:
    items, _ = _each(argument)
    new = list(_array_at(document, parts, "$addToSet") or [])
    for item in items:
        if not any(values.equal(item, present) for present in new):
            new.append(item)
    _set(document, parts, new)


def _op_pull(document: Document, parts: list[str], argument: object) -> None:
    current = _array_at(document, parts, "$pull")
    if current is None:
        return
    _set(document, parts, [item for item in current if not _pull_matches(item, argument)])


def _pull_matches(item: object, condition: object) -> bool:
    if query.is_operator_document(condition):
        return query.field_matches([item], condition)
    if isinstance(condition, Mapping) and isinstance(item, Mapping):
        return query.matches(item, condition)
    return values.equal(item, condition)


def _op_pull_all(document: Document, parts: list[str], argument: object) -> None:
    if not isinstance(argument, list):
        raise UpdateError("$pullAll requires an array argument", BAD_VALUE)
    current = _array_at(document, parts, "$pullAll")
    if current is not None:
        kept = [item for item in current if not any(values.equal(item, a) for a in argument)]
        _set(document, parts, kept)


def _op_pop(document: Document, parts: list[str], argument: object) -> None:
    current = _array_at(document, parts, "$pop")
    if current:
        first = values.is_number(argument) and values.number(argument) < 0
        _set(document, parts, current[1:] if first else current[:-1])


def _op_rename(document: Document, parts: list[str], argument: object) -> None:
    if not isinstance(argument, str):
        raise UpdateError("The 'to' field for $rename must be a string", BAD_VALUE)
    found, value = _get(document, parts)
    if found:
        _unset(document, parts, None)
        _set(document, values.split(argument), value)


def _bound(document: Document, parts: list[str], argument: object, smaller: bool) -> None:
    found, current = _get(document, parts)
    if not found:
        _set(document, parts, argument)
        return
    new, old = values.sort_key(argument), values.sort_key(current)
    if (new < old) if smaller else (new > old):
        _set(document, parts, argument)


def _op_min(document: Document, parts: list[str], argument: object) -> None:
    _bound(document, parts, argument, smaller=True)


def _op_max(document: Document, parts: list[str], argument: object) -> None:
    _bound(document, parts, argument, smaller=False)


def _op_current_date(document: Document, parts: list[str], _argument: object) -> None:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    _set(document, parts, now.replace(microsecond=now.microsecond // 1000 * 1000))


_OPERATORS = {
    "$set": _op_set,
    "$setOnInsert": _op_set,
    "$unset": _unset,
    "$inc": _op_inc,
    "$mul": _op_mul,
    "$push": _op_push,
    "$pushAll": _op_push_all,
    "$addToSet": _op_add_to_set,
    "$pull": _op_pull,
    "$pullAll": _op_pull_all,
    "$pop": _op_pop,
    "$rename": _op_rename,
    "$min": _op_min,
    "$max": _op_max,
    "$currentDate": _op_current_date,
}
