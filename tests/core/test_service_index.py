"""navigate's bitset path gives the answer of the plain one: every service decided, placed and
sorted one at a time (`reference`, below), on random maps built from the seed's services."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigator.core.contacts import contacts_of
from navigator.core.eligibility import Context, decide
from navigator.core.family import Decision, Family
from navigator.core.geography import Location, PostcodeTable, locate
from navigator.core.graph import Pathway, ReferralGraph
from navigator.core.models import Edge, EdgeKind, Eligibility, Level, Map, Ring, Service, Stage
from navigator.core.navigate import (
    DEFAULT_LIMIT,
    AltCandidate,
    NavigateResult,
    NotEligible,
    Recommendation,
    Totals,
    _route_of,
    choose_route,
    explain_steps,
    lmm_block,
    navigate,
    pathway_note,
    validate_request,
)
from navigator.core.notices import notices_for, outside, pointer
from navigator.core.provenance import pathway_facts, route_fact, service_facts
from navigator.core.ranking import Standing, standing, why_ranked
from navigator.core.service_index import REST, positions, walk


class _Placed(NamedTuple):
    """A recommendation before its words: what places it, and what it is built from."""

    standing: Standing
    service: Service
    decision: Decision
    matched: list[str]
    path: Pathway | None


def take_turns(placed: list[tuple[Standing, str]]) -> list[Standing]:
    """Given standings sorted by `key` with their names, the best lead for each need keeps its
    place and a second lead for the same need waits its turn; returns them in input order."""
    seen: dict[str, list[str]] = {}
    out = []
    for place, name in placed:
        if place.lead and place.leads_here:
            before = seen.setdefault(place.lead.need, [])
            if before:
                place = replace(place, turn=1, after=before[0])
            before.append(name)
        out.append(place)
    return out


def reference(
    *,
    map: Map,
    graph: ReferralGraph,
    location: Location,
    family: Family,
    as_of: dt.date,
    limit: int | None = None,
) -> NavigateResult:
    """navigate as it was before the bitsets: each candidate decided, routed and placed."""
    validate_request(map, family)
    ctx = Context.build(map=map, family=family, location=location, day=as_of)
    source = family.from_service
    candidates = list(
        {
            s.id: s
            for code in family.needs
            for s in map.services
            if code in s.needs and s.id != source
        }.values()
    )
    consult_first = family.level in map.policy.consult_first_levels
    needs = {n.code: n.label for n in map.needs}
    edges = graph.edges_on(as_of)

    def decision_of(service: Service) -> Decision:
        return decide(service, ctx)

    avoid = frozenset(
        s.id
        for s in map.active_services(as_of)
        if decision_of(s).status is Eligibility.not_eligible
    )
    placed: list[_Placed] = []
    refused: list[tuple[tuple[object, ...], Service, Decision, list[str]]] = []
    for service in candidates:
        matched = [n for n in family.needs if n in service.needs]
        decision = decision_of(service)
        if decision.status is Eligibility.not_eligible:
            refused.append(((-len(matched), service.name), service, decision, matched))
            continue
        path = (
            graph.pathway(
                source,
                service.id,
                day=as_of,
                self_referral=service.self_referral,
                consult_first=consult_first,
                avoid=avoid,
                practical=True,
            )
            if source
            else None
        )
        place = standing(
            map,
            service,
            needs=family.needs,
            matched=matched,
            level=family.level,
            check=decision.status is Eligibility.check,
            path=path,
            from_service=source,
        )
        placed.append(_Placed(place, service, decision, matched, path))
    placed.sort(key=lambda p: (p.standing.key(), p.service.name))
    turns = take_turns([(p.standing, p.service.name) for p in placed])
    placed = [p._replace(standing=t) for p, t in zip(placed, turns, strict=True)]
    placed.sort(key=lambda p: (p.standing.key(), p.service.name))
    cap = DEFAULT_LIMIT if limit is None else limit

    recommendations: list[Recommendation] = []
    above = None
    for i, p in enumerate(placed[:cap], 1):
        service, steps = p.service, list(p.path.steps) if p.path else []
        route = choose_route(
            service, consult_first=consult_first, arrived_by=steps[-1].kind if steps else None
        )
        recommendations.append(
            Recommendation.model_construct(
                service_id=service.id,
                name=service.name,
                ring=service.ring.value,
                eligibility=p.decision.status,
                score=p.standing.score(),
                matched_needs=p.matched,
                reasons=list(p.decision.reasons),
                checks=list(p.decision.checks),
                route=route,
                pathway=p.path.services if p.path else [],
                pathway_steps=steps,
                why_ranked=why_ranked(
                    i,
                    p.standing,
                    service,
                    m=map,
                    level=family.level,
                    path=p.path,
                    route_kind=str(route.kind),
                    need_words=", ".join(needs.get(n, n).lower() for n in p.matched),
                    above=above,
                ),
                inferred=[
                    *service_facts(service, map, day=as_of, matched=p.matched, labels=needs),
                    *route_fact(_route_of(service, str(route.kind))),
                    *pathway_facts(steps, map, edges=edges),
                ],
                contacts=contacts_of(service),
                no_public_contact=service.no_public_contact,
                pathway_explained=explain_steps(steps, map, edges=edges, source=source),
                pathway_note=pathway_note(p.path, service, source=source),
            )
        )
        above = (service.name, p.standing)
    refused.sort(key=lambda r: r[0])
    not_eligible = [
        NotEligible.model_construct(
            service_id=service.id,
            name=service.name,
            ring=service.ring.value,
            matched_needs=matched,
            reasons=list(decision.reasons),
        )
        for _, service, decision, matched in refused[:cap]
    ]
    usable = [
        AltCandidate(p.service.id, p.service.name, p.matched)
        for p in placed
        if p.decision.status is Eligibility.eligible
    ]
    lmm = map.service(map.lmm.service_id)
    assert lmm is not None
    named = {
        sid
        for rule in (map.navigation.notices.crisis, map.navigation.notices.safeguarding)
        if rule is not None
        for sid in rule.services
    }
    decisions = {sid: decision_of(s) for sid in named if (s := map.service(sid)) is not None}
    return NavigateResult(
        as_of=as_of,
        location=location,
        notices=notices_for(map, family, location, decisions),
        recommendations=recommendations,
        not_eligible=not_eligible,
        totals=Totals(recommendations=len(placed), not_eligible=len(refused)),
        lmm=lmm_block(
            map,
            family,
            lmm,
            decision_of(lmm),
            usable,
            elsewhere=pointer(map, location) if outside(map, location) else None,
            inferred=service_facts(lmm, map, day=as_of, matched=[], labels=needs),
        ),
    )


def _answer(result: NavigateResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


DAYS = [dt.date(2019, 1, 1), dt.date(2021, 6, 1), dt.date(2024, 6, 1), dt.date(2026, 1, 5)]
POSTCODES = ["BD3 9AB", "BD21 1AA", "BD9 4AA", "BD5 0AU", "LS1 1AA", "BD3 9ZZ"]
NAMES = ["Alpha", "Beta", "Gamma"]  # clones named alike, so ties by name are exercised


def random_map(base: Map, rng: random.Random, size: int) -> Map:
    """Some of the seed's services as they are (the leads name them), and clones of others
    with needs, levels, ring, ages, rules, routes and dates drawn anew."""
    codes = [n.code for n in base.needs]
    rules = [r for s in base.services for r in s.rules]
    routes = [r for s in base.services for r in s.routes]
    keep = {base.lmm.service_id} | {
        s.id for s in rng.sample(base.services, len(base.services) // 2)
    }
    services = [s for s in base.services if s.id in keep]
    while len(services) < size:
        tmpl = rng.choice(base.services)
        lo = rng.choice([None, -9, -3, 0, 6, 12])
        hi = rng.choice([None, 0, 12, 24, 60])
        if lo is not None and hi is not None and hi < lo:
            lo, hi = hi, lo
        start = rng.choice([None, None, dt.date(2020, 4, 1), dt.date(2024, 1, 1)])
        end = rng.choice([None, None, None, dt.date(2023, 3, 31), dt.date(2025, 12, 31)])
        if start and end and end < start:
            end = None
        update: dict[str, Any] = {
            "id": f"{tmpl.id}-{len(services)}",
            "name": rng.choice([*NAMES, f"{tmpl.name} {len(services)}"]),
            "needs": rng.sample(codes, rng.randint(1, 4)),
            "levels": rng.sample(list(Level), rng.randint(1, 3)),
            "ring": rng.choice(list(Ring)),
            "min_age_months": lo,
            "max_age_months": hi,
            "rules": rng.sample(rules, rng.randint(0, 2)),
            "routes": rng.sample(routes, rng.randint(0, 2)),
            "valid_from": start,
            "valid_to": end,
        }
        services.append(tmpl.model_copy(update=update))
    ids = [s.id for s in services]
    edges = [e for e in base.edges if e.source in keep and e.target in keep] + [
        Edge(
            source=rng.choice(ids),
            target=rng.choice(ids),
            kind=rng.choice(list(EdgeKind)),
            valid_from=rng.choice([None, None, dt.date(2022, 1, 1)]),
        )
        for _ in range(4 * size)
    ]
    gp_lists = [
        g.model_copy(update={"practices": rng.choice([None, ["B83001", "B83002"]])})
        for g in base.gp_lists
    ]
    return base.model_copy(update={"services": services, "edges": edges, "gp_lists": gp_lists})


def random_family(m: Map, rng: random.Random) -> Family:
    codes = [n.code for n in m.needs]
    needs = rng.sample(codes, rng.randint(1, 5))
    if rng.random() < 0.2:
        needs.append(needs[0])  # said twice
    stage = rng.choice(list(Stage))
    data: dict[str, Any] = {
        "postcode": rng.choice(POSTCODES),
        "stage": stage,
        "needs": needs,
        "level": rng.choice(list(Level)),
        "gp_practice": rng.choice([None, "B83001", "B83099"]),
        "from_service": rng.choice([None, rng.choice(m.services).id]),
    }
    if stage is Stage.postnatal:
        data["child_age_months"] = rng.choice([0, 3, 7, 14, 30, 70])
    else:
        data["weeks_pregnant"] = rng.choice([None, 8, 30])
    return Family.model_validate(data)


@pytest.fixture(scope="module")
def base(seed_map: Map) -> Map:
    return seed_map


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_fast_path_answers_as_the_plain_one(
    seed: int, base: Map, postcodes: PostcodeTable
) -> None:
    rng = random.Random(seed)
    m = random_map(base, rng, rng.randint(30, 120))
    graph = ReferralGraph(m)
    for _ in range(6):
        family = random_family(m, rng)
        kw: dict[str, Any] = {
            "map": m,
            "graph": graph,
            "location": locate(family.postcode, table=postcodes, areas=m.areas),
            "family": family,
            "as_of": rng.choice(DAYS),
            "limit": rng.choice([None, 1, 3, 10, 500]),
        }
        assert _answer(navigate(**kw)) == _answer(reference(**kw))


def test_the_seed_answers_as_before(base: Map, postcodes: PostcodeTable) -> None:
    """Every need alone and all together, from no service and from each of a few."""
    graph = ReferralGraph(base)
    codes = [n.code for n in base.needs]
    for needs in [*([c] for c in codes), codes]:
        for source in (None, "health-visiting", "little-minds-matter", "midwifery"):
            family = Family(
                postcode="BD3 9AB",
                stage=Stage.postnatal,
                child_age_months=7,
                needs=needs,
                from_service=source,
            )
            kw: dict[str, Any] = {
                "map": base,
                "graph": graph,
                "location": locate(family.postcode, table=postcodes, areas=base.areas),
                "family": family,
                "as_of": dt.date(2025, 6, 1),
                "limit": 500,
            }
            assert _answer(navigate(**kw)) == _answer(reference(**kw))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_pages_are_slices_of_the_whole_answer(
    seed: int, base: Map, postcodes: PostcodeTable
) -> None:
    """Every service not offered says why when asked: page by page, `offset` reaches them all,
    each entry as the whole answer has it (its place and why_ranked included)."""
    rng = random.Random(seed)
    m = random_map(base, rng, rng.randint(30, 120))
    graph = ReferralGraph(m)
    family = random_family(m, rng)
    kw: dict[str, Any] = {
        "map": m,
        "graph": graph,
        "location": locate(family.postcode, table=postcodes, areas=m.areas),
        "family": family,
        "as_of": rng.choice(DAYS),
    }
    whole = navigate(**kw, limit=500)
    size = rng.randint(1, 7)
    for offset in range(0, max(whole.totals.recommendations, whole.totals.not_eligible) + 1, size):
        page = navigate(**kw, limit=size, offset=offset)
        assert page.totals == whole.totals
        assert page.recommendations == whole.recommendations[offset : offset + size]
        assert page.not_eligible == whole.not_eligible[offset : offset + size]
        assert page.lmm == whole.lmm


def test_walk_orders_by_each_partition_in_turn() -> None:
    # 0..5: first by odd before even, then by the low two bits, high first.
    odd = 0b101010
    low = [0b001100, 0b100010, REST]  # values 2,3 then 1,5 then the rest
    order = [list(positions(b)) for b in walk(0b111111, [[odd, REST], low])]
    assert order == [[3], [1, 5], [2], [0, 4]]
    assert list(walk(0, [[REST]])) == []


def test_the_index_has_each_service_once_by_name(base: Map) -> None:
    index = base.service_index
    assert sorted(index.ids(-1 & ((1 << len(index)) - 1))) == sorted(s.id for s in base.services)
    names = [s.name for s in index.services]
    assert names == sorted(names)
    assert index.active(dt.date(2025, 6, 1)) == index.of(
        s.id for s in base.active_services(dt.date(2025, 6, 1))
    )
