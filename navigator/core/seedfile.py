"""Read and validate `seed/services.yaml` into a `Map`, and write a `Map` back out as YAML.

Every error names the file, the entry and the field, so an editor can find the line to mend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from navigator.core.errors import NavigatorError
from navigator.core.models import (
    Area,
    Edge,
    GpList,
    LevelInfo,
    LmmOffer,
    Map,
    Meta,
    Navigation,
    Need,
    Organisation,
    Policy,
    RingInfo,
    Service,
    Vocabulary,
    dump,
    public,
)
from navigator.core.validation import check_catchment, check_edge, check_service

SECTIONS = (
    "meta",
    "levels",
    "rings",
    "needs",
    "areas",
    "gp_lists",
    "organisations",
    "lmm",
    "policy",
    "services",
    "edges",
    "navigation",
    "vocabulary",
)
# Sections a seed may leave out (older seeds have none): the map then answers without them.
OPTIONAL = frozenset({"organisations", "navigation", "vocabulary"})

M = TypeVar("M", bound=BaseModel)


class SeedError(ValueError):
    """A seed file that cannot be loaded; says where (file, entry, field) and what is wrong."""

    def __init__(self, file: str, entry: str, field: str, message: str) -> None:
        self.file, self.entry, self.field, self.message = file, entry, field, message
        where = f"{entry}.{field}" if field else entry
        super().__init__(f"{file}: {where}: {message}")


def _loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model(cls: type[M], data: Any, *, file: str, entry: str) -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SeedError(file, entry, _loc(err["loc"]), err["msg"]) from None


def _entries(
    cls: type[M], items: Any, *, file: str, section: str, key: str
) -> Iterator[tuple[str, M]]:
    if not isinstance(items, list):
        raise SeedError(file, section, "", "must be a list")
    seen: set[str] = set()
    for i, item in enumerate(items):
        ident = item.get(key) if isinstance(item, dict) else None
        entry = f"{section}[{ident}]" if isinstance(ident, str) else f"{section}[{i}]"
        obj = _model(cls, item, file=file, entry=entry)
        if isinstance(ident, str):
            if ident in seen:
                raise SeedError(file, entry, key, f"duplicate {key} {ident!r}")
            seen.add(ident)
        yield entry, obj


def parse_map(data: Any, *, file: str = "<seed>") -> Map:
    """Validate plain data (as read from YAML or JSON) into a `Map`, cross-references included."""
    if not isinstance(data, dict):
        raise SeedError(file, "(top level)", "", "must be a mapping of sections")
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise SeedError(file, "(top level)", sorted(unknown)[0], "unknown section")
    for section in SECTIONS:
        if section not in data and section not in OPTIONAL:
            raise SeedError(file, "(top level)", section, "section is missing")

    meta = _model(Meta, data["meta"], file=file, entry="meta")
    levels = [
        o for _, o in _entries(LevelInfo, data["levels"], file=file, section="levels", key="id")
    ]
    rings = [o for _, o in _entries(RingInfo, data["rings"], file=file, section="rings", key="id")]
    needs = [o for _, o in _entries(Need, data["needs"], file=file, section="needs", key="code")]
    areas = [o for _, o in _entries(Area, data["areas"], file=file, section="areas", key="id")]
    gp_lists = [
        o for _, o in _entries(GpList, data["gp_lists"], file=file, section="gp_lists", key="id")
    ]
    organisations = [
        o
        for _, o in _entries(
            Organisation,
            data.get("organisations") or [],
            file=file,
            section="organisations",
            key="id",
        )
    ]
    lmm = _model(LmmOffer, data["lmm"], file=file, entry="lmm")
    policy = _model(Policy, data["policy"], file=file, entry="policy")
    services = list(_entries(Service, data["services"], file=file, section="services", key="id"))
    edges = list(_entries(Edge, data["edges"], file=file, section="edges", key="__none__"))
    navigation = _model(Navigation, data.get("navigation") or {}, file=file, entry="navigation")
    vocabulary = _model(Vocabulary, data.get("vocabulary") or {}, file=file, entry="vocabulary")

    refs = {
        "needs": {n.code for n in needs},
        "areas": {a.id for a in areas},
        "gp_lists": {g.id for g in gp_lists},
        "services": {s.id for _, s in services},
        "organisations": {o.id for o in organisations},
    }
    _check_references(services, edges, refs, file=file)
    _check_lmm(lmm, refs["services"], file=file)

    _check_policy(policy, refs, file=file)
    _check_navigation(navigation, refs, file=file)
    _check_vocabulary(vocabulary, refs, file=file)
    return Map(
        meta=meta,
        levels=levels,
        rings=rings,
        needs=needs,
        areas=areas,
        gp_lists=gp_lists,
        services=[s for _, s in services],
        edges=[e for _, e in edges],
        lmm=lmm,
        policy=policy,
        organisations=organisations,
        navigation=navigation,
        vocabulary=vocabulary,
    )


def _check_references(
    services: list[tuple[str, Service]],
    edges: list[tuple[str, Edge]],
    refs: dict[str, set[str]],
    *,
    file: str,
) -> None:
    """Every need, area, GP list and service an entry names must exist."""
    entry_now = ""
    try:
        for entry, service in services:
            entry_now = entry
            check_service(service, refs)
            check_catchment(service)
        for i, (_, edge) in enumerate(edges):
            entry_now = f"edges[{i}] ({edge.source} -> {edge.target})"
            check_edge(edge, refs)
    except NavigatorError as exc:
        raise SeedError(file, entry_now, _loc(exc.loc), exc.message) from None


def _check_lmm(lmm: LmmOffer, service_ids: set[str], *, file: str) -> None:
    if lmm.service_id not in service_ids:
        raise SeedError(file, "lmm", "service_id", f"unknown service {lmm.service_id!r}")
    for i, sid in enumerate(lmm.training_priority_services):
        if sid not in service_ids:
            raise SeedError(
                file, "lmm", f"training_priority_services[{i}]", f"unknown service {sid!r}"
            )


def _check_named(
    named: Iterable[tuple[str, str, str | None]],
    refs: dict[str, set[str]],
    *,
    file: str,
    entry: str,
) -> None:
    for field, kind, ident in named:
        if ident is not None and ident not in refs[kind]:
            raise SeedError(file, entry, field, f"unknown {kind[:-1].replace('_', ' ')} {ident!r}")


def _check_navigation(nav: Navigation, refs: dict[str, set[str]], *, file: str) -> None:
    """The needs, services and area the navigation policy names must exist."""
    named: list[tuple[str, str, str | None]] = [("district_area", "areas", nav.district_area)]
    for i, lead in enumerate(nav.leads):
        named.append((f"leads[{i}].need", "needs", lead.need))
        named += [(f"leads[{i}].services[{j}]", "services", s) for j, s in enumerate(lead.services)]
    for code in ("safeguarding", "crisis"):
        rule = getattr(nav.notices, code)
        if rule is not None:
            named += [(f"notices.{code}.needs[{j}]", "needs", n) for j, n in enumerate(rule.needs)]
            named += [
                (f"notices.{code}.services[{j}]", "services", sid)
                for j, sid in enumerate(rule.services)
            ]
    _check_named(named, refs, file=file, entry="navigation")


def _check_vocabulary(vocab: Vocabulary, refs: dict[str, set[str]], *, file: str) -> None:
    named: list[tuple[str, str, str | None]] = []
    for i, syn in enumerate(vocab.synonyms):
        named += [(f"synonyms[{i}].needs[{j}]", "needs", n) for j, n in enumerate(syn.needs)]
        named += [
            (f"synonyms[{i}].services[{j}]", "services", s) for j, s in enumerate(syn.services)
        ]
    _check_named(named, refs, file=file, entry="vocabulary")


def _check_policy(policy: Policy, refs: dict[str, set[str]], *, file: str) -> None:
    """The areas, services and need the policy names must exist."""
    rules = policy.analytics
    named = [
        *(
            (f"analytics.universe_areas[{i}]", "areas", a)
            for i, a in enumerate(rules.universe_areas)
        ),
        ("analytics.district_area", "areas", rules.district_area),
        *(
            (f"analytics.universal_services[{i}]", "services", s)
            for i, s in enumerate(rules.universal_services)
        ),
        ("analytics.default_need", "needs", rules.default_need),
    ]
    for field, kind, ident in named:
        if ident not in refs[kind]:
            raise SeedError(file, "policy", field, f"unknown {kind[:-1]} {ident!r}")


# libyaml's safe loader when PyYAML has it (its wheels do): the seed parses ~15x faster, most of a
# start's seed load (bench/README.md). Same safe constructors, same values, same error marks.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_seed(path: Path) -> Map:
    """Read and validate a seed file; raises SeedError naming file, entry and field."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(file, "(file)", "", exc.strerror or str(exc)) from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise SeedError(
            file, where, "", f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    return parse_map(data, file=file)


def map_to_data(m: Map) -> dict[str, Any]:
    """A map as plain data, sections in seed order, defaults left out.

    Confidential addresses are left out too: no output ever carries a refuge's address.
    """
    return {
        "meta": dump(m.meta),
        "levels": [dump(x) for x in m.levels],
        "rings": [dump(x) for x in m.rings],
        "needs": [dump(x) for x in m.needs],
        "areas": [dump(x) for x in m.areas],
        "gp_lists": [dump(x) for x in m.gp_lists],
        **({"organisations": [dump(x) for x in m.organisations]} if m.organisations else {}),
        "lmm": dump(m.lmm),
        "policy": dump(m.policy),
        "navigation": dump(m.navigation),
        "vocabulary": dump(m.vocabulary),
        "services": [dump(public(x)) for x in m.services],
        "edges": [dump(x) for x in m.edges],
    }


def dump_yaml(m: Map) -> str:
    """The map as YAML; deterministic, so export -> seed -> export is byte-identical."""
    return yaml.safe_dump(map_to_data(m), sort_keys=False, allow_unicode=True, width=100)
