"""What an entry of the map may refer to, checked in one place for the seed, edits and what-if.

Pure: it reads ids from a Map or from the store's id sets, and raises errors naming the field.
"""

from __future__ import annotations

from typing import Any

from navigator.core.errors import InvalidEdit, UnknownArea, UnknownGpList
from navigator.core.models import Edge, Map, Rule, RuleKind, Service
from navigator.core.search import require_need

Refs = dict[str, set[str]]


def references(m: Map) -> Refs:
    """The ids a map's entries may refer to: needs, areas, GP lists and services."""
    return {
        "needs": m.need_codes(),
        "areas": {a.id for a in m.areas},
        "gp_lists": {g.id for g in m.gp_lists},
        "services": {s.id for s in m.services},
        "organisations": {o.id for o in m.organisations},
    }


def _rules(rules: list[Rule], refs: Refs, path: tuple[str | int, ...]) -> None:
    for i, rule in enumerate(rules):
        where = (*path, i)
        if rule.kind is RuleKind.area and rule.area not in refs["areas"]:
            raise UnknownArea(f"unknown area {rule.area!r}", loc=(*where, "area"))
        if rule.kind is RuleKind.gp_list and rule.gp_list not in refs["gp_lists"]:
            raise UnknownGpList(f"unknown GP list {rule.gp_list!r}", loc=(*where, "gp_list"))
        _rules(rule.rules, refs, (*where, "rules"))


def check_service(service: Service, refs: Refs) -> None:
    """Every need, area, GP list and organisation a service names must exist; raises naming
    the field."""
    for i, code in enumerate(service.needs):
        require_need(code, refs["needs"], loc=("needs", i))
    if service.organisation_id is not None and service.organisation_id not in refs.get(
        "organisations", set()
    ):
        raise InvalidEdit(
            f"unknown organisation {service.organisation_id!r}", loc=("organisation_id",)
        )
    if service.catchment is not None:
        for i, area in enumerate(service.catchment.areas):
            if area not in refs["areas"]:
                raise UnknownArea(f"unknown area {area!r}", loc=("catchment", "areas", i))
    _rules(service.rules, refs, ("rules",))


def _names_an_area(rules: list[Rule]) -> bool:
    return any(r.kind is RuleKind.area or _names_an_area(r.rules) for r in rules)


def check_catchment(service: Service) -> None:
    """Catchment is never silent: every service says where it serves, with an area rule (a
    national line names an area of a whole country, such as `england`)."""
    if not _names_an_area(service.rules):
        raise InvalidEdit(
            f"{service.id!r} does not say where it serves: add an area rule (for a national "
            "line, an area covering the whole country, such as england)",
            loc=("rules",),
        )


def check_edge(edge: Edge, refs: Refs) -> None:
    for field in ("source", "target"):
        if getattr(edge, field) not in refs["services"]:
            raise InvalidEdit(f"unknown service {getattr(edge, field)!r}", loc=(field,))


def untagged_facts(doc: Any) -> list[str]:
    """Where a raw seed document states a fact with no status: a service's levels
    (`levels_status`), each rule, route, contact and site, its catchment, each edge, area and
    organisation with an ODS code. Empty when every fact says how sure we are of it."""
    out: list[str] = []

    def rules(items: Any, where: str) -> None:
        for i, rule in enumerate(items or []):
            if not isinstance(rule, dict):
                continue
            if "status" not in rule:
                out.append(f"{where}[{i}].status")
            rules(rule.get("rules"), f"{where}[{i}].rules")

    if not isinstance(doc, dict):
        return ["(not a mapping)"]
    for i, service in enumerate(doc.get("services") or []):
        if not isinstance(service, dict):
            continue
        name = f"services[{i}] ({service.get('id', '?')})"
        if "levels_status" not in service:
            out.append(f"{name}.levels_status")
        rules(service.get("rules"), f"{name}.rules")
        for key in ("routes", "contacts", "sites"):
            for j, item in enumerate(service.get(key) or []):
                if isinstance(item, dict) and "status" not in item:
                    out.append(f"{name}.{key}[{j}].status")
        catchment = service.get("catchment")
        if catchment is None:
            out.append(f"{name}.catchment")
        elif isinstance(catchment, dict) and "status" not in catchment:
            out.append(f"{name}.catchment.status")
    for key in ("edges", "areas"):
        for i, item in enumerate(doc.get(key) or []):
            if isinstance(item, dict) and "status" not in item:
                out.append(f"{key}[{i}].status")
    for i, org in enumerate(doc.get("organisations") or []):
        if isinstance(org, dict) and org.get("ods_code") and "status" not in org:
            out.append(f"organisations[{i}].status")
    return out
