"""Build a fixtures directory that overrides the bundled ``organizations.yaml`` in a few organisation fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from emulator.resources import bundled_dir


def fixtures_with(tmp_path: Path, **orgs: dict[str, Any]) -> Path:
    """A fixtures directory under ``tmp_path`` holding only an ``organizations.yaml`` (layered over the
    bundled one, so the other bundled files stay) where ``orgs[<org id>]`` is merged into that
    organisation's record (top-level keys replace the bundled ones)."""
    target = tmp_path / "fixtures"
    target.mkdir()
    path = target / "organizations.yaml"
    data = yaml.safe_load((bundled_dir("fixtures") / "organizations.yaml").read_text())
    for org in data["organizations"]:
        org.update(orgs.get(org["id"], {}))
    path.write_text(yaml.safe_dump(data))
    return target
