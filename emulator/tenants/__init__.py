"""Tenants: organisations on a shared emulator that each behave like a private one.

A tenant is minted through the control plane (a token or ``POST /_emulator/tenants`` naming a new
organisation) and starts as a complete copy of the fixture baseline's default organisation, with the
same ids. It can be reset on its own, and has its own clock offset (:mod:`.clock`).
"""

from __future__ import annotations

from .registry import ORG_KIND, Tenants

__all__ = ["ORG_KIND", "Tenants"]
