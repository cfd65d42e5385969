"""The core never imports the web or the database."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOGIC = [
    "navigator.core.models",
    "navigator.core.geography",
    "navigator.core.search",
    "navigator.core.eligibility",
    "navigator.core.graph",
    "navigator.core.navigate",
    "navigator.core.analytics",
    "navigator.core.validation",
    "navigator.core.exports.oruk",
    "navigator.core.exports.fhir",
    "navigator.core.snapshot",
]
FORBIDDEN = ["fastapi", "starlette", "sqlmodel", "sqlalchemy", "pyvis", "uvicorn"]


@pytest.mark.parametrize("module", LOGIC)
def test_logic_module_loads_no_web_or_database(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{module} loaded {run.stdout.strip()} {run.stderr}"
