"""YAML text to a tree of values that remember where they were written.

Only plain data comes out: strings, numbers, booleans, null, dates, lists and mappings.
Nothing is constructed from a tag other than those, and aliases are expanded under a budget,
so a hostile file costs an error message, not the machine.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from dotcloud_emulator.buildfile.diagnostics import Reporter
from dotcloud_emulator.names import escaped

YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(YAML_TAG + name for name in ("null", "bool", "int", "float", "str"))
TIMESTAMP_TAG = YAML_TAG + "timestamp"
MAP_TAG = YAML_TAG + "map"
SEQ_TAG = YAML_TAG + "seq"
MERGE_TAG = YAML_TAG + "merge"

UNREADABLE = {
    YAML_TAG + "int": "this number is too long to read",
    TIMESTAMP_TAG: "this looks like a date but is not a valid one",
}
# YAML's "\0" escape: no configuration file, command line or variable can carry it.
NUL_MESSAGE = (
    'a NUL character ("\\0") cannot be written into a configuration file, a command or a variable'
)
MAX_DEPTH = 64
MAX_ALIASED_COLLECTIONS = 1000
MAX_NODES = 50_000

ScalarValue = str | int | float | bool | None | datetime.date


@dataclass(frozen=True, eq=False)
class Scalar:
    value: ScalarValue
    text: str  # as written, so `approot: 42` and `version: 1.10` keep their spelling
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Mapping:
    entries: tuple[tuple[Scalar, YamlNode], ...]
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Sequence:
    items: tuple[YamlNode, ...]
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Rejected:
    """A value already reported as an error; checks skip it silently."""

    line: int
    column: int


YamlNode = Scalar | Mapping | Sequence | Rejected


class ExpansionError(yaml.MarkedYAMLError):
    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class BuildFileLoader(yaml.SafeLoader):
    """SafeLoader that composes a node graph with a nesting limit and an alias budget.

    The node graph shares aliased nodes, so composing stays cheap; the expansion budget is
    enforced when the graph is turned into a tree (`TreeBuilder`).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliased_collections = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(self.anchors.get(event.anchor), CollectionNode):
                self.aliased_collections += 1
                if self.aliased_collections > MAX_ALIASED_COLLECTIONS:
                    raise ExpansionError(
                        f"has more than {MAX_ALIASED_COLLECTIONS} aliases of lists or mappings",
                        event.start_mark,
                    )
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ExpansionError(f"is nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_plain_scalar(self, node: ScalarNode) -> ScalarValue:
        construct: Callable[[BuildFileLoader, ScalarNode], ScalarValue] = self.yaml_constructors[
            node.tag
        ]
        return construct(self, node)


def position(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(YAML_TAG) if tag.startswith(YAML_TAG) else tag


class TreeBuilder:
    """Turns the node graph into `YamlNode`s, reporting bad tags, duplicate keys and bombs."""

    def __init__(self, loader: BuildFileLoader, reporter: Reporter) -> None:
        self.loader = loader
        self.reporter = reporter
        self.visited = 0

    def build(self, node: Node, depth: int = 0) -> YamlNode:
        self.visited += 1
        line, column = position(node.start_mark)
        if self.visited > MAX_NODES:
            raise ExpansionError(
                f"expands to more than {MAX_NODES} values (alias bomb?)", node.start_mark
            )
        if depth > MAX_DEPTH:
            raise ExpansionError(
                f"is nested more than {MAX_DEPTH} levels deep (recursive alias?)", node.start_mark
            )
        if isinstance(node, ScalarNode):
            return self.scalar(node, line, column)
        if isinstance(node, SequenceNode) and node.tag == SEQ_TAG:
            return Sequence(tuple(self.build(item, depth + 1) for item in node.value), line, column)
        if isinstance(node, MappingNode) and node.tag == MAP_TAG:
            return self.mapping(node, depth, line, column)
        return self.reject(node, line, column)

    def reject(self, node: Node, line: int, column: int) -> Rejected:
        self.reporter.add(
            line,
            column,
            "error",
            f'tag "{tag_name(node.tag)}" is not allowed: dotcloud.yml holds plain data only '
            "(strings, numbers, booleans, lists and mappings)",
        )
        return Rejected(line, column)

    def scalar(self, node: ScalarNode, line: int, column: int) -> Scalar | Rejected:
        if node.tag == MERGE_TAG:
            return Scalar(node.value, node.value, line, column)
        if node.tag not in SCALAR_TAGS and node.tag != TIMESTAMP_TAG:
            return self.reject(node, line, column)
        try:
            value = self.loader.construct_plain_scalar(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            self.reporter.add(line, column, "error", UNREADABLE.get(node.tag, "unreadable value"))
            return Rejected(line, column)
        if "\0" in node.value:
            self.reporter.add(line, column, "error", NUL_MESSAGE)
            return Rejected(line, column)
        return Scalar(value, node.value, line, column)

    def mapping(self, node: MappingNode, depth: int, line: int, column: int) -> Mapping:
        # Duplicates stay in the entries (each is reported, so the load fails anyway) so that
        # the problems of every occurrence are found, not only those of the last one.
        own: list[tuple[Scalar, YamlNode]] = []
        first_seen: dict[str, Scalar] = {}
        merged: dict[str, tuple[Scalar, YamlNode]] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == MERGE_TAG:
                for merged_key, entry in self.merge(value_node, depth).items():
                    merged.setdefault(merged_key, entry)
                continue
            key = self.build(key_node, depth + 1)
            value = self.build(value_node, depth + 1)
            if isinstance(key, Rejected):
                continue
            if not isinstance(key, Scalar):
                self.reporter.error(
                    key, "a mapping key must be a plain value, not a list or mapping"
                )
                continue
            if key.text in first_seen:
                first = first_seen[key.text].line
                self.reporter.error(
                    key, f'duplicate key "{escaped(key.text)}" (first defined at line {first})'
                )
            first_seen.setdefault(key.text, key)
            own.append((key, value))
        inherited = [entry for name, entry in merged.items() if name not in first_seen]
        return Mapping((*inherited, *own), line, column)

    def merge(self, node: Node, depth: int) -> dict[str, tuple[Scalar, YamlNode]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, tuple[Scalar, YamlNode]] = {}
        for source in sources:
            built = self.build(source, depth + 1)
            if isinstance(built, Rejected):
                continue
            if not isinstance(built, Mapping):
                self.reporter.error(built, "a merge key (<<) needs a mapping or a list of mappings")
                continue
            for key, value in built.entries:
                merged.setdefault(key.text, (key, value))
        return merged


def parse_yaml(text: str, reporter: Reporter) -> YamlNode | None:
    """The document's tree; None for an empty document; `Rejected` when the reason is reported."""
    loader: BuildFileLoader | None = None
    try:
        loader = BuildFileLoader(text)
        node = loader.get_single_node()
        return None if node is None else TreeBuilder(loader, reporter).build(node)
    except yaml.MarkedYAMLError as exc:
        reporter.add(*position(exc.problem_mark), "error", syntax_message(exc))
    except yaml.reader.ReaderError as exc:
        reporter.add(*text_position(text, exc.position), "error", reader_message(exc))
    except yaml.YAMLError:
        reporter.add(1, 1, "error", "invalid YAML")
    finally:
        if loader is not None:
            loader.dispose()
    return Rejected(1, 1)


def syntax_message(exc: yaml.MarkedYAMLError) -> str:
    if isinstance(exc, ExpansionError):
        return f"refusing this document: it {exc.problem}"
    problem = exc.problem or "syntax error"
    if "'\\t'" in problem:
        return "invalid YAML: found a tab character; indent with spaces, not tabs"
    if exc.context and exc.context_mark:
        line, column = position(exc.context_mark)
        return f"invalid YAML: {exc.context} at line {line}, column {column}: {problem}"
    if exc.context:
        return f"invalid YAML: {exc.context}: {problem}"
    return f"invalid YAML: {problem}"


def reader_message(exc: yaml.reader.ReaderError) -> str:
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return f"invalid YAML: character U+{code:04X} is not allowed (control characters are not text)"


def text_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def to_python(node: YamlNode) -> object:
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Mapping):
        return {key.text: to_python(value) for key, value in node.entries}
    if isinstance(node, Sequence):
        return [to_python(item) for item in node.items]
    return None
