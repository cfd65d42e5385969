from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz(mini_client: TestClient) -> None:
    r = mini_client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_first_start_loads_seed(seed_client: TestClient) -> None:
    body = seed_client.get("/api/v1/services", params={"per_page": 500}).json()
    assert body["total"] >= 30
    ids = {s["id"] for s in body["items"]}
    assert {"little-minds-matter", "health-visiting", "smabs", "domestic-abuse"} <= ids


def test_paging(mini_client: TestClient) -> None:
    first = mini_client.get("/api/v1/services", params={"per_page": 2, "page": 1}).json()
    second = mini_client.get("/api/v1/services", params={"per_page": 2, "page": 2}).json()
    assert first["total"] == second["total"] == 4
    assert (first["page"], first["per_page"]) == (1, 2)
    assert [s["id"] for s in first["items"]] == ["health-visiting", "little-minds-matter"]
    assert [s["id"] for s in second["items"]] == ["housing", "refuge"]


def test_per_page_and_page_bounds(mini_client: TestClient) -> None:
    for params in ({"per_page": 501}, {"per_page": 0}, {"page": 0}):
        r = mini_client.get("/api/v1/services", params=params)
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"][:2] == ["query", next(iter(params))]


def test_typo_tolerant_search_over_aliases_and_former_names(mini_client: TestClient) -> None:
    def ids(q: str) -> list[str]:
        r = mini_client.get("/api/v1/services", params={"q": q})
        return [s["id"] for s in r.json()["items"]]

    assert ids("Litle Minds Mater")[0] == "little-minds-matter"
    assert ids("lmm")[0] == "little-minds-matter"
    assert ids("homelesness unit")[0] == "housing"
    assert ids("zzzzqqq") == []


def test_filters(mini_client: TestClient) -> None:
    def ids(**params: str) -> set[str]:
        return {s["id"] for s in mini_client.get("/api/v1/services", params=params).json()["items"]}

    assert ids(need="housing") == {"housing", "refuge"}
    assert ids(ring="core") == {"health-visiting", "little-minds-matter"}
    assert "refuge" in ids(as_of="2024-05-31")
    assert "refuge" not in ids(as_of="2024-06-01")
    assert "little-minds-matter" not in ids(as_of="2018-01-01")


def test_bad_filters_are_422_naming_the_field(mini_client: TestClient) -> None:
    for params, field in (
        ({"need": "nope"}, "need"),
        ({"ring": "middle"}, "ring"),
        ({"as_of": "soon"}, "as_of"),
    ):
        r = mini_client.get("/api/v1/services", params=params)
        assert r.status_code == 422, params
        assert r.json()["detail"][0]["loc"] == ["query", field]


def test_one_service_with_etag(mini_client: TestClient) -> None:
    r = mini_client.get("/api/v1/services/little-minds-matter")
    assert r.status_code == 200
    body = r.json()
    for field in (
        "id",
        "name",
        "aliases",
        "provider",
        "ring",
        "remit",
        "needs",
        "levels",
        "min_age_months",
        "max_age_months",
        "rules",
        "routes",
        "valid_from",
        "sources",
        "last_verified",
    ):
        assert field in body, field
    etag = r.headers["ETag"]
    assert etag.startswith('"')
    again = mini_client.get("/api/v1/services/little-minds-matter", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_unknown_service_is_404(mini_client: TestClient) -> None:
    assert mini_client.get("/api/v1/services/nowhere").status_code == 404


def test_confidential_address_is_never_served(mini_client: TestClient) -> None:
    one = mini_client.get("/api/v1/services/refuge")
    assert one.json()["address"] is None
    listing = mini_client.get("/api/v1/services", params={"per_page": 500})
    for r in (one, listing, mini_client.get("/api/v1/map", params={"as_of": "2020-01-01"})):
        assert "Secret Street" not in r.text


def test_reference_lists(seed_client: TestClient) -> None:
    needs = seed_client.get("/api/v1/needs").json()
    assert all(n["label"] and n["description"] for n in needs)
    assert "parent_infant_relationship" in {n["code"] for n in needs}
    assert {a["id"] for a in seed_client.get("/api/v1/areas").json()} >= {"bsb", "bdc-nhs"}
    ric = next(g for g in seed_client.get("/api/v1/gp-lists").json() if g["id"] == "ric")
    assert ric["loaded"] is False
    assert ric["practices"] == []


def test_postcode_lookup(seed_client: TestClient) -> None:
    r = seed_client.get("/api/v1/postcodes/bd5%200au")
    assert r.status_code == 200
    assert r.json()["known"] is True
    assert "bsb" in r.json()["areas"]
    unknown = seed_client.get("/api/v1/postcodes/BD3 9ZZ").json()
    assert unknown["known"] is False
    bad = seed_client.get("/api/v1/postcodes/not-a-postcode")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "postcode"]


def test_map_json(seed_client: TestClient) -> None:
    body = seed_client.get("/api/v1/map", params={"as_of": "2021-06-01"}).json()
    ids = {n["id"] for n in body["nodes"]}
    assert len(ids) >= 25
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    assert {e["kind"] for e in body["edges"]} <= {"refers", "consults", "signposts"}
    later = seed_client.get("/api/v1/map", params={"as_of": "2025-06-01"}).json()
    assert "little-minds-matter" in {n["id"] for n in later["nodes"]}


def test_docs_and_schema(mini_client: TestClient) -> None:
    assert mini_client.get("/docs").status_code == 200
    assert "/api/v1/services" in mini_client.get("/openapi.json").json()["paths"]
