from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from navigator.core.models import Map, RuleKind
from navigator.core.seedfile import SeedError, load_seed
from tests.conftest import MINI_SEED

REQUIRED_SERVICES = {
    "little-minds-matter",
    "health-visiting",
    "midwifery",
    "smabs",
    "family-hubs",
    "childrens-social-care",
    "talking-therapies",
    "domestic-abuse",
}
REQUIRED_NEEDS = {
    "parent_infant_relationship",
    "perinatal_mental_health",
    "severe_perinatal_mental_illness",
    "birth_trauma",
    "infant_feeding",
    "early_language",
    "domestic_abuse",
    "substance_misuse",
    "housing",
    "social_isolation",
    "english_language",
    "safeguarding",
}


def test_seed_has_the_contracted_ids(seed_map: Map) -> None:
    assert {s.id for s in seed_map.services} >= REQUIRED_SERVICES
    assert seed_map.need_codes() >= REQUIRED_NEEDS
    assert [lv.id for lv in seed_map.levels] == [
        "universal",
        "universal_plus",
        "targeted",
        "specialist",
    ]
    assert {a.id for a in seed_map.areas} >= {"bsb", "bradford-district", "bdc-nhs"}
    ric = next(g for g in seed_map.gp_lists if g.id == "ric")
    assert ric.practices is None, (
        "no public RIC list exists: it stays unloaded until an editor loads it"
    )


def test_seed_is_big_enough_and_sourced(seed_map: Map) -> None:
    assert len(seed_map.services) >= 30
    assert len(seed_map.edges) >= 40
    assert {e.kind.value for e in seed_map.edges} == {"refers", "consults", "signposts"}
    for s in seed_map.services:
        assert s.sources, s.id
        assert s.remit.strip(), s.id


def test_lmm_rules_follow_its_history(seed_map: Map) -> None:
    lmm = seed_map.service("little-minds-matter")
    assert lmm is not None
    assert lmm.valid_from == dt.date(2018, 6, 12)
    assert (lmm.min_age_months, lmm.max_age_months) == (-9, 24)
    kinds = [(r.kind, r.valid_from) for r in lmm.rules]
    assert (RuleKind.area, dt.date(2018, 6, 12)) in kinds
    assert (RuleKind.any_of, dt.date(2020, 4, 1)) in kinds
    district = next(r for r in lmm.rules if r.valid_from == dt.date(2023, 4, 1))
    assert district.area == "bradford-district"
    assert district.status.value == "inferred"


def test_family_nurse_partnership_ended_march_2019(seed_map: Map) -> None:
    fnp = next(s for s in seed_map.services if "Family Nurse" in s.name)
    assert fnp.valid_to == dt.date(2019, 3, 31)


def test_domestic_abuse_address_is_confidential(seed_map: Map) -> None:
    da = seed_map.service("domestic-abuse")
    assert da is not None
    assert da.confidential_address


# --- errors name the file, the entry and the field ---------------------------------------------


def _broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(MINI_SEED.read_text())
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _service(data: dict[str, Any], sid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in data["services"] if s["id"] == sid)
    return found


@pytest.mark.parametrize(
    ("change", "entry", "field", "words"),
    [
        (
            lambda d: _service(d, "housing")["needs"].append("nope"),
            "services[housing]",
            "needs[1]",
            "unknown need",
        ),
        (
            lambda d: _service(d, "housing").update(ring="middle"),
            "services[housing]",
            "ring",
            "core",
        ),
        (
            lambda d: _service(d, "housing").update(min_age_months=12, max_age_months=6),
            "services[housing]",
            "max_age_months",
            "below min_age_months",
        ),
        (
            lambda d: _service(d, "little-minds-matter")["rules"][0].update(area="bsbx"),
            "services[little-minds-matter]",
            "rules[0].area",
            "unknown area",
        ),
        (
            lambda d: d["services"].append(copy.deepcopy(_service(d, "housing"))),
            "services[housing]",
            "id",
            "duplicate",
        ),
        (
            lambda d: d["edges"].append(
                {"source": "housing", "target": "nowhere", "kind": "refers"}
            ),
            "edges[3] (housing -> nowhere)",
            "target",
            "unknown service",
        ),
        (
            lambda d: _service(d, "housing").update(colour="blue"),
            "services[housing]",
            "colour",
            "Extra inputs",
        ),
        (lambda d: d.pop("needs"), "(top level)", "needs", "missing"),
    ],
)
def test_seed_errors_name_file_entry_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], entry: str, field: str, words: str
) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(SeedError) as info:
        load_seed(path)
    err = info.value
    assert err.file == str(path)
    assert err.entry == entry
    assert err.field == field
    assert words in err.message
    assert str(path) in str(err)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("meta:\n  title: [unclosed\n")
    with pytest.raises(SeedError, match=r"bad\.yaml: line \d+"):
        load_seed(path)


def test_map_copies_rebuild_their_indexes(mini_map: Map) -> None:
    assert mini_map.service("housing") is not None
    assert mini_map.service_index.by_need["housing"]
    smaller = mini_map.model_copy(update={"services": mini_map.services[:1], "edges": []})
    assert smaller.service("housing") is None
    assert "housing" not in smaller.service_index.by_need
    assert set(smaller.eligibility_signatures) == {"health-visiting"}
