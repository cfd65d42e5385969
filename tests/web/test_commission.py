"""The commissioners' pages over HTTP: contents, pictures with their tables, plain words,
downloads, what-if by wards, and change over time telling LMM's story."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.dom import Node, parse

PAGES = [
    "/commission",
    "/commission/gaps",
    "/commission/gaps/E05001346",
    "/commission/overlap",
    "/commission/network",
    "/commission/what-if",
    "/commission/changes",
]
SPECIALIST_2017 = {
    "as_of": "2017-06-01",
    "need": "parent_infant_relationship",
    "level": "specialist",
}


def cells(svg: Node) -> dict[str, str]:
    """A heat map's linked cells: their name (what they say) to what they show."""
    return {
        a.attrs["aria-label"]: a.find("text").text for a in svg.find_all("a") if a.find_all("rect")
    }


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_no_inline_script_style_or_handler(seed_client: TestClient, path: str) -> None:
    r = seed_client.get(path)
    assert r.status_code == 200, r.text[:300]
    doc = parse(r.text)
    assert all("src" in s.attrs for s in doc.find_all("script"))
    assert doc.find_all("style") == []
    for node in doc.walk():
        assert "style" not in node.attrs, (path, node.tag)
        assert not any(k.startswith("on") for k in node.attrs), (path, node.tag)
    # Every section is a page of its own, reached from the contents.
    nav = doc.find("nav", class_="subnav")
    assert [a.text for a in nav.find_all("a")] == [
        "Contents",
        "Gaps",
        "Overlap",
        "Referral network",
        "What if",
        "Change over time",
    ]


def test_gaps_heat_map_counts_and_links_each_cell(seed_client: TestClient) -> None:
    doc = parse(seed_client.get("/commission/gaps", params=SPECIALIST_2017).text)
    svg = doc.find("svg")
    shown = cells(svg)
    assert len(shown) == 30 * 4
    assert shown["Bradford Moor, pregnancy: a gap, no service"] == "Gap"
    assert all(v == "Gap" or re.fullmatch(r"\d+\??", v) for v in shown.values())
    link = next(
        a
        for a in svg.find_all("a")
        if a.attrs.get("aria-label", "").startswith("Bradford Moor, birth")
    )
    assert link.attrs["href"].startswith("/commission/gaps/E05001346?")
    # The same numbers as a table; the names one click away.
    table = doc.find("table")
    moor = next(
        tr
        for tr in table.find_all("tr")
        if tr.find_all("th") and tr.find("th").text == "Bradford Moor"
    )
    assert moor.find_all("td")[0].text == "Gap"
    ward = parse(
        seed_client.get(
            "/commission/gaps/E05001346", params=SPECIALIST_2017 | {"as_of": "2019-06-01"}
        ).text
    )
    assert ward.find("h1").text == "Bradford Moor: services by age"
    assert "Little Minds Matter" in ward.by_id("months_0_11").text
    assert seed_client.get("/commission/gaps/E05000001").status_code == 404


def test_overlap_heat_map_shows_parts_and_honest_labels(seed_client: TestClient) -> None:
    doc = parse(seed_client.get("/commission/overlap", params={"as_of": "2024-06-01"}).text)
    svg = doc.find("svg")
    assert len(svg.find_all("text")) > 12
    labels = " ".join(cells(svg))
    assert "Parts: needs" in labels
    assert "-9 to 216" not in doc.text
    assert "bradford-district" not in doc.text
    maternity = next(
        tr
        for tr in doc.find_all("tr")
        if "Maternity services, Airedale" in tr.text and "Bradford Royal" in tr.text
    )
    # Both maternity units take any family of the district and Craven (families choose where
    # to book): the seed records it, so the pair is a real overlap, said in words.
    assert "Overlap" in maternity.text
    assert "Catchment not recorded" not in maternity.text
    # Every seed service records a catchment now, so there is no list of services without one.
    assert "Services that record no catchment" not in doc.text


def test_network_picture_sizes_services_and_links_to_the_map(seed_client: TestClient) -> None:
    doc = parse(seed_client.get("/commission/network", params={"as_of": "2024-06-01"}).text)
    assert doc.find("a", class_="button").attrs["href"] == "/map?as_of=2024-06-01"
    svg = doc.find("svg")
    circles = svg.find_all("circle")
    assert len({c.attrs["r"] for c in circles}) > 3
    assert any(c.attrs.get("stroke-dasharray") for c in circles)  # better-place: no route
    hrefs = {a.attrs["href"] for a in svg.find_all("a")}
    assert "/services/little-minds-matter" in hrefs
    facts = doc.find("ul", class_="facts").text
    assert (
        "Bradford Survive and Thrive" in facts
        or "Better Place" in facts
        or "No route reaches" in facts
    )


@pytest.mark.parametrize("picture", ["gaps", "overlap", "network"])
def test_pictures_download_as_svg_png_and_csv(seed_client: TestClient, picture: str) -> None:
    svg = seed_client.get(f"/commission/{picture}.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "attachment" in svg.headers["content-disposition"]
    assert svg.text.startswith("<?xml")
    assert "<a " not in svg.text  # a file's links would lead nowhere
    png = seed_client.get(f"/commission/{picture}.png")
    assert png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    data = seed_client.get(f"/commission/{picture}.csv")
    assert data.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(data.text.lstrip("\ufeff"))))
    header = rows[0]
    assert all(h[0].isupper() and "_" not in h for h in header), header
    assert len(rows) > 5
    assert seed_client.get(f"/commission/{picture}.csv?as_of=2024-13-01").status_code == 422


