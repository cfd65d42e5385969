"""A service's contact points, as the seed types them: never read out of free text.

Each contact point is one the seed records on the service (`contacts`), with its kind, label,
hours, whether it is the service's own line, its source and its status. A number that is not
the service's own (999, NHS 111, a national helpline, a switchboard) is kept, labelled so, and
listed after the service's own; it is never exported as the service's phone. A service with no
public route says so in `no_public_contact`.
"""

from __future__ import annotations

from navigator.core.models import ContactKind, ContactPoint, Service

# Each kind of contact in words, for labels in pages, summaries and feeds.
CONTACT_WORDS: dict[ContactKind, str] = {
    "phone": "Phone",
    "email": "Email",
    "website": "Web page",
    "referral_form": "Referral form",
    "portal": "Referral portal",
    "address": "Address",
}

# The contact point an answer carries: the seed's own type.
Contact = ContactPoint


# The order a practitioner needs them in: a way in first (a number to ring, an address to write
# to, a form), then pages to read.
KIND_ORDER = {"phone": 0, "email": 1, "referral_form": 2, "portal": 3, "website": 4, "address": 5}


def contacts_of(service: Service) -> list[Contact]:
    """The service's contact points: its own first, ways in before pages; then the others.
    Within each kind, in the seed's order."""
    return sorted(service.contacts, key=lambda c: (not c.own, KIND_ORDER[c.kind]))
