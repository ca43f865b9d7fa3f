"""The API's route table: one module per resource group, each exporting ``ROUTES`` (data)."""

from __future__ import annotations

from ..routing import Route
from . import chats, datasets, health, models, usage

API_ROUTES: list[Route] = [
    *health.ROUTES,
    *chats.ROUTES,
    *models.ROUTES,
    *datasets.ROUTES,
    *usage.ROUTES,
]
