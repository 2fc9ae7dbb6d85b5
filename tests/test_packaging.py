"""The wheel lists its packages by hand (templates/ is mapped into it), so check the list is whole:
every code package and every template folder, with its files as package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_code_package_is_listed():
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "flask_dotdigital").rglob("*.py") if "__pycache__" not in p.parts}
    assert found <= set(SETUPTOOLS["packages"]), sorted(found - set(SETUPTOOLS["packages"]))


def test_every_template_folder_ships_its_files():
    for folder in (ROOT / "templates").rglob("*"):
        if not folder.is_dir() or not any(folder.iterdir()):
            continue
        package = ".".join(("flask_dotdigital", *folder.relative_to(ROOT).parts))
        assert package in SETUPTOOLS["packages"], package
        suffixes = {f.suffix for f in folder.iterdir() if f.is_file()}
        patterns = SETUPTOOLS["package-data"].get(package, [])
        assert all(f"*{suffix}" in patterns for suffix in suffixes), (package, suffixes, patterns)
