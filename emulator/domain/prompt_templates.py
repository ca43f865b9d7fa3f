"""The system particles and system prompt templates every organisation sees (``isSystem: true``).

They live under :data:`~emulator.domain.models.SYSTEM_ORG`, like the model catalog, with fixed ids
and timestamps so every run serves the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..fixtures import FIXTURE_TIME
from ..store import Store
from . import particles as particles_domain
from . import system_prompts as prompts_domain
from .models import SYSTEM_ORG

if TYPE_CHECKING:
    from ..app import EmulatorApp

#: (id, category, name, content)
PARTICLES = (
    (
        "part_sys_role_support",
        "role",
        "Customer Support Agent",
        "You are a friendly, knowledgeable customer support agent.",
    ),
    (
        "part_sys_role_analyst",
        "role",
        "Research Analyst",
        "You are a careful research analyst who cites the sources you rely on.",
    ),
    (
        "part_sys_tone_professional",
        "tone",
        "Professional Tone",
        "Communicate professionally: be clear, concise and empathetic.",
    ),
    (
        "part_sys_guardrails_privacy",
        "guardrails",
        "Privacy Guardrails",
        "Never share personal data, credentials or internal documents.",
    ),
    ("part_sys_constraints_brief", "constraints", "Brief Answers", "Keep responses under 300 words."),
    (
        "part_sys_format_markdown",
        "format",
        "Markdown Output",
        "Format answers in Markdown with short paragraphs and bullet lists.",
    ),
)

#: (id, name, description, particle ids in composition order)
TEMPLATES = (
    (
        "sp_sys_customer_support",
        "Customer Support Agent",
        "Professional support with safety guardrails",
        (
            "part_sys_role_support",
            "part_sys_tone_professional",
            "part_sys_guardrails_privacy",
            "part_sys_format_markdown",
        ),
    ),
    (
        "sp_sys_research_analyst",
        "Research Analyst",
        "Concise, sourced research answers",
        ("part_sys_role_analyst", "part_sys_constraints_brief", "part_sys_format_markdown"),
    ),
)


def seed_templates(store: Store) -> None:
    """Insert the system particles and templates into ``store`` (before any organisation's own)."""
    for particle_id, category, name, content in PARTICLES:
        version = particles_domain.version_record(f"pv_{particle_id.removeprefix('part_')}_1", 1, content, None, FIXTURE_TIME)
        record = particles_domain.particle_record(
            particle_id, {"name": name, "category": category}, version, FIXTURE_TIME, is_system=True
        )
        store.insert(SYSTEM_ORG, particles_domain.KIND, particle_id, record)
    for prompt_id, name, description, particle_ids in TEMPLATES:
        items = tuple(
            {
                "id": f"spa_{prompt_id.removeprefix('sp_')}_{index}",
                "particleId": particle_id,
                "order": index,
                "particleVersionId": None,
            }
            for index, particle_id in enumerate(particle_ids)
        )
        record = prompts_domain.prompt_record(
            prompt_id, {"name": name, "description": description}, items, FIXTURE_TIME, is_system=True
        )
        store.insert(SYSTEM_ORG, prompts_domain.KIND, prompt_id, record)


def install(app: EmulatorApp) -> None:
    """Seed the templates into the fixture baseline (so every reset keeps them) and the live store."""
    seed_templates(app.state.baseline)
    app.state.store = app.state.fresh_store()  # live stores count from the baseline's last number
