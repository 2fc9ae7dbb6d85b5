"""The README stays honest: every configuration key is in its table with its real default."""

from __future__ import annotations

from pathlib import Path

from flask_dotdigital.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_lists_every_config_key_with_its_default():
    for key, value in DEFAULTS.items():
        rendered = f'"{value}"' if isinstance(value, str) else repr(value)
        assert f"| `{key}` | `{rendered}` |" in README, key


def test_readme_has_the_two_fresh_machine_commands_and_the_screenshots():
    assert "make demo" in README and "make test" in README
    for name in ("create-integration", "check-connection-denied", "manage-integrations",
                 "marketing-dotdigital-menu"):
        assert f"docs/screenshots/{name}.png" in README
        assert (Path(__file__).resolve().parent.parent / "docs/screenshots" / f"{name}.png").exists()
