"""What an entry of the map may refer to: needs, areas, GP lists and services must exist."""

from __future__ import annotations

import pytest

from navigator.core.errors import InvalidEdit, UnknownArea, UnknownGpList, UnknownNeed
from navigator.core.models import Edge, EdgeKind, Map, Rule, RuleKind
from navigator.core.validation import check_edge, check_service, references


def test_the_mini_map_is_consistent(mini_map: Map) -> None:
    refs = references(mini_map)
    for service in mini_map.services:
        check_service(service, refs)
    for edge in mini_map.edges:
        check_edge(edge, refs)


def test_an_unknown_need_names_its_index(mini_map: Map) -> None:
    service = mini_map.services[0].model_copy(update={"needs": ["housing", "nope"]})
    with pytest.raises(UnknownNeed) as caught:
        check_service(service, references(mini_map))
    assert caught.value.loc == ("needs", 1)


@pytest.mark.parametrize(
    ("rule", "error", "loc"),
    [
        (Rule(kind=RuleKind.area, area="nowhere"), UnknownArea, ("rules", 0, "area")),
        (Rule(kind=RuleKind.gp_list, gp_list="nolist"), UnknownGpList, ("rules", 0, "gp_list")),
        (
            Rule(
                kind=RuleKind.any_of,
                rules=[Rule(kind=RuleKind.area, area="bsb"), Rule(kind=RuleKind.area, area="x")],
            ),
            UnknownArea,
            ("rules", 0, "rules", 1, "area"),
        ),
    ],
)
def test_rules_refer_to_known_areas_and_lists(
    mini_map: Map, rule: Rule, error: type[Exception], loc: tuple[object, ...]
) -> None:
    service = mini_map.services[0].model_copy(update={"rules": [rule]})
    with pytest.raises(error) as caught:
        check_service(service, references(mini_map))
    assert caught.value.loc == loc  # type: ignore[attr-defined]


@pytest.mark.parametrize("field", ["source", "target"])
def test_an_edge_between_unknown_services_names_the_end(mini_map: Map, field: str) -> None:
    data = {"source": "housing", "target": "housing", "kind": EdgeKind.refers, field: "ghost"}
    with pytest.raises(InvalidEdit) as caught:
        check_edge(Edge(**data), references(mini_map))
    assert caught.value.loc == (field,)
