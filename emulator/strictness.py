"""Strict requests: whether a body field the emulator does not know is a 422 or a warning.

Production ignores unknown fields, so by default the emulator does too and records a warning on the
request's journal entry. Strict mode (``--strict-requests``, per tenant through
``/_emulator/strict-requests``) turns each such warning back into a 422, for teams that want a typo
in their client to fail fast. A tenant's own setting wins over the server's.
"""

from __future__ import annotations

from typing import Any


class Strictness:
    """The server-wide strict flag and per-organisation overrides; :meth:`reset` restores the config's."""

    def __init__(self, default: bool) -> None:
        self.default = default
        self.server = default
        self.orgs: dict[str, bool] = {}

    def strict_for(self, org_id: str | None) -> bool:
        """Whether requests of ``org_id`` (None: unauthenticated) are validated strictly."""
        if org_id is not None:
            return self.orgs.get(org_id, self.server)
        return self.server

    def set(self, strict: bool, org_id: str | None = None) -> None:
        """Switch strict mode for one organisation, or for the whole server (``org_id`` None)."""
        if org_id is None:
            self.server = strict
        else:
            self.orgs[org_id] = strict

    def reset(self, org_id: str | None = None) -> None:
        """Back to the configured default: for one organisation, or everywhere (``org_id`` None)."""
        if org_id is not None:
            self.orgs.pop(org_id, None)
            return
        self.server = self.default
        self.orgs.clear()

    def to_json(self) -> dict[str, Any]:
        return {"strict": self.server, "default": self.default, "orgs": dict(sorted(self.orgs.items()))}
