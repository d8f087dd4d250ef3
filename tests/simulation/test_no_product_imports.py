"""The simulation's checker and scripts talk to plansmith over HTTP only: no module under
tests/simulation imports plansmith (or a test module that does), so a bug shared by the
product and its checker cannot hide itself. Exempt: the process harness (cluster.py,
harness.py), which starts the product, and the test modules, which may set up through it."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent
EXEMPT = {"cluster.py", "harness.py", "__init__.py"}
# Test modules outside tests/simulation that import plansmith (directly or through fixtures).
PRODUCT_SIDE = ("plansmith", "tests.conftest", "tests.integration", "tests.simulation.cluster")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_no_checker_module_imports_the_product() -> None:
    checked = [
        p
        for p in sorted(HERE.glob("*.py"))
        if p.name not in EXEMPT and not p.name.startswith("test_")
    ]
    assert {p.name for p in checked} >= {"invariants.py", "webhooks.py", "api_reads.py"}
    bad = [
        f"{p.name} imports {name}"
        for p in checked
        for name in _imports(p)
        if name.startswith(PRODUCT_SIDE)
    ]
    assert bad == []
