"""The core never imports the web or the database."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOGIC = [
    "navigator.models",
    "navigator.postcodes",
    "navigator.search",
    "navigator.eligibility",
    "navigator.graph",
    "navigator.navigate",
    "navigator.analytics",
    "navigator.validation",
    "navigator.exports.oruk",
    "navigator.exports.fhir",
    "navigator.snapshot",
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
