"""The one service query: text (typo-tolerant), need, level, ring, as-of and staleness.

The API's list, the directory page, the ORUK feed and the FHIR search all find services here, so
a filter means the same thing everywhere, and an unknown need is refused in one place.

Text finds what people type: names, aliases and former names; need labels and the seed's
synonyms ("PND", "bonding", "DV"); LMM's interventions ("circle of security"); programmes;
words of a remit; and place names (towns and wards). Each hit says what it matched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from navigator.core.errors import UnknownNeed
from navigator.core.models import Level, Map, Ring, Service
from navigator.core.places import PlaceIndex, serves

# WRatio scores 0-100; below this a match is more likely noise than a typo.
MIN_SCORE = 80
# A word or phrase people type matches a term this close (a typo or two), or exactly when short.
TERM_SCORE = 85
SHORT_TERM = 3
# How strong each kind of match is, against a name's own score: a name beats what it does.
KIND_SCORE = {"offer": 79, "need": 78, "programme": 76, "remit": 72, "place": 70}
# Words too common to say anything about a service.
STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "help", "in", "is"}
    | {"it", "of", "on", "or", "the", "their", "to", "with", "who"}
)


def require_need(code: str, known: Collection[str], *, loc: tuple[str | int, ...]) -> None:
    """Refuse a need code the map does not know, naming the field it came from."""
    if code not in known:
        raise UnknownNeed(f"unknown need {code!r}: it is not in the needs list", loc=loc)


@dataclass(frozen=True, kw_only=True)
class ServiceQuery:
    """What to find. Every filter is optional; all given must hold."""

    text: str = ""
    need: str | None = None
    level: Level | None = None
    ring: Ring | None = None
    as_of: dt.date | None = None  # only services running that day
    active_on: tuple[dt.date, bool] | None = None  # (day, wanted): running that day, or not
    stale_before: dt.date | None = None  # last verified before this day: oldest first
    name_contains: str = ""  # a case-insensitive part of the name
    where: tuple[Callable[[Service], bool], ...] = ()  # a feed's own filters
    order: Literal["map", "name"] = "map"
    need_field: str = "need"  # the input the need came from, for the error
    places: PlaceIndex | None = None  # place names search can find (towns and wards)


@dataclass(frozen=True)
class Hit:
    """A service found by text, and what it matched, in words."""

    service: Service
    matched: str
    score: float


def find_services(m: Map, query: ServiceQuery) -> list[Service]:
    """Services matching `query`: best text match first when there is text, else in `order`
    (or oldest verification first when asking for stale ones). Raises UnknownNeed."""
    return [h.service for h in find_hits(m, query)]


def find_hits(m: Map, query: ServiceQuery) -> list[Hit]:
    """As find_services, each service with what its text matched ('' without text)."""
    if query.need is not None:
        require_need(query.need, m.need_codes(), loc=(query.need_field,))
    services = list(m.services)
    if query.order == "name":
        services.sort(key=lambda s: s.name.casefold())
    checks = _checks(query)
    services = [s for s in services if all(check(s) for check in checks)]
    if query.stale_before is not None:
        services.sort(key=lambda s: s.last_verified)
    if query.text.strip():
        day = query.as_of or dt.date.today()
        return search_hits(m, query.text, services, places=query.places, day=day)
    return [Hit(s, "", 0.0) for s in services]


def _checks(q: ServiceQuery) -> list[Callable[[Service], bool]]:
    checks: list[Callable[[Service], bool]] = list(q.where)
    if q.need is not None:
        checks.append(lambda s: q.need in s.needs)
    if q.level is not None:
        checks.append(lambda s: q.level in s.levels)
    if q.ring is not None:
        checks.append(lambda s: s.ring is q.ring)
    if q.as_of is not None:
        day = q.as_of
        checks.append(lambda s: s.active_on(day))
    if q.active_on is not None:
        when, wanted = q.active_on
        checks.append(lambda s: s.active_on(when) is wanted)
    if q.stale_before is not None:
        before = q.stale_before
        checks.append(lambda s: s.last_verified < before)
    if q.name_contains:
        part = q.name_contains.casefold()
        checks.append(lambda s: part in s.name.casefold())
    return checks


def search_services(query: str, services: list[Service]) -> list[Service]:
    """Services whose name, an alias or a former name matches `query`, best match first."""
    query = query.strip()
    if not query:
        return list(services)
    names: list[str] = []
    owner: list[int] = []
    for i, s in enumerate(services):
        for name in (s.name, s.id, *s.aliases, *s.former_names):
            names.append(name)
            owner.append(i)
    best: dict[int, float] = {}
    for _name, score, j in process.extract(
        query,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=MIN_SCORE,
        limit=None,
    ):
        i = owner[j]
        best[i] = max(best.get(i, 0.0), score)
    return [services[i] for i in sorted(best, key=lambda i: (-best[i], i))]


def _words(text: str) -> list[str]:
    return utils.default_process(text).split()


def term_score(query: str, term: str) -> float:
    """How well what was typed matches a term (0 when it does not): the same words, a typo or
    two, or the term's words all among those typed ("domestic violence support")."""
    q, t = utils.default_process(query), utils.default_process(term)
    if not q or not t:
        return 0.0
    if q == t:
        return 100.0
    if len(t) <= SHORT_TERM or len(q) <= SHORT_TERM:
        return 99.0 if t in q.split() else 0.0
    if re.search(rf"\b{re.escape(t)}\b", q):
        return 95.0
    close = max(fuzz.ratio(q, t), fuzz.token_set_ratio(q, t) if len(t.split()) > 1 else 0.0)
    return min(94.0, close)


