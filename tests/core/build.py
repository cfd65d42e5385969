"""Small hand-built maps, families and places for the core's tests: no postcode table, no
database, no browser. Each test states the services it needs; everything else is the mini map's
(its levels, needs, areas, GP list and LMM catalogue)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from navigator.core.eligibility import Context, decide
from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.graph import ReferralGraph
from navigator.core.models import Edge, EdgeKind, GpList, Lead, Map, Navigation, Rule, Service
from navigator.core.navigate import NavigateResult, navigate
from navigator.core.seedfile import load_seed
from tests.conftest import MINI_SEED

DAY = dt.date(2024, 6, 1)
MINI = load_seed(MINI_SEED)
LMM = "little-minds-matter"  # the mini map's LMM: navigate always decides it

# Where families live. The mini map's areas: `bsb` (three wards) and `bradford-district`.
IN_BSB = Location(
    postcode="BD3 9AB",
    known=True,
    local_authority="Bradford",
    local_authority_code="E08000032",
    ward="Bowling and Barkerend",
    ward_code="E05001345",
    areas=["bsb", "bradford-district"],
)
IN_KEIGHLEY = Location(
    postcode="BD21 1AA",
    known=True,
    local_authority="Bradford",
    local_authority_code="E08000032",
    ward="Keighley Central",
    ward_code="E05001361",
    areas=["bradford-district"],
)
IN_LEEDS = Location(
    postcode="LS1 1AA",
    known=True,
    local_authority="Leeds",
    local_authority_code="E08000035",
    ward="Little London and Woodhouse",
    ward_code="E05011409",
    areas=[],
)
# A postcode in the table with no ward recorded, and one whose authority is not named either.
NO_WARD = Location(
    postcode="LS2 7AA",
    known=True,
    local_authority="Leeds",
    local_authority_code="E08000035",
)
NOTHING_NAMED = Location(postcode="ZZ1 1ZZ", known=True)
UNPLACED = Location(postcode="BD3 9ZZ", known=False)


def born(age: int, **kw: Any) -> Family:
    """A family whose baby is `age` months old."""
    data: dict[str, Any] = {
        "postcode": "BD3 9AB",
        "stage": "postnatal",
        "child_age_months": age,
        "needs": ["housing"],
    }
    return Family.model_validate(data | kw)


def pregnant(weeks: int | None = None, **kw: Any) -> Family:
    """A family expecting a baby, `weeks` pregnant (None: not said)."""
    data: dict[str, Any] = {"postcode": "BD3 9AB", "stage": "antenatal", "needs": ["housing"]}
    if weeks is not None:
        data["weeks_pregnant"] = weeks
    return Family.model_validate(data | kw)


def service(sid: str = "svc", **kw: Any) -> Service:
    """A service open to everyone, for ever, unless `kw` says otherwise."""
    data: dict[str, Any] = {
        "id": sid,
        "name": sid.replace("-", " ").capitalize(),
        "provider": "Provider",
        "ring": "core",
        "remit": "Helps.",
        "needs": ["housing"],
        "levels": ["universal"],
        "sources": [{"title": "Source", "status": "confirmed"}],
        "last_verified": "2026-01-01",
    }
    return Service.model_validate(data | kw)


def rule(kind: str, **kw: Any) -> Rule:
    return Rule.model_validate({"kind": kind} | kw)


def edge(source: str, target: str, kind: str, **kw: Any) -> Edge:
    return Edge.model_validate({"source": source, "target": target, "kind": kind} | kw)


RIC_LOADED = GpList(
    id="ric", name="RIC practices", check_text="Check RIC", practices=["B83001", "B83002"]
)


def with_map(
    *services: Service,
    edges: list[Edge] | None = None,
    leads: list[Lead] | None = None,
    gp_lists: list[GpList] | None = None,
    keep_lmm: bool = True,
) -> Map:
    """The mini map with these services (and the mini map's LMM, which navigate needs)."""
    lmm = [s for s in MINI.services if s.id == LMM] if keep_lmm else []
    update: dict[str, Any] = {
        "services": [*services, *lmm],
        "edges": edges or [],
        "navigation": Navigation(leads=leads or []),
    }
    if gp_lists is not None:
        update["gp_lists"] = gp_lists
    return MINI.model_copy(update=update)


def decision(
    s: Service,
    family: Family,
    *,
    where: Location = IN_BSB,
    day: dt.date = DAY,
    m: Map = MINI,
) -> Decision:
    ctx = Context.build(map=m, family=family, location=where, day=day)
    return decide(s, ctx)


def answer(
    m: Map,
    family: Family,
    *,
    where: Location = IN_BSB,
    day: dt.date = DAY,
    limit: int | None = None,
) -> NavigateResult:
    return navigate(
        map=m, graph=ReferralGraph(m), location=where, family=family, as_of=day, limit=limit
    )


__all__ = ["DAY", "EdgeKind"]
