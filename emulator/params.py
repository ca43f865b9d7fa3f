"""Query parameters as data: a route declares them once (:class:`Param`); the query step parses and
validates them (a bad value is a 422 naming ``#/query/<name>``), handlers read the typed values from
``ctx.params`` and ``/openapi.json`` documents them from the same declaration.

Rules for the value of a declared parameter:

* absent: the declared ``default`` (None when there is none); a ``required`` one is a 422.
* empty (``?name=``): for enums, booleans and integers a 422 (no valid value is empty); for free
  text the empty string, unless ``empty_is_absent`` (``cursor``: documented as "first page").
* booleans: ``true``/``false``/``1``/``0`` (any case), as FastAPI reads them.
* repeated parameters (``many``, e.g. ``expand[]``): every value is checked against ``enum``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from .errors import invalid

ParamType = Literal["string", "integer", "boolean", "uuid"]
ParamLocation = Literal["query", "path"]
_TRUE = frozenset({"true", "1"})
#: What FastAPI/pydantic accept as a UUID in a path: 32 hex digits, hyphenated 8-4-4-4-12 or not (any case).
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_FALSE = frozenset({"false", "0"})


class QueryParams(dict[str, str]):
    """The raw query string: the first value per name as a dict, all values via :meth:`getlist`.

    Only the query step and scenario request patterns read it; handlers read :class:`Params`.
    """

    def __init__(self, raw: str) -> None:
        super().__init__()
        self._multi: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            self.setdefault(key, value)
            self._multi.setdefault(key, []).append(value)

    def getlist(self, key: str) -> list[str]:
        return list(self._multi.get(key, []))


@dataclass(frozen=True)
class Param:
    """One query parameter of a route: its name, type, bounds, allowed values and default."""

    name: str
    type: ParamType = "string"
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: str | int | bool | None = None
    required: bool = False
    many: bool = False  # repeated (``expand[]=a&expand[]=b``): the value is a tuple of strings
    empty_is_absent: bool = False
    aliases: tuple[str, ...] = ()  # accepted (undocumented) spellings, read when ``name`` is absent
    description: str = ""
    location: ParamLocation = "query"  # ``path``: declared in ``Route.path_params``, checked by :meth:`check`

    @property
    def pointer(self) -> str:
        return f"#/{self.location}/{self.name}"

    def schema(self) -> dict[str, Any]:
        """The parameter's JSON Schema (OpenAPI 3.1)."""
        if self.type == "uuid":
            return {"type": "string", "format": "uuid"}
        schema: dict[str, Any] = {"type": self.type}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.default is not None:
            schema["default"] = self.default
        return {"type": "array", "items": schema} if self.many else schema

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI ``parameters`` entry."""
        required = self.required or self.location == "path"
        entry: dict[str, Any] = {"name": self.name, "in": self.location, "required": required, "schema": self.schema()}
        if self.many:
            entry |= {"style": "form", "explode": True}
        if self.description:
            entry["description"] = self.description
        return entry

    def parse(self, query: QueryParams) -> object:
        """The typed value of this parameter in ``query``; raises a 422 problem naming it."""
        names = (self.name, *self.aliases)
        if self.many:  # every spelling counts: ``expand[]=a&expand=b`` is (a, b)
            return tuple(self._one(text) for name in names for text in query.getlist(name))
        raw = next((found for found in map(query.getlist, names) if found), [])
        if not raw or (raw[0] == "" and self.empty_is_absent):
            if self.required:
                raise invalid(self.pointer, "field required")
            return self.default
        return self._one(raw[0])

    def check(self, text: str) -> str:
        """A path parameter's value, checked against its type (422 naming ``#/path/<name>``)."""
        return str(self._one(text))

    def _one(self, text: str) -> str | int | bool:
        if self.type == "uuid":
            if not _UUID.fullmatch(text):
                raise invalid(self.pointer, f"{text!r} is not a valid UUID")
            return text
        if self.type == "boolean":
            lowered = text.strip().lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise invalid(self.pointer, "must be a boolean")
        if self.type == "integer":
            return self._integer(text)
        if self.enum is not None and text not in self.enum:
            raise invalid(self.pointer, f"must be one of {', '.join(self.enum)}")
        return text

    def _integer(self, text: str) -> int:
        stripped = text.strip()
        if not stripped.lstrip("-").isdigit() or len(stripped) > 20:
            raise invalid(self.pointer, "must be an integer")
        value = int(stripped)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            if self.maximum is None:
                bound = f"at least {self.minimum}"
            elif self.minimum is None:
                bound = f"at most {self.maximum}"
            else:
                bound = f"between {self.minimum} and {self.maximum}"
            raise invalid(self.pointer, f"must be {bound}")
        return value


