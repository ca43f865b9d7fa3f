"""Per-tenant settings: what one organisation may change on a shared emulator without touching others.

Rate limits (on/off, per-user and per-organisation requests a minute), the file-processing lifecycle
and the clock mode (``system``: the tenant's time flows in real time from where it is). Everything else
(auth, fixtures, seed of generated data, ...) belongs to the whole process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import UnprocessableEntity
from ..lifecycle import Lifecycle, parse_lifecycle

#: The settings a tenant may override, by their ``Config`` field names (the pytest marker's words).
TENANT_FIELDS = ("rate_limit", "rate_limit_per_user", "rate_limit_per_org", "file_processing", "clock")


@dataclass(frozen=True)
class TenantSettings:
    """One organisation's overrides; ``None`` means the server's setting."""

    rate_limit: Literal["on", "off"] | None = None
    rate_limit_per_user: int | None = None
    rate_limit_per_org: int | None = None
    file_processing: Lifecycle | None = None
    clock: Literal["system", "manual"] | None = None


def _invalid(name: str, detail: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"settings.{name}: {detail}", extensions={"errors": [{"pointer": f"/settings/{name}", "detail": detail}]}
    )


def parse_settings(data: dict[str, Any], server_rate_limit: str) -> TenantSettings:
    """Build settings from a request's ``settings`` object; a 422 problem names a bad or unknown field."""
    unknown = sorted(set(data) - set(TENANT_FIELDS))
    if unknown:
        raise _invalid(unknown[0], f"not a per-tenant setting (per tenant: {', '.join(TENANT_FIELDS)})")
    rate_limit = data.get("rate_limit")
    if rate_limit not in (None, "on", "off"):
        raise _invalid("rate_limit", "expected 'on' or 'off'")
    if rate_limit == "on" and server_rate_limit == "off":
        raise _invalid("rate_limit", "the server runs with --rate-limit off, which only a restart turns on")
    limits: dict[str, int | None] = {}
    for name in ("rate_limit_per_user", "rate_limit_per_org"):
        value = data.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise _invalid(name, "expected a non-negative integer (requests a minute)")
        limits[name] = value
    lifecycle = None
    if data.get("file_processing") is not None:
        try:
            lifecycle = parse_lifecycle(str(data["file_processing"]))
        except ValueError as exc:
            raise _invalid("file_processing", str(exc)) from None
    clock = data.get("clock")
    if clock not in (None, "system", "manual"):
        raise _invalid("clock", "expected 'system' or 'manual'")
    return TenantSettings(rate_limit, limits["rate_limit_per_user"], limits["rate_limit_per_org"], lifecycle, clock)


def settings_json(settings: TenantSettings) -> dict[str, object]:
    """The overrides that are set, as ``POST /_emulator/tenants`` answers them (and
    :func:`parse_settings` reads them back)."""
    out: dict[str, object] = {name: getattr(settings, name) for name in TENANT_FIELDS}
    out["file_processing"] = str(settings.file_processing) if settings.file_processing is not None else None
    return {name: value for name, value in out.items() if value is not None}
