"""Build a fixtures directory that differs from the bundled one in a few organisation fields."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from emulator.resources import bundled_dir


def fixtures_with(tmp_path: Path, **orgs: dict[str, Any]) -> Path:
    """A copy of the bundled fixtures under ``tmp_path`` where ``orgs[<org id>]`` is merged into that
    organisation's record (top-level keys replace the bundled ones)."""
    target = tmp_path / "fixtures"
    shutil.copytree(bundled_dir("fixtures"), target)
    path = target / "organizations.yaml"
    data = yaml.safe_load(path.read_text())
    for org in data["organizations"]:
        org.update(orgs.get(org["id"], {}))
    path.write_text(yaml.safe_dump(data))
    return target
