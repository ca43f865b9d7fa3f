"""YAML loading that remembers where every key and item came from.

Fixture and scenario files are validated after loading; to name the *line* of a bad key the loader
keeps a map from JSON path (tuple of keys/indices) to the 1-based line of the node.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

import yaml

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]


class SourceError(Exception):
    """A problem in a YAML source file, with file, line and key path in its message."""

    def __init__(self, filename: str, line: int | None, key_path: Path, message: str) -> None:
        self.filename = filename
        self.line = line
        self.key_path = key_path
        self.message = message
        where = filename if line is None else f"{filename}:{line}"
        key = format_path(key_path)
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


def format_path(path: Path) -> str:
    """``("rules", 0, "when")`` -> ``rules[0].when``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Located:
    """Parsed YAML plus the line of every node."""

    filename: str
    data: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: Path, message: str) -> SourceError:
        return SourceError(self.filename, self.line_of(path), path, message)


#: Nodes one document may expand to (aliases included): a few KB of "billion laughs" YAML must not
#: freeze the emulator.
MAX_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Builder:
    """Turns a composed YAML node tree into JSON-compatible data, recording the line of every node."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[Path, int] = {}
        self.scalars = _Loader("")
        self.nodes = 0
        self.active: set[int] = set()  # ids of the collection nodes being built (recursion guard)

    def fail(self, node: yaml.Node, path: Path, message: str) -> SourceError:
        return SourceError(self.filename, node.start_mark.line + 1, path, message)

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, path, f"the document expands to more than {MAX_NODES} nodes (aliases?)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            raise self.fail(node, path, "a recursive alias (a node that contains itself)")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                raise SourceError(self.filename, key_line, path, "YAML merge keys (<<) are not supported")
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceError(self.filename, key_line, path, "mapping keys must be plain scalars")
            key = str(self.scalar(key_node, path))
            if key in result:
                raise SourceError(self.filename, key_line, path + (key,), "duplicate key")
            result[key] = self.build(value_node, path + (key,))
            self.lines[path + (key,)] = key_line
        return result

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        value = self.scalars.construct_object(node)
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, path, f"{node.value!r} is not a finite number")
        if value is None or isinstance(value, str | int | float | bool):
            return value
        raise self.fail(node, path, f"unsupported YAML type {node.tag!r} (only JSON-like values are allowed)")


def load_located(text: str, filename: str) -> Located:
    """Parse ``text``; syntax errors become :class:`SourceError` naming the line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SourceError(filename, line, (), f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise SourceError(filename, None, (), f"invalid YAML: {exc}") from None
    builder = _Builder(filename)
    data = None if node is None else builder.build(node, ())
    return Located(filename, data, builder.lines)
