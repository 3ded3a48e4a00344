"""A small aggregation pipeline: $match, $sort, $skip, $limit, $project, $count, $unwind and
$group with the common accumulators (what today's drivers send for `count_documents`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dotcloud_emulator.mongoserver import query, values
from dotcloud_emulator.mongoserver.operations import CommandError
from dotcloud_emulator.mongoserver.values import Document


def run(documents: list[Document], stages: list[Any]) -> list[Document]:
    for stage in stages:
        if not isinstance(stage, Mapping) or len(stage) != 1:
            raise CommandError(
                "A pipeline stage specification object must contain exactly one field.", 40323
            )
        name, argument = next(iter(stage.items()))
        documents = _stage(documents, name, argument)
    return documents


def _stage(documents: list[Document], name: str, argument: Any) -> list[Document]:
    if name == "$match":
        return [doc for doc in documents if query.matches(doc, argument)]
    if name == "$sort":
        return query.sort_documents(documents, argument)
    if name == "$skip":
        return documents[int(argument) :]
    if name == "$limit":
        return documents[: int(argument)]
    if name == "$project":
        return [query.project(doc, argument) for doc in documents]
    if name == "$count":
        return [{str(argument): len(documents)}] if documents else []
    if name == "$unwind":
        return _unwind(documents, argument)
    if name == "$group":
        return _group(documents, argument)
    raise CommandError(f"Unrecognized pipeline stage name: '{name}'", 40324)


def expression(document: Document, value: object) -> object:
    """`"$field.path"` is the document's value there; anything else is a constant."""
    if isinstance(value, str) and value.startswith("$"):
        return values.get_path(document, value[1:])[1]
    if isinstance(value, Mapping) and not query.is_operator_document(value):
        return {key: expression(document, item) for key, item in value.items()}
    return value


def _unwind(documents: list[Document], argument: object) -> list[Document]:
    path = argument.get("path") if isinstance(argument, Mapping) else argument
    field = str(path).lstrip("$")
    result: list[Document] = []
    for document in documents:
        found, items = values.get_path(document, field)
        if found and isinstance(items, list):
            result.extend({**document, field: item} for item in items)
    return result


def _group(documents: list[Document], argument: Mapping[str, Any]) -> list[Document]:
    groups: dict[tuple[Any, ...], tuple[object, list[Document]]] = {}
    for document in documents:
        key = expression(document, argument.get("_id"))
        groups.setdefault(values.sort_key(key), (key, []))[1].append(document)
    result = []
    for key, members in groups.values():
        row: Document = {"_id": key}
        for field, accumulator in argument.items():
            if field != "_id":
                row[field] = _accumulate(members, accumulator)
        result.append(row)
    return result


def _accumulate(members: list[Document], accumulator: object) -> object:
    if not isinstance(accumulator, Mapping) or len(accumulator) != 1:
        raise CommandError("The field must be an accumulator object", 40234)
    operator, argument = next(iter(accumulator.items()))
    found = [expression(member, argument) for member in members]
    numbers = [values.number(item) for item in found if values.is_number(item)]
    present = [item for item in found if item is not None]
    if operator == "$sum":
        return sum(numbers)
    if operator == "$avg":
        return sum(numbers) / len(numbers) if numbers else None
    if operator == "$min":
        return min(present, key=values.sort_key) if present else None
    if operator == "$max":
        return max(present, key=values.sort_key) if present else None
    if operator == "$first":
        return found[0] if found else None
    if operator == "$last":
        return found[-1] if found else None
    if operator == "$push":
        return found
    if operator == "$addToSet":
        unique: list[object] = []
        for item in found:
            if not any(values.equal(item, seen) for seen in unique):
                unique.append(item)
        return unique
    raise CommandError(f"unknown group operator '{operator}'", 15952)