def test_what_if_by_locality_shows_gaps_before_and_after(seed_client: TestClient) -> None:
    total = seed_client.get("/api/v1/services").json()["total"]
    form = {
        "name": "Keighley baby <b>bonds</b>",
        "needs": ["parent_infant_relationship"],
        "levels": ["specialist"],
        "localities": ["Keighley"],
        "as_of": "2017-06-01",
    }
    r = seed_client.post("/commission/what-if", data=form)
    assert r.status_code == 200, r.text[:500]
    assert "<b>bonds" not in r.text
    results = parse(r.text).by_id("what-if-results")
    summary = results.find("p", class_="figure-summary").text
    assert "Keighley Central" in summary
    assert "Ilkley" in summary
    assert "Bradford Moor" not in summary
    before, after = results.find_all("svg")
    assert list(cells(before).values()).count("Gap") - list(cells(after).values()).count("Gap") == 6
    assert seed_client.get("/api/v1/services").json()["total"] == total
    # A ward on its own, and the form's errors.
    one = seed_client.post(
        "/commission/what-if", data=form | {"localities": [], "wards": ["E05001346"]}
    )
    assert "Bradford Moor" in parse(one.text).by_id("what-if-results").text
    both = seed_client.post("/commission/what-if", data=form | {"area": "bsb"})
    assert both.status_code == 422
    alert = parse(both.text).find(role="alert")
    assert [a.attrs["href"] for a in alert.find_all("a")] == ["#area"]
    bad = seed_client.post(
        "/commission/what-if", data=form | {"localities": [], "wards": ["E05000001"]}
    )
    assert bad.status_code == 422
    assert [a.attrs["href"] for a in parse(bad.text).find(role="alert").find_all("a")] == ["#wards"]


def test_what_if_says_what_is_wrong(seed_client: TestClient) -> None:
    r = seed_client.post("/commission/what-if", data={"name": "", "min_age_months": "x"})
    assert r.status_code == 422
    links = [a.attrs["href"] for a in parse(r.text).find(role="alert").find_all("a")]
    assert links == ["#name", "#needs", "#levels", "#min_age_months"]
    form = {"name": "Baby bonds", "needs": ["parent_infant_relationship"], "levels": ["targeted"]}
    r = seed_client.post("/commission/what-if", data=form | {"area": "leeds"})
    assert r.status_code == 422
    assert "Select an area from the list" in parse(r.text).find(role="alert").text


def test_change_over_time_tells_lmms_story(seed_client: TestClient) -> None:
    doc = parse(seed_client.get("/commission/changes").text)
    steps = [a.text for a in doc.find("nav", class_="steps").find_all("a")]
    assert {"12 June 2018", "1 April 2020", "1 April 2023"} <= set(steps)

    def step(start: str, end: str) -> Node:
        r = seed_client.get(
            "/commission/changes",
            params={
                "from": start,
                "to": end,
                "need": "parent_infant_relationship",
                "level": "specialist",
            },
        )
        assert r.status_code == 200
        return parse(r.text)

    launch = step("2018-06-11", "2018-06-12")
    assert (
        "Little Minds Matter" in launch.by_id("what-changed").text
        or "Little Minds Matter" in launch.text
    )
    summary = launch.find("p", class_="figure-summary").text
    before, after = (int(n) for n in re.findall(r"(\d+) (?:gaps )?on ", summary)[:2])
    assert before - after == 3  # the three BSB wards in pregnancy: specialist help at last
    ric = step("2020-03-31", "2020-04-01")
    assert "Catchment changed" in ric.text
    # With the RIC GP practices, every ward has LMM, but outside BSB only as a check...
    summary = ric.find("p", class_="figure-summary").text
    gaps_then, gaps_now, _checks_then, checks_now = (
        int(n)
        for n in re.findall(
            r"(\d+) (?:gaps |cells where every service depends on a check )?on ", summary
        )
    )
    assert (gaps_then, gaps_now) == (27, 0)
    assert checks_now == 27
    # ...until it works district-wide: no gap and no check left.
    district = step("2023-03-31", "2023-04-01")
    summary = district.find("p", class_="figure-summary").text
    numbers = [
        int(n)
        for n in re.findall(
            r"(\d+) (?:gaps |cells where every service depends on a check )?on ", summary
        )
    ]
    assert numbers == [0, 0, 27, 0]
    csv_text = seed_client.get(
        "/commission/changes.csv", params={"from": "2020-03-31", "to": "2020-04-01"}
    ).text
    assert "Catchment changed" in csv_text
    assert seed_client.get("/commission/changes", params={"from": "2020-02-30"}).status_code == 422


def test_contents_page_summarises_each_section(seed_client: TestClient) -> None:
    doc = parse(seed_client.get("/commission", params={"as_of": "2017-06-01"}).text)
    assert doc.find("h1").text == "For commissioners"
    titles = [h.text for h in doc.find_all("h3", class_="contents__title")]
    assert titles == [
        "Gaps by ward and age",
        "Overlap of remits",
        "The referral network",
        "What if: a proposed service",
        "Change over time",
    ]
    r = seed_client.get("/commission", params={"as_of": "2017-13-01"})
    assert r.status_code == 422
    assert [a.attrs["href"] for a in parse(r.text).find(role="alert").find_all("a")] == ["#as_of"]
