"""Keep pyproject.toml, requirements.lock and environment.yml in step with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# conda-only entries of environment.yml that are not project dependencies
CONDA_ONLY = {"python", "pip"}


def normalise(name: str) -> str:
    """Lowercase, `_`/`.` -> `-` (PEP 503), extras and version specifiers stripped."""
    name = re.split(r"[\[<>=!~;\s]", name.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def project_requirements(pyproject) -> list[Requirement]:
    project = pyproject["project"]
    specs = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    return [Requirement(s) for s in specs]


@pytest.fixture(scope="module")
def lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.fullmatch(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)(\s*;.*)?", line
        )
        assert m, f"requirements.lock line is not an exact pin: {raw!r}"
        name = normalise(m.group(1))
        assert name not in pins, f"{name} pinned twice in requirements.lock"
        pins[name] = m.group(3)
    return pins


@pytest.fixture(scope="module")
def environment() -> dict:
    with (ROOT / "environment.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def conda_pins(environment) -> dict[str, str | None]:
    pins: dict[str, str | None] = {}
    for dep in environment["dependencies"]:
        if isinstance(dep, dict):  # the `pip:` sub-list
            continue
        m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==?\s*([^\s=]+))?\s*", dep)
        assert m, f"unexpected conda dependency spec: {dep!r}"
        pins[normalise(m.group(1))] = m.group(2)
    return pins


@pytest.fixture(scope="module")
def pip_pins(environment) -> dict[str, str]:
    """Exact pins in the `pip:` sub-list: project dependencies that conda-forge lacks."""
    pins: dict[str, str] = {}
    for dep in environment["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                if spec == "-e .":
                    continue
                m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s=]+)\s*", spec)
                assert m, f"pip entries of environment.yml must be exact pins: {spec!r}"
                pins[normalise(m.group(1))] = m.group(2)
    return pins


def test_environment_yml_basics(environment, conda_pins):
    assert environment["name"] == "kaohe"
    assert environment["channels"] == ["conda-forge"]
    assert conda_pins.get("python") == "3.11"
    assert "pip" in conda_pins
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1 and pip_sections[0][-1] == "-e ."


def test_conda_deps_match_pyproject(project_requirements, conda_pins, pip_pins):
    declared = {normalise(r.name) for r in project_requirements}
    conda = set(conda_pins) - CONDA_ONLY
    assert not conda & set(pip_pins), "a package is pinned both by conda and by pip"
    listed = conda | set(pip_pins)
    assert declared == listed, (
        f"only in pyproject: {sorted(declared - listed)}; only in environment.yml: "
        f"{sorted(listed - declared)}"
    )


def test_pip_pins_match_lock(pip_pins, lock):
    for name, version in sorted(pip_pins.items()):
        assert name in lock, f"{name} is in environment.yml but not in requirements.lock"
        assert Version(version) == Version(lock[name]), (
            f"{name}: environment.yml has {version}, requirements.lock has {lock[name]}"
        )


def test_conda_versions_match_lock(conda_pins, lock):
    for name, version in sorted(conda_pins.items()):
        if name in CONDA_ONLY:
            continue
        assert version is not None, f"{name} is not pinned in environment.yml"
        assert name in lock, f"{name} is in environment.yml but not in requirements.lock"
        assert Version(version) == Version(lock[name]), (
            f"{name}: environment.yml has {version}, requirements.lock has {lock[name]}"
        )


def test_every_project_dependency_is_locked(project_requirements, lock):
    for req in project_requirements:
        name = normalise(req.name)
        assert name in lock, f"{name} is not pinned with == in requirements.lock"
        assert req.specifier.contains(lock[name], prereleases=True), (
            f"{name}=={lock[name]} in requirements.lock does not satisfy pyproject's "
            f"{req.specifier}"
        )


def test_project_metadata(pyproject):
    project = pyproject["project"]
    assert project["name"] == "kaohe"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["kaohe"] == "kaohe.cli:entry"
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["kaohe*"]


def test_normalise():
    assert normalise("PyYAML>=6") == "pyyaml"
    assert normalise("pandera[pandas]>=0.35.0") == "pandera"
    assert normalise("typing_extensions") == "typing-extensions"
    assert normalise("ruamel.yaml ; python_version<'3.13'") == "ruamel-yaml"
