"""API keys: made at random, shown once, kept only as a slow salted hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

# scrypt at n=2**14 costs tens of milliseconds: nothing for an editor's write, a great deal
# for anyone trying keys from a stolen database.
_N, _R, _P = 2**14, 8, 1


class Role(StrEnum):
    """What a key may do: a reader reads (private deployments), an editor also edits the map,
    an admin also manages keys."""

    reader = "reader"
    editor = "editor"
    admin = "admin"

    def allows(self, needed: Role) -> bool:
        order = (Role.reader, Role.editor, Role.admin)
        return order.index(self) >= order.index(needed)


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def new_key() -> tuple[str, str, str]:
    """A new key, its lookup prefix and its stored hash. The key is never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    return f"nav_{prefix}_{secret}", prefix, f"scrypt${salt.hex()}${_hash(secret, salt).hex()}"


def split(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "nav" or len(parts[1]) != 8 or not 0 < len(parts[2]) <= 128:
        return None
    return parts[1], parts[2]


# A stored hash no key matches, checked when a presented key's prefix is unknown (or revoked),
# so that answering "no" costs one scrypt either way and timing says nothing about prefixes.
DECOY_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 32


def verify(secret: str, stored: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(_hash(secret, salt), digest)
