"""Seed data: load ``fixtures/*.yaml`` (and a user's directory layered over it), validate it, fill gaps from the seed.

A bad file fails start-up with a :class:`~emulator.yamlsource.SourceError` naming the file, the line
and the key path. Values a file leaves out (ids, names, e-mails, descriptions) are drawn from a
``random.Random``/``Faker`` seeded with the server seed, so the same seed yields the same data.
"""

from __future__ import annotations

import functools
import marshal
import random
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from .ids import prefixed_id, uuid_id
from .resources import bundled_dir, load_schema
from .yamlsource import Located, SourceError, load_located

#: Timestamp given to every fixture record (fixed, so responses are reproducible).
FIXTURE_TIME = "2025-01-01T00:00:00Z"
ALL_SCOPES = "*"


@dataclass(frozen=True)
class FixtureSet:
    """Validated seed data, ready to be turned into a store."""

    organizations: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, Any]]
    catalog: list[dict[str, Any]]
    models: list[dict[str, Any]]
    datasets: list[dict[str, Any]]
    oauth_clients: dict[str, dict[str, Any]] = field(default_factory=dict)


def _validate_schema(located: Located) -> None:
    from jsonschema import Draft202012Validator  # imported lazily: only user fixture dirs need it

    validator = Draft202012Validator(load_schema("fixtures.json"))
    errors = sorted(validator.iter_errors(located.data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            unknown = sorted(k for k in err.instance if k not in allowed)
            if unknown:
                path = path + (unknown[0],)
                raise located.error(path, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        raise located.error(path, err.message)


def _listing(directory: Path) -> dict[str, Path]:
    """File name -> path of every fixture file in ``directory``."""
    if not directory.is_dir():
        raise SourceError(str(directory), None, (), "fixtures directory does not exist")
    return {path.name: path for path in [*directory.glob("*.yaml"), *directory.glob("*.yml")]}


def _load_order(path: Path) -> tuple[bool, str]:
    return (path.suffix != ".yaml", path.name)  # every *.yaml by name, then every *.yml


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), None, (), f"cannot read file: {exc}") from None


def _read_file(path: Path, validate: bool) -> Located | None:
    return _parse(str(path), _read_text(path), validate)


def _parse(filename: str, text: str, validate: bool) -> Located | None:
    doc = load_located(text, filename)
    if doc.data is None:
        return None
    if not isinstance(doc.data, dict):
        raise doc.error((), "a fixture file must be a mapping of sections (organizations, users, ...)")
    if validate:
        _validate_schema(doc)
    return doc


def _read_files(directory: Path, validate: bool) -> list[Located]:
    files = sorted(_listing(directory).values(), key=_load_order)
    return [doc for path in files if (doc := _read_file(path, validate)) is not None]


def fixture_files(directory: Path | None, bundled: bool = True) -> list[tuple[Path, bool]]:
    """The fixture files to load, in load order, each with whether it must be validated.

    With ``bundled``: the bundled files, with ``directory``'s files layered over them by file name (a
    file adds to the set, or replaces the bundled file of the same name, which is then never read).
    Without: ``directory``'s files only. Raises :class:`SourceError` when ``directory`` does not exist,
    or when neither is given.
    """
    if directory is None and not bundled:
        raise SourceError("--no-bundled-fixtures", None, (), "needs a fixtures directory (--fixtures DIR), else there is no data")
    # The bundled files are validated by the test suite; skipping jsonschema for them keeps start-up fast.
    files = {name: (path, False) for name, path in _listing(bundled_dir("fixtures")).items()} if bundled else {}
    if directory is not None:
        files.update({name: (path, True) for name, path in _listing(directory).items()})
    return sorted(files.values(), key=lambda entry: _load_order(entry[0]))


def load_fixtures(directory: Path | None, seed: int, *, bundled: bool = True) -> FixtureSet:
    """Load the fixture files :func:`fixture_files` lists (the bundled set when ``directory`` is None).

    Raises :class:`SourceError` naming the file, the line and the key path of the first problem.
    Each call returns data of its own (the caller may change it); files whose names and texts were
    already loaded with this seed in this process are not parsed again.
    """
    sources = tuple((str(path), validate, _read_text(path)) for path, validate in fixture_files(directory, bundled))
    return FixtureSet(*marshal.loads(_load_marshalled(sources, seed)))


@functools.lru_cache(maxsize=16)
def _load_marshalled(sources: tuple[tuple[str, bool, str], ...], seed: int) -> bytes:
    """The :class:`FixtureSet` of ``sources`` (file name, validate, text) as marshalled field values.

    A pure function of its arguments, cached: every app a process builds (a test suite builds
    thousands) would otherwise parse the same YAML again, most of ``create_app``'s time. Marshalled so
    that the cache holds nothing mutable and each caller unpacks a copy of its own (~50 us).
    """
    docs = [doc for name, validate, text in sources if (doc := _parse(name, text, validate)) is not None]
    rng = random.Random(f"fixtures:{seed}")
    faker = _LazyFaker(seed)
    sections: dict[str, list[tuple[Located, int, dict[str, Any]]]] = {}
    for doc in docs:
        for section, items in doc.data.items():
            for index, item in enumerate(items):
                sections.setdefault(section, []).append((doc, index, item))
    return marshal.dumps(astuple(_build(sections, rng, faker)))


class _LazyFaker:
    """A seeded Faker, created on first use (Faker is slow to import and usually not needed)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._faker: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            self._faker.seed_instance(self._seed)
        return getattr(self._faker, name)


def _unique(seen: dict[str, Any], key: str, doc: Located, path: tuple[Any, ...]) -> None:
    if key in seen:
        raise doc.error(path, f"duplicate id {key!r}")


def _build(sections: dict[str, list[tuple[Located, int, dict[str, Any]]]], rng: random.Random, faker: Any) -> FixtureSet:
    orgs: dict[str, dict[str, Any]] = {}
    for doc, i, item in sections.get("organizations", []):
        _unique(orgs, item["id"], doc, ("organizations", i, "id"))
        orgs[item["id"]] = {"name": faker.company(), **item} if "name" not in item else dict(item)

    def need(doc: Located, path: tuple[Any, ...], table: dict[str, Any], key: str, what: str) -> None:
        if key not in table:
            raise doc.error(path, f"unknown {what} {key!r}")

    users: dict[str, dict[str, Any]] = {}
    for doc, i, item in sections.get("users", []):
        _unique(users, item["id"], doc, ("users", i, "id"))
        need(doc, ("users", i, "organization"), orgs, item["organization"], "organization")
        user = {"role": "member", **item}
        if "name" not in user:  # not setdefault: Faker is imported only when a value is missing
            user["name"] = faker.name()
        if "email" not in user:
            user["email"] = faker.email()
        users[item["id"]] = user

    tokens: dict[str, dict[str, Any]] = {}
    for doc, i, item in sections.get("tokens", []):
        _unique(tokens, item["token"], doc, ("tokens", i, "token"))
        need(doc, ("tokens", i, "user"), users, item["user"], "user")
        tokens[item["token"]] = {"scopes": [ALL_SCOPES], **item}

    clients: dict[str, dict[str, Any]] = {}
    for doc, i, item in sections.get("oauthClients", []):
        _unique(clients, item["clientId"], doc, ("oauthClients", i, "clientId"))
        need(doc, ("oauthClients", i, "user"), users, item["user"], "user")
        clients[item["clientId"]] = {"scopes": [ALL_SCOPES], **item}

    catalog: list[dict[str, Any]] = []
    catalog_ids: dict[str, Any] = {}
    for doc, i, item in sections.get("catalog", []):
        entry = {"id": uuid_id(rng), **item}
        _unique(catalog_ids, entry["id"], doc, ("catalog", i, "id"))
        catalog_ids[entry["id"]] = entry
        catalog.append(entry)

    models: list[dict[str, Any]] = []
    model_ids: dict[str, Any] = dict(catalog_ids)
    for doc, i, item in sections.get("models", []):
        entry = {"id": uuid_id(rng), **item}
        _unique(model_ids, entry["id"], doc, ("models", i, "id"))
        need(doc, ("models", i, "organization"), orgs, entry["organization"], "organization")
        need(doc, ("models", i, "parentModelId"), catalog_ids, entry["parentModelId"], "catalog model")
        model_ids[entry["id"]] = entry
        models.append(entry)

    datasets: list[dict[str, Any]] = []
    dataset_ids: dict[str, Any] = {}
    for doc, i, item in sections.get("datasets", []):
        entry = {"id": prefixed_id(rng, "ds"), **item}
        _unique(dataset_ids, entry["id"], doc, ("datasets", i, "id"))
        need(doc, ("datasets", i, "organization"), orgs, entry["organization"], "organization")
        if "description" not in entry:
            entry["description"] = faker.sentence(nb_words=8)
        dataset_ids[entry["id"]] = entry
        datasets.append(entry)

    return FixtureSet(orgs, users, tokens, catalog, models, datasets, clients)
