"""YAML loading that remembers where every key and item came from.

Fixture and scenario files are validated after loading; to name the *line* of a bad key the loader
keeps a map from JSON path (tuple of keys/indices) to the 1-based line of the node.
"""

from __future__ import annotations

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


def _construct(
    node: yaml.Node, path: Path, lines: dict[Path, int], filename: str, scalars: Any
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceError(filename, key_line, path, "mapping keys must be plain scalars")
            key = str(scalars.construct_object(key_node))
            if key in result:
                raise SourceError(filename, key_line, path + (key,), "duplicate key")
            result[key] = _construct(value_node, path + (key,), lines, filename, scalars)
            lines[path + (key,)] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, filename, scalars) for i, item in enumerate(node.value)]
    return scalars.construct_object(node)


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
    lines: dict[Path, int] = {}
    data = None if node is None else _construct(node, (), lines, filename, _Loader(""))
    return Located(filename, data, lines)
