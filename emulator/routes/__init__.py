"""The API's route table: one module per resource group, each exporting ``ROUTES`` (data)."""

from __future__ import annotations

from ..routing import Route
from . import (
    channels,
    chats,
    connectors,
    datasets,
    files,
    health,
    models,
    oauth,
    openapi,
    particles,
    system_prompts,
    usage,
)

API_ROUTES: list[Route] = [
    *health.ROUTES,
    *chats.ROUTES,
    *models.ROUTES,
    *datasets.ROUTES,
    *usage.ROUTES,
    *oauth.ROUTES,
    *files.ROUTES,
    *particles.ROUTES,
    *system_prompts.ROUTES,
    *channels.ROUTES,
    *connectors.ROUTES,
    *openapi.ROUTES,
]
