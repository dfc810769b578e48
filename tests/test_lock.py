"""requirements-lock.txt pins what pyproject.toml declares, and CI runs on exactly those pins."""

from __future__ import annotations

import os
import tomllib
from importlib.metadata import distributions

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from projects import REPO


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate((REPO / "requirements-lock.txt").read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements-lock.txt:{number}: not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = Version(version)
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    return [Requirement(r) for r in names]


def test_every_declared_dependency_is_pinned_inside_its_declared_range() -> None:
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is declared in pyproject.toml but not locked"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{requirement.name}=={pins[name]} in the lock is outside {requirement.specifier}"
        )


def test_the_lock_is_cpu_only() -> None:
    assert not [name for name in locked() if name.startswith("nvidia-")]


@pytest.mark.skipif(not os.environ.get("QUALKIT_CI"), reason="only CI installs from the lock")
def test_ci_runs_on_exactly_the_locked_versions() -> None:
    pins = locked()
    installed = {canonicalize_name(d.metadata["Name"]): Version(d.version) for d in distributions()}
    wrong = {
        name: (str(installed[name]), str(version))
        for name, version in pins.items()
        if name in installed and installed[name].public != version.public
    }
    missing = sorted(set(pins) - set(installed))
    assert not wrong and not missing, (wrong, missing)