def _best_term(query: str, terms: list[str]) -> tuple[str, float] | None:
    best = max(((t, term_score(query, t)) for t in terms), key=lambda x: x[1], default=None)
    return best if best and best[1] >= TERM_SCORE else None


def _remit_match(query: str, service: Service) -> str | None:
    """Every meaningful word typed is in the remit (a typo allowed): the first such word."""
    wanted = [w for w in _words(query) if len(w) > SHORT_TERM and w not in STOPWORDS]
    if not wanted:
        return None
    have = set(_words(service.remit))
    for w in wanted:
        if w not in have and not process.extractOne(
            w, have, scorer=fuzz.ratio, score_cutoff=TERM_SCORE + 3
        ):
            return None
    return " ".join(wanted)


def search_hits(
    m: Map,
    query: str,
    services: list[Service],
    *,
    places: PlaceIndex | None = None,
    day: dt.date | None = None,
) -> list[Hit]:
    """Services matching `query` by name, need, synonym, offer, programme, remit or place, best
    first, each with what it matched."""
    query = query.strip()
    if not query:
        return [Hit(s, "", 0.0) for s in services]
    day = day or dt.date.today()
    best: dict[str, Hit] = {}

    def found(service: Service, matched: str, score: float) -> None:
        if score > (best[service.id].score if service.id in best else -1):
            best[service.id] = Hit(service, matched, score)

    by_id = {s.id: s for s in services}
    labels = {n.code: n.label for n in m.needs}
    for i in _name_matches(query, services):
        service, score, name = services[i[0]], i[1], i[2]
        said = (
            "name"
            if name in (service.name, service.id)
            else f"formerly “{name}”"
            if name in service.former_names
            else f"also known as “{name}”"
        )
        found(service, said, score)
    # Needs: their labels and the seed's synonyms for them.
    terms: list[tuple[str, list[str], list[str]]] = [(n.label, [n.code], []) for n in m.needs] + [
        (t, syn.needs, syn.services) for syn in m.vocabulary.synonyms for t in syn.terms
    ]
    for term, needs, sids in terms:
        score = term_score(query, term)
        if score < TERM_SCORE:
            continue
        said = ", ".join(labels.get(n, n) for n in needs)
        for s in services:
            if set(needs) & set(s.needs) or s.id in sids:
                why = (
                    said
                    if utils.default_process(term) == utils.default_process(said)
                    else (f"“{term}”: {said}" if said else f"“{term}”")
                )
                found(s, f"works with {why}", KIND_SCORE["need"] + score / 100)
    # LMM's offer: the interventions it may give a family.
    lmm = by_id.get(m.lmm.service_id)
    if lmm is not None:
        offered = [i for tier in m.lmm.tiers for i in tier.interventions]
        if hit := _best_term(query, offered):
            found(lmm, f"offers {hit[0]}", KIND_SCORE["offer"] + hit[1] / 100)
    for s in services:
        if s.programmes and (hit := _best_term(query, s.programmes)):
            found(s, f"part of {hit[0]}", KIND_SCORE["programme"] + hit[1] / 100)
        if words := _remit_match(query, s):
            found(s, f"its remit mentions “{words}”", KIND_SCORE["remit"])
    if places is not None:
        _place_hits(query, m, services, places, day, found)
    return sorted(best.values(), key=lambda h: (-h.score, services.index(h.service)))


def _place_hits(
    query: str,
    m: Map,
    services: list[Service],
    places: PlaceIndex,
    day: dt.date,
    found: Callable[[Service, str, float], None],
) -> None:
    scored = [(term_score(query, p.name), p) for p in places.places]
    score, place = max(scored, key=lambda x: (x[0], x[1].kind == "town"), default=(0.0, None))
    if place is None or score < TERM_SCORE + 5:
        return
    areas = {a.id: a for a in m.areas}
    where = place.name if place.kind == "town" else f"{place.name} ward"
    for s in services:
        cover = serves(s, place, areas, day)
        if cover is not None:
            part = "" if cover == "all" else "part of "
            found(s, f"works in {part}{where}", KIND_SCORE["place"] + (cover == "all"))


def name_score(query: str, name: str) -> float:
    """0-100: the same name; every word typed in the name; a typo or two; or the start of a
    long name typed with a typo ("litle minds"). Short queries must be a whole word."""
    q, n = utils.default_process(query), utils.default_process(name)
    if not q or not n:
        return 0.0
    if q == n:
        return 100.0
    words = n.split()
    if all(w in words for w in q.split()):
        return 92.0
    if len(q) <= SHORT_TERM:
        return 0.0
    score = fuzz.ratio(q, n)
    if len(q) >= 5 and len(q) < len(n):
        score = max(score, 0.95 * fuzz.partial_ratio(q, n))
    return score


def _name_matches(query: str, services: list[Service]) -> list[tuple[int, float, str]]:
    """(service index, score, the name that matched) for names, ids, aliases, former names."""
    out = []
    for i, s in enumerate(services):
        scored = [(name_score(query, name), name) for name in (s.name, s.id, *s.aliases)]
        scored += [(name_score(query, name), name) for name in s.former_names]
        score, name = max(scored, key=lambda x: x[0])
        if score >= MIN_SCORE:
            out.append((i, score, name))
    return out
