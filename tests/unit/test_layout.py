"""Architecture guards: the domain package never imports Ray or torch, and packaging lists every package."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"ray", "torch", "ultralytics", "nncf"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "pictag").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_has_no_ray_or_torch(path: Path) -> None:
    bad = _imports(path) & FORBIDDEN_IN_DOMAIN
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: keep pictag/ free of Ray and training libraries"


@pytest.mark.parametrize("folder", ["actors", "serve"])
def test_runtime_shells_do_not_import_torch(folder: str) -> None:
    for path in (ROOT / folder).rglob("*.py"):
        bad = _imports(path) & {"torch", "ultralytics", "nncf"}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} at run time"


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    dirs = config["tool"]["setuptools"]["package-dir"]
    expected = set()
    for init in (ROOT / "pictag").rglob("__init__.py"):
        expected.add(".".join(init.parent.relative_to(ROOT).parts))
    for pkg, folder in dirs.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((pkg, *rel)))
    missing = expected - listed
    assert not missing, f"packages missing from [tool.setuptools] packages: {sorted(missing)}"
