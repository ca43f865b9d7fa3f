"""The API's route table: one module per resource group, each exporting ``ROUTES`` (data)."""

from __future__ import annotations

from ..routing import Route
from . import chats, datasets, health, models, oauth, usage
from . import files
from . import particles, system_prompts
from . import channels, connectors, openapi

API_ROUTES: list[Route] = [
    *health.ROUTES,
    *chats.ROUTES,
    *models.ROUTES,
    *datasets.ROUTES,
    *usage.ROUTES,
    *oauth.ROUTES,
    *files.ROUTES,
    *particles.ROUTES, *system_prompts.ROUTES,
    *channels.ROUTES, *connectors.ROUTES, *openapi.ROUTES,
]
