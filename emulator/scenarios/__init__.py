"""YAML scenarios: a validated language (``scenario.schema.json``), its loader and its runtime.

Modules: ``schema`` (JSON Schema + error mapping), ``compile`` (semantic checks -> typed ``model``),
``loader`` (files and names), ``match`` (pure matching), ``runtime`` (per-organisation counters and
states), ``actions`` (what an acting rule does), ``watch`` (``--watch``), ``install`` (the app feature).
"""

from __future__ import annotations

from .compile import parse_duration
from .loader import available, load_file, load_text, resolve, search_dirs
from .model import Scenario
from .runtime import ANONYMOUS, ScenarioRuntime

__all__ = [
    "ANONYMOUS",
    "Scenario",
    "ScenarioRuntime",
    "available",
    "load_file",
    "load_text",
    "parse_duration",
    "resolve",
    "search_dirs",
]
