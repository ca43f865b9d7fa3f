"""Loading scenarios: YAML text or files -> validated :class:`~.model.Scenario`, and finding them by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..resources import bundled_dir
from ..yamlsource import SourceError, load_located
from . import schema
from .compile import build
from .model import Scenario

SUFFIXES = (".yaml", ".yml")


def load_text(text: str, filename: str = "<upload>", file: Path | None = None) -> Scenario:
    """Parse, schema-check and compile one scenario; raises :class:`SourceError` (file, line, key)."""
    located = load_located(text, filename)
    schema.validate(located)
    return replace(build(located, filename, file), text=text)


def load_file(path: Path | str) -> Scenario:
    """Load a scenario file; an unreadable file is a :class:`SourceError` too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), None, (), f"cannot read scenario file: {exc}") from None
    return load_text(text, str(path), path.resolve())


def search_dirs(scenarios_dir: Path | str | None) -> list[Path]:
    """Where names are looked up: ``--scenarios-dir`` first, then the bundled ``scenarios/`` folder."""
    dirs = [Path(scenarios_dir)] if scenarios_dir else []
    return [*dirs, bundled_dir("scenarios")]


def _files(directory: Path) -> Iterable[Path]:
    if directory.is_dir():
        yield from sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())


def find_file(name: str, dirs: Iterable[Path]) -> Path | None:
    """The file defining scenario ``name``: ``<dir>/<name>.yaml`` first, else any file whose ``name:`` is it."""
    dirs = list(dirs)
    for directory in dirs:
        for suffix in SUFFIXES:
            candidate = directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    for directory in dirs:
        for path in _files(directory):
            try:
                if load_file(path).name == name:
                    return path
            except SourceError:
                continue
    return None


def available(dirs: Iterable[Path]) -> dict[str, Scenario | SourceError]:
    """Every scenario found in ``dirs`` by name (earlier dirs win); broken files map to their error."""
    found: dict[str, Scenario | SourceError] = {}
    for directory in dirs:
        for path in _files(directory):
            try:
                scenario = load_file(path)
            except SourceError as exc:
                found.setdefault(path.stem, exc)
                continue
            found.setdefault(scenario.name, scenario)
    return found


def resolve(spec: str, dirs: Iterable[Path]) -> Scenario:
    """``spec`` is a file path (contains a path separator or ends in .yaml/.yml) or a scenario name."""
    if spec.endswith(SUFFIXES) or "/" in spec or "\\" in spec:
        return load_file(spec)
    dirs = list(dirs)
    path = find_file(spec, dirs)
    if path is None:
        names = ", ".join(sorted(n for n, s in available(dirs).items() if isinstance(s, Scenario)))
        raise SourceError(spec, None, (), f"no scenario named '{spec}' (available: {names or 'none'})")
    return load_file(path)
