"""Where the bundled fixtures, scenarios and schemas live.

In a wheel, the top-level ``fixtures/`` and ``scenarios/`` folders are copied into
``emulator/_bundled/``; in a source checkout or editable install they are read from the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bundled_dir(name: str) -> Path:
    """The bundled ``fixtures`` or ``scenarios`` folder (where the package was installed: looked up once)."""
    packaged = PACKAGE_DIR / "_bundled" / name
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / name


@cache
def load_schema(relative: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``emulator/schemas`` (read once; schemas are immutable data)."""
    with open(PACKAGE_DIR / "schemas" / relative, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
