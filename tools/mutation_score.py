"""Print mutmut's score per module: killed/total and %, from the results in mutants/.

    python tools/mutation_score.py [--min PERCENT MODULE ...]

A mutant counts as killed when a test failed (or it ran out of time); survivors, mutants no test
reaches and those not yet run count against the score. With --min, exits 1 when any MODULE named
(e.g. eligibility) whose mutants have all run scores below PERCENT.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): 1 and 3 a failed test, the rest a timeout.
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def status(code: int | None) -> str:
    if code is None:
        return "not run"
    if code in KILLED or code in TIMEOUT:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def scores(root: Path) -> dict[str, Counter[str]]:
    """Per module (its path without .py), how many mutants ended in each status."""
    out: dict[str, Counter[str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        module = str(meta.relative_to(root)).removesuffix(".py.meta")
        out[module] = Counter(status(c) for c in data["exit_code_by_key"].values())
    return out


def percent(c: Counter[str]) -> float:
    total = sum(c.values())
    return 100.0 * c["killed"] / total if total else 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--min", type=float, default=None, metavar="PERCENT")
    parser.add_argument("modules", nargs="*", help="short names held to --min, e.g. eligibility")
    args = parser.parse_args(argv)
    found = scores(args.root)
    if not found:
        print(f"No mutmut results under {args.root}/: run `make mutation` first.")
        return 1
    print(f"{'module':44} {'killed/total':>13} {'%':>6}  survived  no tests  not run")
    for module, c in found.items():
        total = sum(c.values())
        print(
            f"{module:44} {c['killed']:>6}/{total:<6} {percent(c):>6.1f}  "
            f"{c['survived']:>8}  {c['no tests']:>8}  {c['not run']:>7}"
        )
    # Held to --min once every mutant of the module has run (`make mutation MUTANTS=...` runs one).
    low = [
        m
        for m, c in found.items()
        if args.min is not None
        and m.rsplit("/", 1)[-1] in args.modules
        and not c["not run"]
        and percent(c) < args.min
    ]
    for m in low:
        print(f"{m}: below {args.min:.0f}%")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