def limit(default: int = 20, maximum: int = 100, description: str = "Page size") -> Param:
    """The ``limit`` of a list: an integer in ``[1, maximum]``."""
    return Param("limit", "integer", minimum=1, maximum=maximum, default=default, description=description)


CURSOR = Param("cursor", empty_is_absent=True, description="Opaque cursor from a previous page's nextCursor")
#: ``limit`` and ``cursor`` of a cursor-paged list.
PAGE = (limit(), CURSOR)


#: ``?org=`` on the control plane: one organisation (tenant) instead of the whole server; empty = absent.
ORG = Param("org", empty_is_absent=True, description="One organisation (tenant) instead of the whole server")


def expansions(*values: str) -> Param:
    """``expand[]`` (also spelled ``expand``) limited to ``values``."""
    return Param(
        "expand[]",
        enum=values or None,
        many=True,
        aliases=("expand",),
        description="Related objects to expand in the response",
    )


class Params:
    """The parsed query of one request, read by name with the declared type.

    Reading a name the route did not declare is an emulator bug (``LookupError``); every name read is
    recorded in :attr:`read` so a test can compare what handlers read with what ``/openapi.json`` says.
    """

    __slots__ = ("declared", "values", "read")

    def __init__(self, declared: Mapping[str, Param], values: dict[str, object]) -> None:
        self.declared = declared
        self.values = values
        self.read: set[str] = set()

    @classmethod
    def parse(cls, declared: Iterable[Param], query: QueryParams) -> Params:
        """Parse every declared parameter; raises the first 422 problem."""
        table = {param.name: param for param in declared}
        return cls(table, {name: param.parse(query) for name, param in table.items()})

    def _get(self, name: str, kind: ParamType, many: bool = False) -> object:
        param = self.declared.get(name)
        if param is None or param.type != kind or param.many != many:
            raise LookupError(f"query parameter {name!r} ({kind}) is not declared on this route")
        self.read.add(name)
        return self.values[name]

    def text(self, name: str) -> str | None:
        value = self._get(name, "string")
        assert value is None or isinstance(value, str)
        return value

    def optional_integer(self, name: str) -> int | None:
        value = self._get(name, "integer")
        assert value is None or isinstance(value, int)
        return value

    def integer(self, name: str) -> int:
        """An integer parameter declared with a default (or required)."""
        value = self.optional_integer(name)
        if value is None:
            raise LookupError(f"query parameter {name!r} has no default")
        return value

    def optional_flag(self, name: str) -> bool | None:
        value = self._get(name, "boolean")
        assert value is None or isinstance(value, bool)
        return value

    def flag(self, name: str) -> bool:
        """A boolean parameter declared with a default (or required)."""
        value = self.optional_flag(name)
        if value is None:
            raise LookupError(f"query parameter {name!r} has no default")
        return value

    def values_of(self, name: str) -> tuple[str, ...]:
        value = self._get(name, "string", many=True)
        assert isinstance(value, tuple)
        return value


NO_PARAMS = Params({}, {})


def check_path(declared: Iterable[Param], values: Mapping[str, str]) -> None:
    """Check the typed path parameters of a matched route; raises the first 422 problem."""
    for param in declared:
        param.check(values[param.name])


def uuid_path(name: str, description: str = "") -> Param:
    """A path parameter the reference types ``string<uuid>``."""
    return Param(name, "uuid", location="path", description=description)
