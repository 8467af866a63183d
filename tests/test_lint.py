"""ruff and mypy are part of the test suite."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the dev extra: pip install -e '.[dev]'")
    return found


def test_ruff_is_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (also under TYPE_CHECKING)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _reaches(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_the_core_imports_no_adapter_no_store_and_no_wiring() -> None:
    """bot/ outside bot/wiring knows neither the platforms nor the stores nor who wires them;
    adapters and stores may import the core, never the wiring."""
    rules = [
        (sorted(p for p in (ROOT / "bot").rglob("*.py") if "wiring" not in p.relative_to(ROOT / "bot").parts),
         ("adapters", "storage", "bot.wiring")),
        (sorted([*(ROOT / "adapters").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]), ("bot.wiring",)),
    ]
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for files, forbidden in rules
        for path in files
        for module in sorted(_imported_modules(path))
        if _reaches(module, forbidden)
    ]
    assert broken == []
